import { request, Agent } from 'undici';

export interface RaceResponse<T = unknown> {
  index: number;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  /** Monotonic ms from the common start to the response. */
  elapsedMs: number;
}

export interface RaceRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sends this request to another server than the race's (e.g. one replica of several). */
  baseUrl?: string;
}

/**
 * Fires all requests at once over separate connections: every request is built and every
 * connection opened first, then a single start releases them, so they truly race at the
 * server instead of trickling in one by one.
 */
export async function race<T = unknown>(
  baseUrl: string,
  requests: RaceRequest[],
): Promise<RaceResponse<T>[]> {
  const agent = new Agent({ connections: requests.length, pipelining: 0, keepAliveTimeout: 10_000 });
  try {
    // Warm one connection per request so the race is not decided by TCP handshakes.
    await Promise.all(
      requests.map((r) =>
        request(new URL('/health', r.baseUrl ?? baseUrl), { dispatcher: agent }).then((response) =>
          response.body.dump(),
        ),
      ),
    );
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started = performance.now();
    const inFlight = requests.map(async (r, index) => {
      await gate;
      const response = await request(new URL(r.path, r.baseUrl ?? baseUrl), {
        dispatcher: agent,
        method: r.method,
        headers: { ...(r.body === undefined ? {} : { 'content-type': 'application/json' }), ...r.headers },
        ...(r.body === undefined ? {} : { body: JSON.stringify(r.body) }),
      });
      const text = await response.body.text();
      let body: unknown = text;
      try {
        body = text.length > 0 ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return {
        index,
        status: response.statusCode,
        headers: response.headers,
        body: body as T,
        elapsedMs: performance.now() - started,
      };
    });
    release();
    return await Promise.all(inFlight);
  } finally {
    await agent.close();
  }
}

/** Counts responses by status code, e.g. { 201: 1, 409: 9 }. */
export function countByStatus(responses: { status: number }[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}
