/** Load drivers: autocannon against an HTTP target, and a closed loop of any async operation. */
import autocannon, { type AutocannonRequest } from 'autocannon';
import { Samples, summarize, type LatencySummary } from './stats.js';

/** One measured load run against one target at one concurrency. */
export interface LoadResult {
  concurrency: number;
  durationS: number;
  /** Requests (or operations) that completed with a 2xx answer. */
  ok: number;
  /** Completed with any other status. */
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Successful operations per second. */
  rps: number;
  statusCodes: Record<string, number>;
  /** Latency of every completed request, in ms (client-side, including the wire). */
  latency: LatencySummary;
}

/** The run of a series measured at `concurrency`, if there is one (to pair a figure with its baseline). */
export function runAtConcurrency<Run extends { concurrency: number }>(
  runs: readonly Run[],
  concurrency: number,
): Run | undefined {
  return runs.find((run) => run.concurrency === concurrency);
}

/**
 * autocannon with keep-alive connections (one request in flight per connection), run in this
 * process. Latencies are taken from autocannon's per-response event (fractional ms), not its
 * integer-ms histogram, so sub-millisecond hello-world latencies are not rounded to 0 or 1.
 */
export async function runAutocannon(options: {
  url: string;
  connections: number;
  durationS: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  requests?: AutocannonRequest[];
  title?: string;
}): Promise<LoadResult> {
  const samples = new Samples();
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationS,
    pipelining: 1,
    timeout: 20,
    ...(options.method === undefined ? {} : { method: options.method }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.requests === undefined ? {} : { requests: options.requests }),
    ...(options.title === undefined ? {} : { title: options.title }),
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
    samples.add(responseTimeMs);
  });
  const result = await instance;
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  const durationS = result.duration > 0 ? result.duration : options.durationS;
  return {
    concurrency: options.connections,
    durationS,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    rps: result['2xx'] / durationS,
    statusCodes,
    latency: summarize(samples.sorted(), true),
  };
}

/**
 * A closed loop: `concurrency` workers each run `operation` back to back until the time is up.
 * `operation` returns the HTTP status of its (last) answer; 2xx counts as success.
 */
export async function runClosedLoop(options: {
  concurrency: number;
  durationS: number;
  operation: (worker: number, iteration: number) => Promise<number>;
}): Promise<LoadResult> {
  const samples = new Samples();
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  const started = performance.now();
  const end = started + options.durationS * 1000;
  await Promise.all(
    Array.from({ length: options.concurrency }, async (_, worker) => {
      for (let iteration = 0; performance.now() < end; iteration++) {
        const t0 = performance.now();
        try {
          const status = await options.operation(worker, iteration);
          samples.add(performance.now() - t0);
          statusCodes[String(status)] = (statusCodes[String(status)] ?? 0) + 1;
          if (status >= 200 && status < 300) ok += 1;
          else non2xx += 1;
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const durationS = (performance.now() - started) / 1000;
  return {
    concurrency: options.concurrency,
    durationS,
    ok,
    non2xx,
    errors,
    rps: ok / durationS,
    statusCodes,
    latency: summarize(samples.sorted(), true),
  };
}
