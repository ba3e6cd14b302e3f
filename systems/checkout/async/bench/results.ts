/**
 * The shape of docs/benchmarks/checkout-async.json (everything one run of
 * `npm run bench:checkout-async` measured) and the pure computations on it: distributions,
 * rates, speed-ups.
 */
import { ratio, summarizeAt, type MachineInfo, type Summary } from '@dslab/bench-kit';
import type { CheckoutAsyncBenchOptions, PaymentSettings } from './options.js';

export { MESSAGES_PER_ORDER } from './saga.js';

/** A distribution of durations in ms: count, mean, p50, p95, p99 (nearest rank) and max. */
export type Distribution = Summary<50 | 95 | 99>;

export function distribution(values: readonly number[]): Distribution {
  return summarizeAt(values, [50, 95, 99]);
}

/** `count` things over `seconds`; NaN when the span is not positive. */
export function perSecond(count: number, seconds: number): number {
  return seconds > 0 ? count / seconds : Number.NaN;
}

/** One order as PostgreSQL holds it at the end of a run. */
export interface OrderTimes {
  readonly status: string;
  /** ISO-8601: when the API created it (in the transaction answered with 202). */
  readonly data_criacao: string;
  /** ISO-8601: its last change (for a terminal order, when it became terminal). */
  readonly atualizado_em: string;
}

/**
 * From the orders' own timestamps: the end-to-end time of each (created → terminal), and when
 * the last one became terminal (epoch ms). Non-terminal orders are left out.
 */
export function endToEnd(orders: readonly OrderTimes[]): { durationsMs: number[]; lastTerminalAt: number } {
  const durationsMs: number[] = [];
  let lastTerminalAt = Number.NaN;
  for (const order of orders) {
    if (order.status !== 'enviado' && order.status !== 'cancelado') continue;
    const created = Date.parse(order.data_criacao);
    const finished = Date.parse(order.atualizado_em);
    if (!Number.isFinite(created) || !Number.isFinite(finished)) continue;
    durationsMs.push(finished - created);
    if (!(finished <= lastTerminalAt)) lastTerminalAt = finished;
  }
  return { durationsMs, lastTerminalAt };
}

/** CPU over a measured window, each in percent of one core (200 % = both cores of a 2-core machine). */
export interface CpuUsage {
  /** Each worker process. */
  workers: (number | null)[];
  workersTotal: number | null;
  /** The benchmark process: the pedidos API, its outbox relay, the HTTP client and the polling. */
  bench: number;
  /** Every `postgres` process on the machine (backends that exited included). */
  postgres: number | null;
  /** RabbitMQ's `beam.smp`. */
  rabbitmq: number | null;
  /** The whole machine (every process, other users' too). */
  machine: number | null;
}

/** The headline figures of one measured batch, and how disturbed the machine was. */
export interface RepeatFigures {
  completionRate: number;
  acceptanceRate: number;
  endToEndP50Ms: number;
  machineCpu: number | null;
  /** Machine CPU none of the measured processes used (other work on the machine). */
  otherCpu: number | null;
  /** How long the batch waited for a quiet machine before it started. */
  quietWaitSeconds: number;
}

/**
 * One measured run: N workers, K orders placed at once, followed until every one is terminal.
 * With several batches per configuration, the one with the median completion rate.
 */
export interface ScenarioResult {
  workers: number;
  payment: PaymentSettings;
  orders: number;
  /** From spawning the workers to every one answering /health (in parallel). */
  startupSeconds: number;
  /** The POSTs: first sent → last 202 read. */
  acceptance: { seconds: number; rate: number; latencyMs: Distribution; statuses: Record<string, number> };
  /** First POST sent → the last order terminal (its atualizado_em in PostgreSQL). */
  completion: { seconds: number; rate: number };
  /** Per order, data_criacao → atualizado_em of its terminal state. */
  endToEndMs: Distribution;
  /** The measured orders by status at the end. */
  statuses: Record<string, number>;
  /** Inbox rows (mensagens_processadas) of the five consumers ÷ every order of the namespace. */
  messagesPerOrder: number | null;
  /** Dead letters and retrying messages left in the namespace's queues (should be 0). */
  deadLetters: number;
  retrying: number;
  /** The sampled window: first POST → every order seen terminal. */
  windowSeconds: number;
  cpu: CpuUsage;
  /** Peak RSS of each worker during the window. */
  workersMaxRssBytes: (number | null)[];
  /** How long the batch waited for a quiet machine before it started. */
  quietWaitSeconds: number;
  /** Which batch of the configuration this is (0-based), and every batch's figures, in order. */
  repeat: number;
  repeats: RepeatFigures[];
}

export function figuresOf(batch: ScenarioResult): RepeatFigures {
  return {
    completionRate: batch.completion.rate,
    acceptanceRate: batch.acceptance.rate,
    endToEndP50Ms: batch.endToEndMs.p50,
    machineCpu: batch.cpu.machine,
    otherCpu: otherCpu(batch.cpu),
    quietWaitSeconds: batch.quietWaitSeconds,
  };
}

/** Machine CPU that none of the measured processes used: other work on the machine during the window. */
export function otherCpu(cpu: CpuUsage): number | null {
  if (cpu.machine === null) return null;
  const ours = sumKnown([cpu.workersTotal, cpu.bench, cpu.postgres, cpu.rabbitmq]) ?? 0;
  return Math.max(0, cpu.machine - ours);
}

/**
 * The batch with the median completion rate (the lower middle one of an even count) among the
 * clean ones — the rest of the machine used less than `cleanBelow` % of a core during the batch —
 * or among all when none was clean; it carries every batch's figures so the spread stays visible.
 */
export function medianRun(
  batches: readonly ScenarioResult[],
  cleanBelow = Number.POSITIVE_INFINITY,
): ScenarioResult {
  const clean = batches.filter((batch) => (otherCpu(batch.cpu) ?? 0) < cleanBelow);
  const sorted = [...(clean.length > 0 ? clean : batches)].sort(
    (a, b) => a.completion.rate - b.completion.rate,
  );
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (median === undefined) throw new Error('no batch to choose from');
  return { ...median, repeats: [...batches].sort((a, b) => a.repeat - b.repeat).map(figuresOf) };
}

/** The raw RabbitMQ round trip: publish with confirms, consume, ack; one queue, one consumer. */
export interface BrokerBaseline {
  messages: number;
  /** Publishes in flight at once (each waits for its confirm). */
  concurrency: number;
  /** The consumer's prefetch. */
  prefetch: number;
  /** Approximate body size (a real PROCESSAR_PAGAMENTO envelope). */
  bodyBytes: number;
  /** First publish → last message consumed. */
  seconds: number;
  /** Messages through the broker per second. */
  rate: number;
  /** Publish sent → handler called, per message. */
  latencyMs: Distribution;
  /** CPU of RabbitMQ and of the benchmark process during the round trip (percent of one core). */
  cpu: { rabbitmq: number | null; bench: number };
}

/** A hello-world HTTP server, driven by the same client at the same concurrency as the orders. */
export interface HttpBaseline {
  requests: number;
  concurrency: number;
  seconds: number;
  rate: number;
  latencyMs: Distribution;
  serverCpuPercent: number | null;
}

export interface CheckoutAsyncBenchResults {
  machine: MachineInfo;
  versions: { node: string; postgres: string; rabbitmq: string };
  settings: Omit<CheckoutAsyncBenchOptions, 'outDir'> & {
    /** Engine URLs without credentials. */
    engines: { postgres: string; amqp: string };
    /** Which engine URLs were development defaults. */
    defaults: string[];
    notes: string[];
  };
  baselines: { http: HttpBaseline; broker: BrokerBaseline };
  runs: ScenarioResult[];
  totalSeconds: number;
}

/** "payment 50–150 ms" (and the refusal rate when there is one): the series a run belongs to. */
export function paymentLabel(payment: PaymentSettings): string {
  const latency =
    payment.maxMs === 0
      ? 'payment 0 ms'
      : payment.minMs === payment.maxMs
        ? `payment ${payment.minMs} ms`
        : `payment ${payment.minMs}–${payment.maxMs} ms`;
  return payment.rejection > 0 ? `${latency}, ${(payment.rejection * 100).toFixed(0)} % refused` : latency;
}

export interface SpeedUp {
  run: ScenarioResult;
  /** The run it is compared with: the fewest workers of the same series (N=1 by default). */
  reference: ScenarioResult;
  /** Completion rate ÷ the reference's. */
  speedUp: number | null;
  /** Speed-up ÷ the ratio of worker counts (1 = linear scaling). */
  efficiency: number | null;
}

/**
 * Each run's completion rate against the run with the fewest workers of the same payment series
 * (the speed-up vs N=1 when N=1 was measured), and how close that is to linear.
 */
export function speedUps(runs: readonly ScenarioResult[]): SpeedUp[] {
  return runs.map((run) => {
    const label = paymentLabel(run.payment);
    const reference = runs
      .filter((other) => paymentLabel(other.payment) === label)
      .reduce((best, other) => (other.workers < best.workers ? other : best), run);
    const speedUp = ratio(run.completion.rate, reference.completion.rate);
    return {
      run,
      reference,
      speedUp,
      efficiency: speedUp === null ? null : speedUp / (run.workers / reference.workers),
    };
  });
}

/** Sum of the values that are known; null when none is. */
export function sumKnown(values: readonly (number | null | undefined)[]): number | null {
  const known = values.filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}
