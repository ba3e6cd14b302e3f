/**
 * The shape of what `npm run bench:checkout` saves (docs/benchmarks/checkout/checkout.json) and
 * `npm run report:checkout` reads: every figure of the report comes from here. Plain data only
 * (JSON round-trips it unchanged).
 */
import type { MachineInfo } from '@dslab/bench-kit';

/** The three ways an order runs (seed 003: grpc, rest; seed 004: async). */
export const LOAD_TRANSPORTS = ['grpc', 'rest', 'async'] as const;
export type LoadTransport = (typeof LOAD_TRANSPORTS)[number];

/** Latency percentiles from an HDR histogram, in milliseconds (0 everywhere when count is 0). */
export interface HdrSummary {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/**
 * How one order ended, as the load generator saw it:
 * - shipped: the order reached `enviado`;
 * - cancelled: the checkout refused it cleanly (`cancelado`: payment rejected, out of stock, a
 *   step failed and was compensated); `reason` is the order's motivo or the refusal's type;
 * - error: no answer that says how the order ended (HTTP 5xx, gRPC UNAVAILABLE, a refused
 *   connection, the load generator's own timeout…); `error` names the kind, e.g. `http-503`,
 *   `grpc-UNAVAILABLE`, `ECONNREFUSED`, `timeout`.
 */
export type Outcome =
  | { readonly kind: 'shipped' }
  | { readonly kind: 'cancelled'; readonly reason: string }
  | { readonly kind: 'error'; readonly error: string };

/** One second of a phase (t = seconds since the phase's first send, the bucket [t, t+1)). */
export interface TimelineBucket {
  readonly t: number;
  /** Orders whose (intended) send time fell in the bucket. */
  readonly sent: number;
  /** Orders that ended in the bucket, by outcome. */
  readonly shipped: number;
  readonly cancelled: number;
  readonly errors: number;
  /** p99 end-to-end latency of the orders that ended in the bucket (ms; null when none did). */
  readonly p99Ms: number | null;
}

/** CPU (percent of one core) and resident memory of one process in one sample. */
export interface ProcessSample {
  readonly cpuPercent: number | null;
  readonly rssBytes: number | null;
}

/** One sample of every process of the system under test, the engines and the machine. */
export interface ResourceSample {
  /** Seconds since the phase's first send. */
  readonly t: number;
  /** By process name (pedidos, pagamentos, …, worker-pagamentos, …); null while it is down. */
  readonly processes: Readonly<Record<string, ProcessSample>>;
  /** Every `postgres` process together; RabbitMQ's beam.smp; the whole machine (percent of one core). */
  readonly postgres: number | null;
  readonly rabbitmq: number | null;
  readonly machine: number | null;
  /** The load generator itself. */
  readonly loadgen: number | null;
}

export interface ResourceSummary {
  readonly cpuMeanPercent: number | null;
  readonly cpuMaxPercent: number | null;
  readonly rssMaxBytes: number | null;
}

export interface ResourceSeries {
  readonly intervalMs: number;
  readonly samples: readonly ResourceSample[];
  /** Per process name, plus `postgres`, `rabbitmq`, `machine` and `loadgen` (CPU only). */
  readonly summary: Readonly<Record<string, ResourceSummary>>;
}

/** What the auditor found in the six databases once the phase had settled. */
export interface AuditFindings {
  /** Orders placed through the checkout (the seed's imported history excluded), by status. */
  readonly orders: Readonly<Record<string, number>>;
  /** Their payments by status (aprovado, rejeitado, estornado). */
  readonly payments: Readonly<Record<string, number>>;
  /** Units of the products the checkout sold, summed over products. */
  readonly stock: {
    readonly initial: number;
    /** On the shelf. */
    readonly available: number;
    /** Held by orders that are not shipped (yet). */
    readonly reserved: number;
    /** Held by shipped orders. */
    readonly sold: number;
  };
  /** How long the auditor waited for in-flight orders to end before checking, and how many did not. */
  readonly settledAfterSeconds: number;
  readonly unsettled: number;
  /** One line per broken invariant; [] when everything holds. */
  readonly violations: readonly string[];
}

/** A fault the scheduler injected, and when (seconds since the phase's first send). */
export interface FaultEvent {
  /** As given: e.g. `kill:pagamentos@10s+5s`, `pause:estoque@payments=100+3s`. */
  readonly spec: string;
  readonly action: 'kill' | 'pause';
  readonly service: string;
  /** The processes it hit (async runs a service as its HTTP process and/or its worker). */
  readonly processes: readonly string[];
  /** When it fired; for a logical trigger, the counter's value it saw then. */
  readonly firedAtS: number | null;
  readonly observed?: { readonly counter: string; readonly value: number };
  /** When the service was back (restarted and healthy, or resumed). */
  readonly restoredAtS: number | null;
  /** Why it did not fire or could not restore, if so. */
  readonly problem?: string;
}

/** One measured phase: an open-model step, a closed-model run, or a fault run. */
export interface PhaseResult {
  readonly label: string;
  readonly model: 'open' | 'closed';
  /** Open model: the arrival rate (orders/s). */
  readonly offeredRate: number | null;
  /** Closed model: clients, each sending its next order when the last ended. */
  readonly concurrency: number | null;
  /** Epoch ms of the first send. */
  readonly startedAt: number;
  /** Sending time (the phase's duration) and the window until the last order ended. */
  readonly sendSeconds: number;
  readonly windowSeconds: number;
  readonly sent: number;
  readonly shipped: number;
  readonly cancelled: number;
  readonly errors: number;
  readonly errorsByKind: Readonly<Record<string, number>>;
  readonly cancelledByReason: Readonly<Record<string, number>>;
  /** Orders that ended (any outcome) per second of the window. */
  readonly throughput: number;
  /** Shipped orders per second of the window. */
  readonly goodput: number;
  /**
   * From the intended send time to the end (sync: the answer; async: the terminal status), every
   * outcome included (an error counts with the time it took, a timeout with the timeout).
   */
  readonly endToEnd: HdrSummary;
  /** Async only: from the intended send time to the 202. */
  readonly accept: HdrSummary | null;
  /**
   * Async only: from the 202 to the terminal status (what the saga itself took). Optional: results
   * saved before it was measured lack it.
   */
  readonly afterAccept?: HdrSummary | null;
  /** The HDR histograms, compressed (base64), to merge or re-read later. */
  readonly histograms: {
    readonly endToEnd: string;
    readonly accept: string | null;
    readonly afterAccept?: string | null;
  };
  readonly timeline: readonly TimelineBucket[];
  readonly resources: ResourceSeries;
  readonly faults: readonly FaultEvent[];
  readonly audit: AuditFindings;
}

export interface TransportResults {
  readonly transport: LoadTransport;
  /** Seconds from spawning the processes until every /health answered. */
  readonly startupSeconds: number;
  /** The processes of the system under test, by name. */
  readonly processes: readonly string[];
  readonly open: {
    readonly steps: readonly PhaseResult[];
    /** The highest offered rate whose p99 met the target (null: not even the first). */
    readonly kneeRate: number | null;
    readonly kneeReason: string;
  };
  readonly closed: readonly PhaseResult[];
  /** One phase per fault scenario (open model at `faultRate`). */
  readonly faults: readonly PhaseResult[];
}

export interface CheckoutBenchSettings {
  readonly transports: readonly LoadTransport[];
  readonly seed: number;
  readonly payment: { readonly minMs: number; readonly maxMs: number; readonly rejection: number };
  readonly targetP99Ms: number;
  readonly rates: readonly number[];
  readonly stepSeconds: number;
  readonly concurrencies: readonly number[];
  readonly closedSeconds: number;
  /** Fault scenarios as given (`--fault`), and the hop latency (`--latency`). */
  readonly faults: readonly string[];
  readonly latency: string | null;
  readonly faultRate: number;
  readonly faultSeconds: number;
  readonly timeoutMs: number;
  readonly customers: number;
  readonly warmupOrders: number;
  readonly notes: readonly string[];
}

/** Lines of code behind each transport (entry points, clients, messaging), for the complexity discussion. */
export interface CodeSize {
  /** Per transport: files counted and their non-blank, non-comment lines. */
  readonly [transport: string]: { readonly files: readonly string[]; readonly lines: number };
}

export interface CheckoutBenchResults {
  readonly version: 1;
  readonly generatedAt: string;
  readonly machine: MachineInfo;
  readonly versions: { readonly node: string; readonly postgres: string; readonly rabbitmq: string };
  readonly settings: CheckoutBenchSettings;
  /** The same HTTP client against a hello-world server on this machine. */
  readonly baseline: { readonly rate: number; readonly p50Ms: number; readonly p99Ms: number };
  readonly transports: readonly TransportResults[];
  readonly codeSize: CodeSize;
  readonly totalSeconds: number;
}
