/**
 * A small client of kv-api for the e2e tests: keep-alive connections (undici Pool), the seed's
 * wire shapes, and every answer returned (never thrown) so a test can assert on it.
 */
import { Pool } from 'undici';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
}

export interface KvClient {
  put(key: string, value: string): Promise<Answer>;
  delete(key: string): Promise<Answer>;
  get(key: string, minVersion?: number): Promise<Answer>;
  /** GET of a path the API handed out (a PUT's Location / _links.read.href). */
  follow(href: string): Promise<Answer>;
  close(): Promise<void>;
}

export function keyQuery(key: string, minVersion?: number): string {
  const params = new URLSearchParams({ key });
  if (minVersion !== undefined) params.set('min_version', String(minVersion));
  return `/?${params.toString()}`;
}

export function createKvClient(baseUrl: string, connections = 16): KvClient {
  const pool = new Pool(baseUrl, { connections, keepAliveTimeout: 10_000 });
  async function send(method: 'GET' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<Answer> {
    const response = await pool.request({
      method,
      path,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // A GET with min_version may wait up to the reader's limit on a busy machine.
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    const text = await response.body.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = text.length === 0 ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      parsed = { text };
    }
    return { status: response.statusCode, headers: response.headers, body: parsed };
  }
  return {
    put: (key, value) => send('PUT', '/', { key_name: key, key_value: value }),
    delete: (key) => send('DELETE', keyQuery(key)),
    get: (key, minVersion) => send('GET', keyQuery(key, minVersion)),
    follow: (href) => send('GET', href),
    close: () => pool.close(),
  };
}

/** The version of an accepted write (202), or a thrown error that shows the answer. */
export function versionOf(answer: Answer): number {
  const version = answer.body.version;
  if (answer.status !== 202 || typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw new Error(
      `expected 202 with a version, got ${String(answer.status)} ${JSON.stringify(answer.body)}`,
    );
  return version;
}
