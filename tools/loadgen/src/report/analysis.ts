/**
 * The figures the report's text quotes, computed from the saved results (pure). Every number of
 * RELATORIO-checkout.md comes from here or straight from the results; the qualitative sentences
 * are chosen from these figures (which transport was faster, whether a fault left errors…), so a
 * rerun on another machine says what that run saw.
 */
import type {
  AuditFindings,
  CheckoutBenchResults,
  FaultEvent,
  HdrSummary,
  LoadTransport,
  PhaseResult,
  TimelineBucket,
  TransportResults,
} from '../results.js';

/** How the report names each transport. */
export const TRANSPORT_LABELS: Readonly<Record<LoadTransport, string>> = {
  grpc: 'gRPC',
  rest: 'REST',
  async: 'assíncrono',
};

export function transportLabel(transport: string): string {
  return (TRANSPORT_LABELS as Readonly<Record<string, string>>)[transport] ?? transport;
}

/** End-to-end (or 202) latency of a phase; null when no order ended in it. */
export interface Latency {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export function latencyOf(summary: HdrSummary | null): Latency | null {
  if (summary === null || summary.count === 0) return null;
  const { mean, p50, p90, p99, max } = summary;
  return { mean, p50, p90, p99, max };
}

/**
 * The reasons of the cancellations that happen with no fault at all: the business refusing the
 * order. A reason is the head of the order's motivo (drivers.ts `reasonOf`: the text before its
 * first colon); pedidos writes `pagamento rejeitado: …` when the payment is declined and
 * `estoque insuficiente: …` when the stock runs out. Any other reason (`pagamento não processado`,
 * `estoque não separado`, `… sem resposta`, …) is a step that could not run: an order lost to a
 * fault.
 */
export const BUSINESS_CANCEL_REASONS: readonly string[] = ['pagamento rejeitado', 'estoque insuficiente'];

export function isBusinessCancellation(reason: string): boolean {
  return BUSINESS_CANCEL_REASONS.includes(reason);
}

/** The figures of one phase that every table shows. */
export interface PhaseFigures {
  readonly phase: PhaseResult;
  readonly label: string;
  readonly sent: number;
  readonly ended: number;
  readonly shipped: number;
  readonly cancelled: number;
  readonly errors: number;
  /** errors ÷ ended (null when nothing ended). */
  readonly errorRatio: number | null;
  /** Cancellations for a reason in BUSINESS_CANCEL_REASONS, and for any other reason. */
  readonly businessCancelled: number;
  readonly faultCancelled: number;
  /** The latter by reason, most frequent first. */
  readonly faultCancelledByReason: readonly (readonly [string, number])[];
  /** Orders lost (not shipped because something failed): errors + faultCancelled. */
  readonly lost: number;
  /** lost ÷ sent (null when nothing was sent). */
  readonly lostShare: number | null;
  /** shipped ÷ ended (null when nothing ended). */
  readonly shippedShare: number | null;
  readonly throughput: number;
  readonly goodput: number;
  readonly latency: Latency | null;
  /** Async: send → 202. */
  readonly accept: Latency | null;
  /** Async: 202 → terminal status (absent from results saved before it was measured). */
  readonly afterAccept: Latency | null;
}

/** An open-model step (offeredRate set). */
export interface StepFigures extends PhaseFigures {
  readonly rate: number;
}

/** A closed-model run, with Little's law's mean latency (clients ÷ throughput) next to the measured one. */
export interface ClosedFigures extends PhaseFigures {
  readonly concurrency: number;
  readonly littleMeanMs: number | null;
}

export interface ProcessFigures {
  readonly name: string;
  readonly cpuMeanPercent: number | null;
  readonly cpuMaxPercent: number | null;
  readonly rssMaxBytes: number | null;
}

/** CPU and memory of one phase (the knee step, or the last step when there is no knee). */
export interface ResourceFigures {
  readonly phaseLabel: string;
  readonly rate: number | null;
  /** The system under test's processes, in the order the results list them. */
  readonly processes: readonly ProcessFigures[];
  /** Sum of the processes' mean CPU (percent of one core); null when none was measured. */
  readonly sutCpuPercent: number | null;
  readonly sutRssBytes: number | null;
  readonly postgresCpuPercent: number | null;
  readonly rabbitmqCpuPercent: number | null;
  readonly machineCpuPercent: number | null;
  readonly loadgenCpuPercent: number | null;
  /** machine ÷ (cores × 100 %). */
  readonly machineShare: number | null;
  /** CPU time per ended order (ms): the processes together, PostgreSQL, RabbitMQ. */
  readonly sutCpuMsPerOrder: number | null;
  readonly postgresCpuMsPerOrder: number | null;
  readonly rabbitmqCpuMsPerOrder: number | null;
  readonly busiest: ProcessFigures | null;
}

/** One fault (or hop-latency) phase of one transport. */
export interface FaultFigures extends PhaseFigures {
  readonly transport: LoadTransport;
  readonly kind: 'fault' | 'latency';
  readonly events: readonly FaultEvent[];
  /** The first event's times (seconds since the phase's first send). */
  readonly firedAtS: number | null;
  readonly restoredAtS: number | null;
  readonly problems: readonly string[];
  /**
   * Orders that arrived, and that ended by outcome, in the seconds overlapping [fired, restored]
   * (to the end when never restored); null when the fault never fired.
   */
  readonly sentDuringFault: number | null;
  readonly shippedDuringFault: number | null;
  readonly cancelledDuringFault: number | null;
  readonly errorsDuringFault: number | null;
  /** Error kinds, most frequent first. */
  readonly errorKinds: readonly (readonly [string, number])[];
  /** The time-resolved recovery (see recoveryOf), and its seconds when it recovered (else null). */
  readonly recovery: Recovery;
  readonly recoveredAfterS: number | null;
  /**
   * The shipped share (of the ended orders) a second must reach to count as recovered: the
   * reference's (or, without one, the seconds before the fault's) minus RECOVERY_TOLERANCE.
   */
  readonly recoveryThreshold: number | null;
  readonly recoveryBaseline: 'reference' | 'before-fault' | null;
  /** The worst p99 of a one-second bucket of the phase. */
  readonly worstSecondP99Ms: number | null;
  /** The same transport's open-model step at the phase's rate (the fault-free reference), if run. */
  readonly reference: StepFigures | null;
  /** Phase ÷ reference: goodput, and end-to-end p99 (null without a reference or a figure). */
  readonly goodputRatio: number | null;
  readonly p99Ratio: number | null;
  readonly violations: number;
}

/**
 * When a fault phase got back to normal, judged second by second. The timeline has no
 * cancellation reasons, so the rule uses the shipped share: the first whole second of the send
 * period starting at or after the restore in which at least one order ended, none in error, and
 * the share of the ended orders that shipped reached the baseline's minus RECOVERY_TOLERANCE.
 * - recovered: `afterS` from the restore to that second (which starts at `atS`);
 * - not-recovered: whole seconds came after the restore, none met the rule before sending stopped;
 * - too-soon: the sending stopped less than a whole second after the restore: nothing to judge;
 * - not-restored: the service was never back; no-baseline: no share to compare against.
 */
export type Recovery =
  | {
      readonly status: 'recovered';
      readonly afterS: number;
      readonly atS: number;
      readonly shippedShare: number;
    }
  | { readonly status: 'not-recovered' }
  | { readonly status: 'too-soon' }
  | { readonly status: 'not-restored' }
  | { readonly status: 'no-baseline' };

/** How far (absolute share) below the baseline's shipped share a second may be and still count as recovered. */
export const RECOVERY_TOLERANCE = 0.15;

/** How many times the reference p99 a fault phase's p99 must reach to say the fault delayed the orders. */
export const DELAY_P99_FACTOR = 2;

/** How far (absolute share of the orders) above the reference's a phase's lost share may be and still count as "few lost". */
export const DELAY_LOST_TOLERANCE = 0.05;

export interface AuditSummary {
  readonly phases: number;
  readonly violations: number;
  readonly unsettled: number;
  /** Phases with at least one violation or an unsettled order. */
  readonly troubled: readonly { readonly label: string; readonly audit: AuditFindings }[];
}

export interface TransportFigures {
  readonly transport: LoadTransport;
  readonly label: string;
  readonly results: TransportResults;
  readonly steps: readonly StepFigures[];
  /** The lowest offered rate's step. */
  readonly lowLoad: StepFigures | null;
  readonly kneeRate: number | null;
  readonly kneeReason: string;
  /** The step at the knee rate, and the one after it (the first that failed), if any. */
  readonly kneeStep: StepFigures | null;
  readonly afterKnee: StepFigures | null;
  /** The step with the highest achieved throughput. */
  readonly peak: StepFigures | null;
  readonly closed: readonly ClosedFigures[];
  /**
   * The closed run with the highest throughput against the open step nearest that throughput —
   * only when that step's rate is within ±OMISSION_RATE_TOLERANCE of it (else the tails were
   * measured at different loads and comparing them says nothing).
   */
  readonly omission: { readonly closed: ClosedFigures; readonly open: StepFigures } | null;
  readonly resources: ResourceFigures | null;
  readonly faults: readonly FaultFigures[];
  readonly audit: AuditSummary;
  /** Cancellations of the open-model steps by reason, most frequent first. */
  readonly cancelledByReason: readonly (readonly [string, number])[];
  readonly openSent: number;
  readonly openCancelled: number;
}

export interface FaultScenario {
  readonly label: string;
  readonly kind: 'fault' | 'latency';
  /** The spec(s) as given (`kill:pagamentos@5s+5s`), or the hop latency (`pagamentos=200ms`). */
  readonly title: string;
  readonly byTransport: readonly FaultFigures[];
  /** The transport that lost the fewest orders (null when fewer than two ran it or they tie). */
  readonly fewestLost: FaultFigures | null;
  /** The transports tied at the fewest lost orders (all of them when none lost any). */
  readonly leastLost: readonly FaultFigures[];
  /**
   * fewestLost, when its lost share stayed within DELAY_LOST_TOLERANCE of its reference's and its
   * p99 reached DELAY_P99_FACTOR × the reference's: the fault delayed its orders instead of losing them.
   */
  readonly delayedInsteadOfLost: FaultFigures | null;
}

export interface CodeSizeRow {
  readonly key: string;
  readonly files: number;
  readonly lines: number;
}

export interface ReportAnalysis {
  readonly transports: readonly TransportFigures[];
  readonly sync: readonly TransportFigures[];
  readonly async: TransportFigures | null;
  /** By low-load p50, fastest first (transports without a low-load figure left out). */
  readonly byLowLoadLatency: readonly TransportFigures[];
  /** slowest ÷ fastest low-load p50. */
  readonly lowLoadSpread: number | null;
  /** The fastest synchronous transport at low load against the asynchronous one. */
  readonly syncVsAsync: {
    readonly sync: TransportFigures;
    readonly async: TransportFigures;
    /** async p50 ÷ sync p50 at their lowest rates. */
    readonly lowLoadRatio: number | null;
    readonly asyncKneeHigher: boolean;
    readonly syncKneeHigher: boolean;
  } | null;
  /** By knee rate, highest first (no knee = lowest). */
  readonly byKnee: readonly TransportFigures[];
  /** The highest offered rate every transport ran, and each one's p99 there. */
  readonly commonRate: number | null;
  readonly p99AtCommonRate: readonly { readonly transport: TransportFigures; readonly p99: number | null }[];
  /** highest ÷ lowest p99 at the common rate. */
  readonly p99RatioAtCommonRate: number | null;
  /** By CPU per order at the knee step (processes + PostgreSQL + RabbitMQ), cheapest first. */
  readonly byCpuPerOrder: readonly { readonly transport: TransportFigures; readonly ms: number }[];
  readonly faultScenarios: readonly FaultScenario[];
  readonly auditViolations: number;
  readonly auditUnsettled: number;
  readonly codeSize: readonly CodeSizeRow[];
  /** Lines behind each transport, with the synchronous orchestration added to gRPC and REST. */
  readonly linesByTransport: readonly { readonly transport: LoadTransport; readonly lines: number }[];
}

/** How far (relative) the open step's rate may be from the closed run's throughput to compare their tails. */
export const OMISSION_RATE_TOLERANCE = 0.25;

function ended(phase: PhaseResult): number {
  return phase.shipped + phase.cancelled + phase.errors;
}

function phaseFigures(phase: PhaseResult): PhaseFigures {
  const total = ended(phase);
  const byReason = sortedCounts(phase.cancelledByReason);
  const faultCancelledByReason = byReason.filter(([reason]) => !isBusinessCancellation(reason));
  const faultCancelled = faultCancelledByReason.reduce((n, [, count]) => n + count, 0);
  const lost = phase.errors + faultCancelled;
  return {
    phase,
    label: phase.label,
    sent: phase.sent,
    ended: total,
    shipped: phase.shipped,
    cancelled: phase.cancelled,
    errors: phase.errors,
    errorRatio: total === 0 ? null : phase.errors / total,
    businessCancelled: phase.cancelled - faultCancelled,
    faultCancelled,
    faultCancelledByReason,
    lost,
    lostShare: phase.sent === 0 ? null : lost / phase.sent,
    shippedShare: total === 0 ? null : phase.shipped / total,
    throughput: phase.throughput,
    goodput: phase.goodput,
    latency: latencyOf(phase.endToEnd),
    accept: latencyOf(phase.accept),
    afterAccept: latencyOf(phase.afterAccept ?? null),
  };
}

function sortedCounts(counts: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function addCounts(into: Map<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const [key, n] of Object.entries(counts)) into.set(key, (into.get(key) ?? 0) + n);
}

function sumKnown(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

/** CPU percent of one core over a phase → ms of CPU per ended order. */
function cpuMsPerOrder(cpuPercent: number | null, phase: PhaseResult): number | null {
  const total = ended(phase);
  if (cpuPercent === null || total === 0) return null;
  return ((cpuPercent / 100) * phase.windowSeconds * 1000) / total;
}

export function resourceFigures(
  phase: PhaseResult,
  processNames: readonly string[],
  cores: number,
): ResourceFigures {
  const summary = phase.resources.summary;
  const names = [...processNames, ...Object.keys(summary).filter((n) => !processNames.includes(n))].filter(
    (n) => !['postgres', 'rabbitmq', 'machine', 'loadgen'].includes(n),
  );
  const processes = names.map((name) => ({
    name,
    cpuMeanPercent: summary[name]?.cpuMeanPercent ?? null,
    cpuMaxPercent: summary[name]?.cpuMaxPercent ?? null,
    rssMaxBytes: summary[name]?.rssMaxBytes ?? null,
  }));
  const sutCpuPercent = sumKnown(processes.map((p) => p.cpuMeanPercent));
  const postgres = summary.postgres?.cpuMeanPercent ?? null;
  const rabbitmq = summary.rabbitmq?.cpuMeanPercent ?? null;
  const machine = summary.machine?.cpuMeanPercent ?? null;
  const busiest = processes.reduce<ProcessFigures | null>(
    (top, p) =>
      p.cpuMeanPercent !== null && (top === null || p.cpuMeanPercent > (top.cpuMeanPercent ?? -1)) ? p : top,
    null,
  );
  return {
    phaseLabel: phase.label,
    rate: phase.offeredRate,
    processes,
    sutCpuPercent,
    sutRssBytes: sumKnown(processes.map((p) => p.rssMaxBytes)),
    postgresCpuPercent: postgres,
    rabbitmqCpuPercent: rabbitmq,
    machineCpuPercent: machine,
    loadgenCpuPercent: summary.loadgen?.cpuMeanPercent ?? null,
    machineShare: machine === null || cores <= 0 ? null : machine / (cores * 100),
    sutCpuMsPerOrder: cpuMsPerOrder(sutCpuPercent, phase),
    postgresCpuMsPerOrder: cpuMsPerOrder(postgres, phase),
    rabbitmqCpuMsPerOrder: cpuMsPerOrder(rabbitmq, phase),
    busiest,
  };
}

/**
 * The time-resolved recovery of a fault phase (see Recovery): `baselineShare` is the shipped share
 * of the ended orders when nothing fails (the reference step's).
 */
export function recoveryOf(
  phase: PhaseResult,
  restoredAtS: number | null,
  baselineShare: number | null,
  tolerance = RECOVERY_TOLERANCE,
): Recovery {
  if (restoredAtS === null) return { status: 'not-restored' };
  const first = Math.ceil(restoredAtS);
  if (first + 1 > phase.sendSeconds) return { status: 'too-soon' };
  if (baselineShare === null) return { status: 'no-baseline' };
  const threshold = Math.max(0, baselineShare - tolerance);
  for (let t = first; t + 1 <= phase.sendSeconds; t += 1) {
    const b = phase.timeline.find((bucket) => bucket.t === t);
    if (b === undefined) continue;
    const total = b.shipped + b.cancelled + b.errors;
    // A tiny epsilon: 0.9 - 0.15 must accept a share of exactly 0.75.
    if (total > 0 && b.errors === 0 && b.shipped / total >= threshold - 1e-9)
      return { status: 'recovered', afterS: t - restoredAtS, atS: t, shippedShare: b.shipped / total };
  }
  return { status: 'not-recovered' };
}

/** recoveryOf's seconds from the restore, or null when it did not recover (or could not be told). */
export function recoveryAfter(
  phase: PhaseResult,
  restoredAtS: number | null,
  baselineShare: number | null,
  tolerance = RECOVERY_TOLERANCE,
): number | null {
  const recovery = recoveryOf(phase, restoredAtS, baselineShare, tolerance);
  return recovery.status === 'recovered' ? recovery.afterS : null;
}

/** The shipped share of the ended orders in the whole seconds before `firedAtS` (null when none ended). */
function shippedShareBefore(phase: PhaseResult, firedAtS: number | null): number | null {
  if (firedAtS === null) return null;
  const before = phase.timeline.filter((b) => b.t + 1 <= firedAtS);
  const shipped = before.reduce((n, b) => n + b.shipped, 0);
  const total = before.reduce((n, b) => n + b.shipped + b.cancelled + b.errors, 0);
  return total === 0 ? null : shipped / total;
}

function ratio(value: number | null | undefined, base: number | null | undefined): number | null {
  return value == null || base == null || base <= 0 ? null : value / base;
}

function faultFigures(
  transport: LoadTransport,
  phase: PhaseResult,
  steps: readonly StepFigures[],
): FaultFigures {
  const events = phase.faults;
  const first = events[0];
  const firedAtS = first?.firedAtS ?? null;
  const restoredAtS = first?.restoredAtS ?? null;
  const overlapping = (t: number) =>
    firedAtS !== null && t + 1 > firedAtS && (restoredAtS === null || t < restoredAtS);
  const during = phase.timeline.filter((b) => overlapping(b.t));
  const sumDuring = (pick: (b: TimelineBucket) => number) =>
    firedAtS === null ? null : during.reduce((n, b) => n + pick(b), 0);
  const bucketP99s = phase.timeline.map((b) => b.p99Ms).filter((v): v is number => v !== null);
  const figures = phaseFigures(phase);
  const reference = steps.find((s) => s.rate === phase.offeredRate) ?? null;
  const before = shippedShareBefore(phase, firedAtS);
  const baseline =
    reference?.shippedShare != null
      ? { share: reference.shippedShare, source: 'reference' as const }
      : before !== null
        ? { share: before, source: 'before-fault' as const }
        : null;
  const recovery = recoveryOf(phase, restoredAtS, baseline?.share ?? null);
  return {
    ...figures,
    transport,
    kind: events.length === 0 ? 'latency' : 'fault',
    events,
    firedAtS,
    restoredAtS,
    problems: events.flatMap((e) => (e.problem === undefined ? [] : [`${e.spec}: ${e.problem}`])),
    sentDuringFault: sumDuring((b) => b.sent),
    shippedDuringFault: sumDuring((b) => b.shipped),
    cancelledDuringFault: sumDuring((b) => b.cancelled),
    errorsDuringFault: sumDuring((b) => b.errors),
    errorKinds: sortedCounts(phase.errorsByKind),
    recovery,
    recoveredAfterS: recovery.status === 'recovered' ? recovery.afterS : null,
    recoveryThreshold: baseline === null ? null : Math.max(0, baseline.share - RECOVERY_TOLERANCE),
    recoveryBaseline: baseline?.source ?? null,
    worstSecondP99Ms: bucketP99s.length === 0 ? null : Math.max(...bucketP99s),
    reference,
    goodputRatio: ratio(figures.goodput, reference?.goodput),
    p99Ratio: ratio(figures.latency?.p99, reference?.latency?.p99),
    violations: phase.audit.violations.length,
  };
}

function auditSummary(phases: readonly PhaseResult[]): AuditSummary {
  return {
    phases: phases.length,
    violations: phases.reduce((n, p) => n + p.audit.violations.length, 0),
    unsettled: phases.reduce((n, p) => n + p.audit.unsettled, 0),
    troubled: phases
      .filter((p) => p.audit.violations.length > 0 || p.audit.unsettled > 0)
      .map((p) => ({ label: p.label, audit: p.audit })),
  };
}

function nearestStep(steps: readonly StepFigures[], rate: number): StepFigures | null {
  return steps.reduce<StepFigures | null>(
    (best, s) => (best === null || Math.abs(s.rate - rate) < Math.abs(best.rate - rate) ? s : best),
    null,
  );
}

export function transportFigures(results: CheckoutBenchResults, t: TransportResults): TransportFigures {
  const steps: StepFigures[] = t.open.steps
    .map((phase) => ({ ...phaseFigures(phase), rate: phase.offeredRate ?? 0 }))
    .sort((a, b) => a.rate - b.rate);
  const kneeIndex = t.open.kneeRate === null ? -1 : steps.findIndex((s) => s.rate === t.open.kneeRate);
  const kneeStep = kneeIndex < 0 ? null : (steps[kneeIndex] ?? null);
  const afterKnee = t.open.kneeRate === null ? (steps[0] ?? null) : (steps[kneeIndex + 1] ?? null);
  const peak = steps.reduce<StepFigures | null>(
    (top, s) => (top === null || s.throughput > top.throughput ? s : top),
    null,
  );
  const closed: ClosedFigures[] = t.closed
    .map((phase) => ({
      ...phaseFigures(phase),
      concurrency: phase.concurrency ?? 0,
      littleMeanMs: phase.throughput > 0 ? ((phase.concurrency ?? 0) / phase.throughput) * 1000 : null,
    }))
    .sort((a, b) => a.concurrency - b.concurrency);
  const busiestClosed = closed.reduce<ClosedFigures | null>(
    (top, c) => (top === null || c.throughput > top.throughput ? c : top),
    null,
  );
  const openNear = busiestClosed === null ? null : nearestStep(steps, busiestClosed.throughput);
  const resourceStep = kneeStep ?? steps[steps.length - 1] ?? null;
  const cancelled = new Map<string, number>();
  for (const s of steps) addCounts(cancelled, s.phase.cancelledByReason);
  return {
    transport: t.transport,
    label: transportLabel(t.transport),
    results: t,
    steps,
    lowLoad: steps[0] ?? null,
    kneeRate: t.open.kneeRate,
    kneeReason: t.open.kneeReason,
    kneeStep,
    afterKnee,
    peak,
    closed,
    omission:
      busiestClosed !== null &&
      openNear !== null &&
      busiestClosed.latency !== null &&
      openNear.latency !== null &&
      Math.abs(openNear.rate - busiestClosed.throughput) <= OMISSION_RATE_TOLERANCE * busiestClosed.throughput
        ? { closed: busiestClosed, open: openNear }
        : null,
    resources:
      resourceStep === null ? null : resourceFigures(resourceStep.phase, t.processes, results.machine.cores),
    faults: t.faults.map((phase) => faultFigures(t.transport, phase, steps)),
    audit: auditSummary([...t.open.steps, ...t.closed, ...t.faults]),
    cancelledByReason: sortedCounts(Object.fromEntries(cancelled)),
    openSent: steps.reduce((n, s) => n + s.sent, 0),
    openCancelled: steps.reduce((n, s) => n + s.cancelled, 0),
  };
}

/** The transport keys of CodeSize in the report's order, then any other key the results carry. */
const CODE_SIZE_ORDER = ['grpc', 'rest', 'async', 'sync', 'shared'];

function codeSizeRows(results: CheckoutBenchResults): CodeSizeRow[] {
  const keys = Object.keys(results.codeSize);
  const ordered = [
    ...CODE_SIZE_ORDER.filter((k) => keys.includes(k)),
    ...keys.filter((k) => !CODE_SIZE_ORDER.includes(k)),
  ];
  return ordered.map((key) => {
    const entry = results.codeSize[key];
    return { key, files: entry?.files.length ?? 0, lines: entry?.lines ?? 0 };
  });
}

function scenarios(transports: readonly TransportFigures[]): FaultScenario[] {
  const labels = [...new Set(transports.flatMap((t) => t.faults.map((f) => f.label)))];
  return labels.map((label) => {
    const byTransport = transports.flatMap((t) => t.faults.filter((f) => f.label === label));
    const kind = byTransport.some((f) => f.kind === 'fault') ? 'fault' : 'latency';
    const specs = [...new Set(byTransport.flatMap((f) => f.events.map((e) => e.spec)))];
    const title = specs.length > 0 ? specs.join(', ') : label.replace(/^(fault|latency)\s+/, '');
    const fewest = Math.min(...byTransport.map((f) => f.lost));
    const leastLost = byTransport.filter((f) => f.lost === fewest);
    const [only] = leastLost;
    const fewestLost = byTransport.length > 1 && leastLost.length === 1 && only !== undefined ? only : null;
    return {
      label,
      kind,
      title,
      byTransport,
      fewestLost,
      leastLost,
      delayedInsteadOfLost:
        fewestLost !== null &&
        fewestLost.p99Ratio !== null &&
        fewestLost.p99Ratio >= DELAY_P99_FACTOR &&
        fewestLost.lostShare !== null &&
        fewestLost.lostShare <= (fewestLost.reference?.lostShare ?? 0) + DELAY_LOST_TOLERANCE
          ? fewestLost
          : null,
    };
  });
}

export function analyzeResults(results: CheckoutBenchResults): ReportAnalysis {
  const transports = results.transports.map((t) => transportFigures(results, t));
  const sync = transports.filter((t) => t.transport !== 'async');
  const asyncFigures = transports.find((t) => t.transport === 'async') ?? null;
  const byLowLoadLatency = transports
    .filter((t) => t.lowLoad?.latency != null)
    .sort((a, b) => (a.lowLoad?.latency?.p50 ?? 0) - (b.lowLoad?.latency?.p50 ?? 0));
  const fastest = byLowLoadLatency[0];
  const slowest = byLowLoadLatency[byLowLoadLatency.length - 1];
  const p50 = (t: TransportFigures | undefined) => t?.lowLoad?.latency?.p50 ?? null;
  const ratioOf = (a: number | null, b: number | null) => (a === null || b === null || b <= 0 ? null : a / b);
  const bestSync = byLowLoadLatency.find((t) => t.transport !== 'async');
  const knee = (t: TransportFigures) => t.kneeRate ?? -1;
  const common = transports
    .map((t) => new Set(t.steps.map((s) => s.rate)))
    .reduce<Set<number> | null>(
      (acc, rates) => (acc === null ? rates : new Set([...acc].filter((r) => rates.has(r)))),
      null,
    );
  const commonRate = common === null || common.size === 0 ? null : Math.max(...common);
  const p99AtCommonRate =
    commonRate === null
      ? []
      : transports.map((t) => ({
          transport: t,
          p99: t.steps.find((s) => s.rate === commonRate)?.latency?.p99 ?? null,
        }));
  const knownP99 = p99AtCommonRate.map((r) => r.p99).filter((v): v is number => v !== null);
  const byCpuPerOrder = transports
    .flatMap((t) => {
      const r = t.resources;
      const total =
        r === null
          ? null
          : sumKnown([
              r.sutCpuMsPerOrder,
              r.postgresCpuMsPerOrder,
              t.transport === 'async' ? r.rabbitmqCpuMsPerOrder : null,
            ]);
      return total === null ? [] : [{ transport: t, ms: total }];
    })
    .sort((a, b) => a.ms - b.ms);
  const codeSize = codeSizeRows(results);
  const linesOf = (key: string) => codeSize.find((r) => r.key === key)?.lines ?? 0;
  return {
    transports,
    sync,
    async: asyncFigures,
    byLowLoadLatency,
    lowLoadSpread: ratioOf(p50(slowest), p50(fastest)),
    syncVsAsync:
      bestSync !== undefined && asyncFigures !== null
        ? {
            sync: bestSync,
            async: asyncFigures,
            lowLoadRatio: ratioOf(p50(asyncFigures), p50(bestSync)),
            asyncKneeHigher: sync.every((s) => knee(asyncFigures) > knee(s)),
            syncKneeHigher: sync.some((s) => knee(s) > knee(asyncFigures)),
          }
        : null,
    byKnee: [...transports].sort((a, b) => knee(b) - knee(a)),
    commonRate,
    p99AtCommonRate,
    p99RatioAtCommonRate: knownP99.length < 2 ? null : ratioOf(Math.max(...knownP99), Math.min(...knownP99)),
    byCpuPerOrder,
    faultScenarios: scenarios(transports),
    auditViolations: transports.reduce((n, t) => n + t.audit.violations, 0),
    auditUnsettled: transports.reduce((n, t) => n + t.audit.unsettled, 0),
    codeSize,
    linesByTransport: transports.map((t) => ({
      transport: t.transport,
      lines: linesOf(t.transport) + (t.transport === 'async' ? 0 : linesOf('sync')),
    })),
  };
}
