/** The shape of docs/benchmarks/kv.json: everything one run of `npm run bench:kv` measured. */
import type { LoadResult, MachineInfo } from '@dslab/bench-kit';
import type { KvBenchOptions } from './options.js';
import type { RedisBenchmarkResult } from './redis-benchmark.js';

export const PROCESSES = ['baseline', 'kit-baseline', 'kv-api', 'kv-consumer'] as const;
export type ProcessName = (typeof PROCESSES)[number];

export interface MeasuredRun extends LoadResult {
  /** CPU of each process during the run, percent of one core (200 % = both cores here). */
  cpuPercent: Partial<Record<ProcessName, number>>;
  /** CPU of the benchmark process (the load generator), percent of one core. */
  benchCpuPercent: number;
}

export interface ApplyResult {
  /** Messages queued with the consumer stopped (all accepted by the API: 202). */
  messages: number;
  /** Rows the consumer had written when the phase ended (must equal `messages`). */
  applied: number;
  /** First to last commit, from PostgreSQL's applied_at (the consumer's start-up excluded). */
  applySeconds: number;
  /** Writes applied per second over that span. */
  rate: number;
  /** From spawning the consumer to the last row: start-up (tsx, connections) included. */
  wallSeconds: number;
  /** Queue depth before the consumer started (ready messages in add_key). */
  queuedBefore: number;
  prefetch: number;
  consumerCpuPercent: number | undefined;
}

export interface KvBenchResults {
  machine: MachineInfo;
  /** The options of the run (but where its files went), then what it ran against. */
  settings: Omit<KvBenchOptions, 'outDir'> & {
    /** Engine URLs without credentials. */
    engines: { postgres: string; redis: string; amqp: string };
    /** Which engine URLs were development defaults. */
    defaults: string[];
    notes: string[];
  };
  /** redis-benchmark: its built-in GET test, and the HMGET the API's cache hit sends. */
  redis: { get: RedisBenchmarkResult; hmget: RedisBenchmarkResult };
  /**
   * autocannon runs, by target, one per connection count: hello-world on bare Fastify (baseline),
   * hello-world on the platform's http-kit (kitBaseline), the KV's GET cache hit and PUT.
   */
  http: { baseline: MeasuredRun[]; kitBaseline: MeasuredRun[]; getHit: MeasuredRun[]; put: MeasuredRun[] };
  apply: ApplyResult;
  /** What the benchmark verified along the way (a run that fails one of these throws instead). */
  checks: { getHitSource: string; putStatuses: Record<string, number> };
  totalSeconds: number;
}
