/**
 * Made-up results of `npm run bench:checkout` for the report's tests: three transports, four
 * open-model steps each (gRPC and REST break the p99 target at 80/s, async meets it everywhere),
 * two closed-model runs, two fault phases (a kill at a time — gRPC cancels the orders cleanly,
 * REST cancels and errs, async ships them late —, a pause after the 60th payment) and a
 * hop-latency phase. Fixed, round values, so a test can say which sentence they must produce.
 */
import { syntheticMachineInfo } from '@dslab/bench-kit';
import type {
  AuditFindings,
  CheckoutBenchResults,
  FaultEvent,
  HdrSummary,
  LoadTransport,
  PhaseResult,
  ResourceSeries,
  TimelineBucket,
  TransportResults,
} from '../src/results.js';

export const SYNC_PROCESSES = ['pedidos', 'pagamentos', 'estoque', 'fiscal', 'logistica', 'catalogo'];
export const ASYNC_PROCESSES = [
  'estoque',
  'catalogo',
  'pedidos',
  'worker-pedidos',
  'worker-pagamentos',
  'worker-estoque',
  'worker-fiscal',
  'worker-logistica',
];

export function hdr(p50: number, p99: number, count: number): HdrSummary {
  if (count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count,
    min: p50 / 2,
    mean: p50 * 1.25,
    p50,
    p90: (p50 + p99) / 2,
    p99,
    p999: p99 * 1.2,
    max: p99 * 1.5,
  };
}

/** CPU (percent of one core) each process spends per order/s of load. */
const CPU_PER_RATE: Readonly<Record<LoadTransport, Readonly<Record<string, number>>>> = {
  grpc: { pedidos: 0.6, pagamentos: 0.2, estoque: 0.25, fiscal: 0.2, logistica: 0.2, catalogo: 0.15 },
  rest: { pedidos: 0.8, pagamentos: 0.26, estoque: 0.32, fiscal: 0.26, logistica: 0.26, catalogo: 0.2 },
  async: {
    estoque: 0.1,
    catalogo: 0.1,
    pedidos: 0.3,
    'worker-pedidos': 0.5,
    'worker-pagamentos': 0.35,
    'worker-estoque': 0.35,
    'worker-fiscal': 0.35,
    'worker-logistica': 0.35,
  },
};

export function resources(transport: LoadTransport, rate: number): ResourceSeries {
  const perRate = CPU_PER_RATE[transport];
  const processes = Object.keys(perRate);
  const cpu = (name: string) => Math.round((perRate[name] ?? 0) * rate * 10) / 10;
  const rss = (i: number) => (80 + i * 5 + rate / 2) * 2 ** 20;
  const postgres = Math.round(rate * (transport === 'async' ? 1.6 : 0.8) * 10) / 10;
  const rabbitmq = Math.round(rate * (transport === 'async' ? 0.5 : 0.02) * 10) / 10;
  const loadgen = Math.round(rate * 0.15 * 10) / 10;
  const machine = processes.reduce((n, p) => n + cpu(p), 0) + postgres + rabbitmq + loadgen + 5;
  const summary: Record<string, ResourceSeries['summary'][string]> = {};
  processes.forEach((name, i) => {
    summary[name] = { cpuMeanPercent: cpu(name), cpuMaxPercent: cpu(name) * 1.5, rssMaxBytes: rss(i) };
  });
  summary.postgres = { cpuMeanPercent: postgres, cpuMaxPercent: postgres * 1.5, rssMaxBytes: null };
  summary.rabbitmq = { cpuMeanPercent: rabbitmq, cpuMaxPercent: rabbitmq * 1.5, rssMaxBytes: null };
  summary.machine = { cpuMeanPercent: machine, cpuMaxPercent: machine * 1.2, rssMaxBytes: null };
  summary.loadgen = { cpuMeanPercent: loadgen, cpuMaxPercent: loadgen * 1.5, rssMaxBytes: null };
  const sample = (t: number) => ({
    t,
    processes: Object.fromEntries(processes.map((p, i) => [p, { cpuPercent: cpu(p), rssBytes: rss(i) }])),
    postgres,
    rabbitmq,
    machine,
    loadgen,
  });
  return { intervalMs: 500, samples: [sample(0.5), sample(1)], summary };
}

export function cleanAudit(shipped: number, cancelled: number): AuditFindings {
  const sold = shipped * 2;
  return {
    orders: { enviado: shipped, cancelado: cancelled },
    payments: { aprovado: shipped, rejeitado: cancelled },
    stock: { initial: 50_000, available: 50_000 - sold, reserved: 0, sold },
    settledAfterSeconds: 0.4,
    unsettled: 0,
    violations: [],
  };
}

/** `seconds` one-second buckets with `perSecond` arrivals, every order ending in its second unless `override` says otherwise. */
export function steadyTimeline(
  seconds: number,
  perSecond: number,
  p99Ms: number,
  override: (t: number) => Partial<TimelineBucket> = () => ({}),
): TimelineBucket[] {
  return Array.from({ length: seconds }, (_, t) => {
    const cancelled = Math.round(perSecond / 10);
    return {
      t,
      sent: perSecond,
      shipped: perSecond - cancelled,
      cancelled,
      errors: 0,
      p99Ms,
      ...override(t),
    };
  });
}

interface PhaseOptions {
  transport: LoadTransport;
  label: string;
  model: 'open' | 'closed';
  rate: number | null;
  concurrency?: number;
  seconds: number;
  sent: number;
  errors?: number;
  errorsByKind?: Record<string, number>;
  throughput: number;
  p50: number;
  p99: number;
  accept?: { p50: number; p99: number } | null;
  timeline?: TimelineBucket[];
  faults?: FaultEvent[];
  resourceRate?: number;
  /** The cancellations by reason (default: a tenth of the orders without error, all `pagamento rejeitado`). */
  cancelledByReason?: Record<string, number>;
}

/** The reason a cancellation has when the payment simulator declines (a business refusal). */
export const REJECTED = 'pagamento rejeitado';

export function phase(o: PhaseOptions): PhaseResult {
  const errors = o.errors ?? 0;
  const cancelledByReason = o.cancelledByReason ?? { [REJECTED]: Math.round((o.sent - errors) / 10) };
  const cancelled = Object.values(cancelledByReason).reduce((a, b) => a + b, 0);
  const shipped = o.sent - errors - cancelled;
  const windowSeconds = o.sent / o.throughput;
  const timeline =
    o.timeline ??
    steadyTimeline(o.seconds, Math.round(o.sent / o.seconds), o.p99, (t) =>
      t === o.seconds - 1 ? { errors } : {},
    );
  return {
    label: o.label,
    model: o.model,
    offeredRate: o.rate,
    concurrency: o.concurrency ?? null,
    startedAt: 1_800_000_000_000,
    sendSeconds: o.seconds,
    windowSeconds,
    sent: o.sent,
    shipped,
    cancelled,
    errors,
    errorsByKind: o.errorsByKind ?? {},
    cancelledByReason: Object.fromEntries(Object.entries(cancelledByReason).filter(([, n]) => n > 0)),
    throughput: o.throughput,
    goodput: shipped / windowSeconds,
    endToEnd: hdr(o.p50, o.p99, o.sent),
    accept: o.accept == null ? null : hdr(o.accept.p50, o.accept.p99, o.sent),
    // The saga's own time: what the end-to-end adds to the 202.
    afterAccept: o.accept == null ? null : hdr(o.p50 - o.accept.p50, o.p99 - o.accept.p99, o.sent),
    histograms: {
      endToEnd: 'HISTFAAAACB4nJNpmSzMwMDAwQABzFAaAAM6AG8=',
      accept: o.accept == null ? null : 'HISTFAAAACB4nJNpmSzMwMDAwQABzFAaAAM6AG8=',
    },
    timeline,
    resources: resources(o.transport, o.resourceRate ?? o.rate ?? o.throughput),
    faults: o.faults ?? [],
    audit: cleanAudit(shipped, cancelled),
  };
}

const RATES = [10, 20, 40, 80];
const STEP_SECONDS = 10;

interface TransportShape {
  transport: LoadTransport;
  p50: number[];
  p99: number[];
  /** Throughput per step. */
  throughput: number[];
  errorsAt80: number;
  errorsAt80Kind: string;
  kneeRate: number | null;
  kneeReason: string;
  accept: { p50: number; p99: number } | null;
  closed: { concurrency: number; throughput: number; p50: number; p99: number }[];
  kill: {
    fired: number;
    restored: number;
    /** The seconds that differ from the steady 18 shipped + 2 cancelled of 20 arrivals, by t. */
    seconds: Readonly<Record<number, Partial<TimelineBucket>>>;
    /** Of the phase's cancellations, how many the fault caused (the rest are `pagamento rejeitado`). */
    faultCancelled: number;
    kinds: Record<string, number>;
    processes: string[];
    worstP99: number;
  };
  pause: {
    fired: number;
    restored: number;
    errors: number;
    kinds: Record<string, number>;
    processes: string[];
  };
  latency: { p50: number; p99: number };
}

const FAULT_RATE = 20;
const FAULT_SECONDS = 15;
export const KILL = 'kill:pagamentos@5s+3s';
export const PAUSE = 'pause:estoque@payments=60+2s';
export const LATENCY = 'pagamentos=200ms';

/** The reason pedidos gives an order it cancels because pagamentos could not be reached. */
export const UNREACHABLE = 'pagamento não processado';

/**
 * `kill:pagamentos`: gRPC cancels the orders that arrive while pagamentos is down, cleanly (no
 * error), REST cancels some and errs on others, async ships them late (they wait in the queue and
 * drain after the restore). The phase's totals are the timeline's.
 */
function killPhase(s: TransportShape): PhaseResult {
  const { fired, restored, worstP99 } = s.kill;
  const timeline = steadyTimeline(FAULT_SECONDS, FAULT_RATE, 20, (t) => s.kill.seconds[t] ?? {});
  const total = (pick: (b: TimelineBucket) => number) => timeline.reduce((n, b) => n + pick(b), 0);
  const errors = total((b) => b.errors);
  const cancelled = total((b) => b.cancelled);
  return phase({
    transport: s.transport,
    label: `fault ${KILL}`,
    model: 'open',
    rate: FAULT_RATE,
    seconds: FAULT_SECONDS,
    sent: FAULT_RATE * FAULT_SECONDS,
    errors,
    errorsByKind: s.kill.kinds,
    cancelledByReason: {
      [REJECTED]: cancelled - s.kill.faultCancelled,
      [UNREACHABLE]: s.kill.faultCancelled,
    },
    throughput: 19.5,
    p50: s.p50[1] ?? 0,
    p99: worstP99,
    accept: s.accept,
    timeline,
    faults: [
      {
        spec: KILL,
        action: 'kill',
        service: 'pagamentos',
        processes: s.kill.processes,
        firedAtS: fired,
        restoredAtS: restored,
      },
    ],
  });
}

function pausePhase(s: TransportShape): PhaseResult {
  const { fired, restored, errors } = s.pause;
  // The second after the pause holds the stalled orders: the phase's worst p99, and its errors.
  const timeline = steadyTimeline(FAULT_SECONDS, FAULT_RATE, 25, (t) =>
    t === Math.floor(fired) + 1
      ? { shipped: FAULT_RATE - errors - 1, cancelled: 1, errors, p99Ms: 2000 }
      : {},
  );
  return phase({
    transport: s.transport,
    label: `fault ${PAUSE}`,
    model: 'open',
    rate: FAULT_RATE,
    seconds: FAULT_SECONDS,
    sent: FAULT_RATE * FAULT_SECONDS,
    errors,
    errorsByKind: s.pause.kinds,
    throughput: 19.8,
    p50: s.p50[1] ?? 0,
    p99: 2000,
    accept: s.accept,
    timeline,
    faults: [
      {
        spec: PAUSE,
        action: 'pause',
        service: 'estoque',
        processes: s.pause.processes,
        firedAtS: fired,
        observed: { counter: 'payments', value: 60 },
        restoredAtS: restored,
      },
    ],
  });
}

function transport(s: TransportShape): TransportResults {
  const steps = RATES.map((rate, i) =>
    phase({
      transport: s.transport,
      label: `open ${rate}/s`,
      model: 'open',
      rate,
      seconds: STEP_SECONDS,
      sent: rate * STEP_SECONDS,
      errors: rate === 80 ? s.errorsAt80 : 0,
      errorsByKind: rate === 80 && s.errorsAt80 > 0 ? { [s.errorsAt80Kind]: s.errorsAt80 } : {},
      throughput: s.throughput[i] ?? rate,
      p50: s.p50[i] ?? 0,
      p99: s.p99[i] ?? 0,
      accept: s.accept,
    }),
  );
  const closed = s.closed.map((c) =>
    phase({
      transport: s.transport,
      label: `closed ${c.concurrency} client(s)`,
      model: 'closed',
      rate: null,
      concurrency: c.concurrency,
      seconds: STEP_SECONDS,
      sent: Math.round(c.throughput * STEP_SECONDS),
      throughput: c.throughput,
      p50: c.p50,
      p99: c.p99,
      accept: s.accept,
      resourceRate: c.throughput,
    }),
  );
  const latency = phase({
    transport: s.transport,
    label: `latency ${LATENCY}`,
    model: 'open',
    rate: FAULT_RATE,
    seconds: FAULT_SECONDS,
    sent: FAULT_RATE * FAULT_SECONDS,
    throughput: 19.9,
    p50: s.latency.p50,
    p99: s.latency.p99,
    accept: s.accept,
  });
  return {
    transport: s.transport,
    startupSeconds: s.transport === 'async' ? 9.5 : 6.2,
    processes: s.transport === 'async' ? ASYNC_PROCESSES : SYNC_PROCESSES,
    open: { steps, kneeRate: s.kneeRate, kneeReason: s.kneeReason },
    closed,
    faults: [killPhase(s), pausePhase(s), latency],
  };
}

export const SHAPES: readonly TransportShape[] = [
  {
    transport: 'grpc',
    p50: [4.2, 4.8, 6.5, 30],
    p99: [12, 15, 40, 1500],
    throughput: [9.9, 19.8, 39.6, 72],
    errorsAt80: 12,
    errorsAt80Kind: 'timeout',
    kneeRate: 40,
    kneeReason: 'p99 1500 ms > 1000 ms at 80/s',
    accept: null,
    closed: [
      { concurrency: 4, throughput: 60, p50: 60, p99: 120 },
      { concurrency: 16, throughput: 70, p50: 200, p99: 450 },
    ],
    kill: {
      fired: 5,
      restored: 8.4,
      // Cancelled at once while pagamentos is down; the second of the restore is half back.
      seconds: {
        5: { shipped: 0, cancelled: 20, p99Ms: 120 },
        6: { shipped: 0, cancelled: 20, p99Ms: 120 },
        7: { shipped: 0, cancelled: 20, p99Ms: 120 },
        8: { shipped: 8, cancelled: 12, p99Ms: 120 },
      },
      faultCancelled: 70,
      kinds: {},
      processes: ['pagamentos'],
      worstP99: 120,
    },
    pause: {
      fired: 3.2,
      restored: 5.2,
      errors: 8,
      kinds: { 'grpc-DEADLINE_EXCEEDED': 8 },
      processes: ['estoque'],
    },
    latency: { p50: 250, p99: 320 },
  },
  {
    transport: 'rest',
    p50: [5.6, 6.1, 9, 80],
    p99: [18, 22, 60, 2400],
    throughput: [9.9, 19.8, 39.5, 65],
    errorsAt80: 30,
    errorsAt80Kind: 'http-504',
    kneeRate: 40,
    kneeReason: 'p99 2400 ms > 1000 ms at 80/s',
    accept: null,
    closed: [
      { concurrency: 4, throughput: 50, p50: 75, p99: 150 },
      { concurrency: 16, throughput: 55, p50: 280, p99: 600 },
    ],
    kill: {
      fired: 5,
      restored: 8.6,
      // Some cancelled, some in error; the second after the restore still has errors.
      seconds: {
        5: { shipped: 0, cancelled: 14, errors: 6, p99Ms: 150 },
        6: { shipped: 0, cancelled: 14, errors: 6, p99Ms: 150 },
        7: { shipped: 0, cancelled: 14, errors: 6, p99Ms: 150 },
        8: { shipped: 6, cancelled: 10, errors: 4, p99Ms: 150 },
        9: { shipped: 16, cancelled: 2, errors: 2, p99Ms: 150 },
      },
      faultCancelled: 50,
      kinds: { 'http-503': 20, ECONNRESET: 4 },
      processes: ['pagamentos'],
      worstP99: 150,
    },
    pause: { fired: 3.3, restored: 5.3, errors: 10, kinds: { 'http-504': 10 }, processes: ['estoque'] },
    latency: { p50: 260, p99: 340 },
  },
  {
    transport: 'async',
    p50: [35, 37, 42, 55],
    p99: [90, 95, 120, 300],
    throughput: [9.9, 19.8, 39.7, 79.2],
    errorsAt80: 0,
    errorsAt80Kind: 'timeout',
    kneeRate: 80,
    kneeReason: 'every step met the target (highest 80/s)',
    accept: { p50: 2.1, p99: 6.3 },
    closed: [
      { concurrency: 4, throughput: 45, p50: 85, p99: 250 },
      { concurrency: 16, throughput: 75, p50: 210, p99: 600 },
    ],
    kill: {
      fired: 5,
      restored: 8.5,
      // The orders wait in the queue while the worker is down (few end), then drain.
      seconds: {
        5: { shipped: 1, cancelled: 1, p99Ms: 1900 },
        6: { shipped: 1, cancelled: 1, p99Ms: 1900 },
        7: { shipped: 1, cancelled: 1, p99Ms: 1900 },
        8: { shipped: 1, cancelled: 1, p99Ms: 1900 },
        9: { shipped: 36, cancelled: 4, p99Ms: 3800 },
        10: { shipped: 36, cancelled: 4, p99Ms: 3800 },
        11: { shipped: 36, cancelled: 4, p99Ms: 3000 },
        12: { shipped: 29, cancelled: 3, p99Ms: 1500 },
      },
      faultCancelled: 0,
      kinds: {},
      processes: ['worker-pagamentos'],
      worstP99: 3800,
    },
    pause: {
      fired: 3.1,
      restored: 5.1,
      errors: 0,
      kinds: {},
      processes: ['estoque', 'worker-estoque'],
    },
    latency: { p50: 240, p99: 290 },
  },
];

export function syntheticResults(): CheckoutBenchResults {
  return {
    version: 1,
    generatedAt: '2027-01-01T01:00:00.000Z',
    machine: { ...syntheticMachineInfo(), cores: 4 },
    versions: { node: 'v20.20.2', postgres: '15.14', rabbitmq: '3.12.1' },
    settings: {
      transports: ['grpc', 'rest', 'async'],
      seed: 42,
      payment: { minMs: 20, maxMs: 80, rejection: 0.1 },
      targetP99Ms: 1000,
      rates: RATES,
      stepSeconds: STEP_SECONDS,
      concurrencies: [4, 16],
      closedSeconds: STEP_SECONDS,
      faults: [KILL, PAUSE],
      latency: LATENCY,
      faultRate: FAULT_RATE,
      faultSeconds: FAULT_SECONDS,
      timeoutMs: 30_000,
      customers: 12,
      warmupOrders: 40,
      notes: ['Synthetic results for the report tests'],
    },
    baseline: { rate: 9000, p50Ms: 1.1, p99Ms: 4.5 },
    transports: SHAPES.map(transport),
    codeSize: {
      grpc: {
        files: ['contracts/proto/checkout/v1/pedidos.proto', 'packages/grpc-kit/src/server.ts'],
        lines: 1200,
      },
      rest: { files: ['packages/http-kit/src/app.ts'], lines: 950 },
      async: { files: ['packages/outbox/src/relay.ts', 'systems/checkout/kit/src/worker.ts'], lines: 4100 },
      sync: { files: ['systems/checkout/pedidos/src/application/pedidos-service.ts'], lines: 420 },
      shared: { files: ['systems/checkout/estoque/src/domain/reserva.ts'], lines: 6000 },
    },
    totalSeconds: 1234.5,
  };
}

/** A deep copy to change one value in (the fixture's objects are readonly). */
export function mutableCopy(results: CheckoutBenchResults): Mutable<CheckoutBenchResults> {
  return structuredClone(results) as Mutable<CheckoutBenchResults>;
}

export type Mutable<T> = T extends readonly (infer U)[]
  ? Mutable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;
