/**
 * The two load models that drive one phase of orders.
 *
 * Open model (`runOpen`): order i is due at t0 + i/rate and is started when due, whatever the
 * earlier ones are doing; its latency runs from the DUE time, not from when it really started.
 * A stalled system therefore keeps receiving work and every order that waited — in the system or
 * behind a late timer of ours — is charged for it. This is what removes coordinated omission.
 *
 * Closed model (`runClosed`): `concurrency` clients, each starting its next order when its last
 * ended; latency runs from the start. A stalled system stops the clients, so few slow orders are
 * recorded: coordinated omission, kept on purpose to show the difference.
 *
 * Both record every order in an HDR histogram and a per-second timeline; an order that passes
 * `timeoutMs` (from its due time) is recorded at once as error `timeout` and its signal aborted.
 */
import { percentile } from '@dslab/bench-kit';
import { createRecorder, type LatencyRecorder } from './histogram.js';
import type { Outcome, PhaseResult, TimelineBucket } from './results.js';

export interface OperationResult {
  readonly outcome: Outcome;
  /** Async: performance.now() when the 202 arrived. */
  readonly acceptedAt?: number;
  /**
   * performance.now() of the end when known more precisely than "when the promise resolved"
   * (async: the order's atualizado_em converted with performance.timeOrigin).
   */
  readonly finishedAt?: number;
}

/**
 * Places order number i (0-based, global across phases) and resolves when it ended. Never rejects:
 * failures are outcomes. `signal` aborts when the load generator gives up (timeout).
 */
export type Operation = (i: number, signal: AbortSignal) => Promise<OperationResult>;

export interface ProgressSnapshot {
  phase: string;
  elapsedS: number;
  totalS: number;
  sent: number;
  ended: number;
  inFlight: number;
  /** Orders ended in the last second. */
  ratePerS: number;
  /** p99 latency of the orders ended in the last second (ms; null when none did). */
  p99Ms: number | null;
  errors: number;
}

/** What the load model knows of a phase; the runner adds resources, faults and the audit. */
export type PhaseCore = Omit<PhaseResult, 'resources' | 'faults' | 'audit'>;

interface PhaseOptions {
  readonly label: string;
  /** How long orders are sent. */
  readonly seconds: number;
  readonly operation: Operation;
  /** The index of the phase's first order (indexes are global across phases). */
  readonly firstIndex: number;
  /** From the due time; the order is then recorded as error `timeout`. */
  readonly timeoutMs: number;
  readonly onProgress?: ((snapshot: ProgressSnapshot) => void) | undefined;
}

export interface OpenOptions extends PhaseOptions {
  /** Orders per second. */
  readonly rate: number;
}

export interface ClosedOptions extends PhaseOptions {
  /** Clients, each with one order in flight. */
  readonly concurrency: number;
}

const PROGRESS_INTERVAL_MS = 250;

/** Open model: `rate` orders per second for `seconds`, then waits for every order to end. */
export async function runOpen(options: OpenOptions): Promise<PhaseCore> {
  const { rate, seconds } = options;
  if (!(Number.isFinite(rate) && rate > 0)) throw new RangeError(`rate must be > 0, got ${rate}`);
  validate(options);
  // Due times i/rate that fall inside [0, seconds); the epsilon keeps 200/s × 2 s at 400, not 401.
  const total = Math.max(0, Math.ceil(rate * seconds - 1e-9));
  const intervalMs = 1000 / rate;
  const phase = startPhase(options);
  const t0 = phase.t0;
  let next = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve) => {
      // One timer for the next due order; when it fires (possibly late, if the event loop was
      // busy) every order that is due by now starts in one burst: none is skipped, none waits
      // for an earlier one, and each keeps its own due time for the latency.
      const tick = () => {
        const now = performance.now();
        while (next < total && t0 + next * intervalMs <= now) {
          void phase.launch(t0 + next * intervalMs);
          next += 1;
        }
        if (next < total) {
          timer = setTimeout(tick, Math.max(0, t0 + next * intervalMs - performance.now()));
        } else {
          resolve();
        }
      };
      tick();
    });
    return await phase.finish();
  } finally {
    clearTimeout(timer);
    phase.dispose();
  }
}

/** Closed model: `concurrency` clients send back to back for `seconds`, then finish their last order. */
export async function runClosed(options: ClosedOptions): Promise<PhaseCore> {
  const { concurrency, seconds } = options;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  validate(options);
  const phase = startPhase(options);
  const end = phase.t0 + seconds * 1000;
  try {
    const client = async () => {
      for (let iteration = 1; performance.now() < end; iteration++) {
        await phase.launch(performance.now());
        // An operation that settles without real I/O would otherwise loop on microtasks alone
        // and starve the timers (progress, timeouts): let the event loop breathe now and then.
        if (iteration % 64 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
    return await phase.finish();
  } finally {
    phase.dispose();
  }
}

function validate(options: PhaseOptions): void {
  if (!(Number.isFinite(options.seconds) && options.seconds > 0)) {
    throw new RangeError(`seconds must be > 0, got ${options.seconds}`);
  }
  if (!(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
    throw new RangeError(`timeoutMs must be > 0, got ${options.timeoutMs}`);
  }
  if (!(Number.isInteger(options.firstIndex) && options.firstIndex >= 0)) {
    throw new RangeError(`firstIndex must be a non-negative integer, got ${options.firstIndex}`);
  }
}

/** Counts of one second of the timeline, before it is summarised. */
interface Second {
  sent: number;
  shipped: number;
  cancelled: number;
  errors: number;
  latencies: number[];
}

interface Phase {
  /** performance.now() of the phase's first due time. */
  readonly t0: number;
  /** Starts the next order (index = firstIndex + sent so far), due at `due`; resolves when it ended. */
  launch(due: number): Promise<void>;
  /** Resolves with the phase's figures once every order sent has ended (or timed out). */
  finish(): Promise<PhaseCore>;
  /** Stops the progress timer and every pending timeout (also after a failure). */
  dispose(): void;
}

/**
 * The bookkeeping both models share: starting an order, its timeout, recording its end in the
 * histograms, the counters and the timeline, and the progress reports.
 */
function startPhase(options: PhaseOptions & { rate?: number; concurrency?: number }): Phase {
  const { label, seconds, operation, firstIndex, timeoutMs, onProgress } = options;
  const t0 = performance.now();
  const endToEnd = createRecorder();
  let accept: LatencyRecorder | null = null;
  /** From the 202 to the end (async): the saga's own time, without the acceptance. */
  let afterAccept: LatencyRecorder | null = null;
  const timeline: Second[] = [];
  const errorsByKind: Record<string, number> = {};
  const cancelledByReason: Record<string, number> = {};
  let sent = 0;
  let ended = 0;
  let shipped = 0;
  let cancelled = 0;
  let errors = 0;
  let lastEnd = t0;
  const timeouts = new Set<NodeJS.Timeout>();
  /** Ends of the last second or so, for the progress reports only. */
  let recent: { at: number; ms: number }[] = [];
  let allEnded: (() => void) | undefined;

  const secondAt = (time: number): Second => {
    // The epsilon keeps due time t0 + 200 × 5 ms in second 1 despite floating-point rounding.
    const t = Math.max(0, Math.floor((time - t0) / 1000 + 1e-9));
    while (timeline.length <= t)
      timeline.push({ sent: 0, shipped: 0, cancelled: 0, errors: 0, latencies: [] });
    return timeline[t] as Second;
  };

  const record = (outcome: Outcome, due: number, endAt: number, acceptedAt: number | undefined) => {
    // A finish time from another clock (the database's) may land a hair before the due time.
    const end = Math.max(endAt, due);
    const latency = end - due;
    endToEnd.record(latency);
    if (acceptedAt !== undefined) {
      accept ??= createRecorder();
      accept.record(Math.max(0, acceptedAt - due));
      afterAccept ??= createRecorder();
      afterAccept.record(Math.max(0, end - acceptedAt));
    }
    const second = secondAt(end);
    second.latencies.push(latency);
    switch (outcome.kind) {
      case 'shipped':
        shipped += 1;
        second.shipped += 1;
        break;
      case 'cancelled':
        cancelled += 1;
        second.cancelled += 1;
        cancelledByReason[outcome.reason] = (cancelledByReason[outcome.reason] ?? 0) + 1;
        break;
      case 'error':
        errors += 1;
        second.errors += 1;
        errorsByKind[outcome.error] = (errorsByKind[outcome.error] ?? 0) + 1;
        break;
    }
    ended += 1;
    if (end > lastEnd) lastEnd = end;
    if (onProgress !== undefined) recent.push({ at: end, ms: latency });
    if (ended === sent) allEnded?.();
  };

  const launch = (due: number): Promise<void> => {
    const index = firstIndex + sent;
    sent += 1;
    secondAt(due).sent += 1;
    const controller = new AbortController();
    return new Promise<void>((ended) => {
      let settled = false;
      const settle = (outcome: Outcome, end: number, acceptedAt?: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(timeout);
        timeouts.delete(timeout);
        record(outcome, due, end, acceptedAt);
        ended();
      };
      const timeout = setTimeout(
        () => {
          // Recorded as ended now, with exactly the timeout as its latency; whatever the
          // operation resolves later is ignored (settled).
          settle({ kind: 'error', error: 'timeout' }, due + timeoutMs);
          controller.abort(new Error(`order ${index} timed out after ${timeoutMs} ms`));
        },
        Math.max(0, due + timeoutMs - performance.now()),
      );
      timeouts.add(timeout);
      let pending: Promise<OperationResult>;
      try {
        pending = operation(index, controller.signal);
      } catch (error) {
        pending = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      pending.then(
        (result) => settle(result.outcome, result.finishedAt ?? performance.now(), result.acceptedAt),
        // The contract says operations never reject; if one does, it is still an outcome.
        (error: unknown) => settle({ kind: 'error', error: errorKind(error) }, performance.now()),
      );
    });
  };

  const snapshot = (): ProgressSnapshot => {
    const now = performance.now();
    recent = recent.filter((end) => end.at > now - 1000);
    const latencies = Float64Array.from(recent, (end) => end.ms).sort();
    return {
      phase: label,
      elapsedS: (now - t0) / 1000,
      totalS: seconds,
      sent,
      ended,
      inFlight: sent - ended,
      ratePerS: recent.length,
      p99Ms: latencies.length === 0 ? null : percentile(latencies, 99),
      errors,
    };
  };
  const progress =
    onProgress === undefined ? undefined : setInterval(() => onProgress(snapshot()), PROGRESS_INTERVAL_MS);

  return {
    t0,
    launch,
    async finish() {
      if (ended < sent) await new Promise<void>((resolve) => (allEnded = resolve));
      clearInterval(progress);
      onProgress?.(snapshot());
      const windowSeconds = sent === 0 ? 0 : (lastEnd - t0) / 1000;
      const perSecond = (count: number) => (windowSeconds > 0 ? count / windowSeconds : 0);
      return {
        label,
        model: options.rate === undefined ? 'closed' : 'open',
        offeredRate: options.rate ?? null,
        concurrency: options.concurrency ?? null,
        startedAt: Math.round(performance.timeOrigin + t0),
        sendSeconds: seconds,
        windowSeconds,
        sent,
        shipped,
        cancelled,
        errors,
        errorsByKind,
        cancelledByReason,
        throughput: perSecond(ended),
        goodput: perSecond(shipped),
        endToEnd: endToEnd.summary(),
        accept: accept?.summary() ?? null,
        afterAccept: afterAccept?.summary() ?? null,
        histograms: {
          endToEnd: endToEnd.encode(),
          accept: accept?.encode() ?? null,
          afterAccept: afterAccept?.encode() ?? null,
        },
        timeline: timeline.map(summariseSecond),
      };
    },
    dispose() {
      clearInterval(progress);
      for (const timeout of timeouts) clearTimeout(timeout);
      timeouts.clear();
    },
  };
}

function summariseSecond(second: Second, t: number): TimelineBucket {
  const latencies = Float64Array.from(second.latencies).sort();
  return {
    t,
    sent: second.sent,
    shipped: second.shipped,
    cancelled: second.cancelled,
    errors: second.errors,
    // Rounded to the microsecond, like the HDR summaries.
    p99Ms: latencies.length === 0 ? null : Math.round(percentile(latencies, 99) * 1000) / 1000,
  };
}

/** A name for what a (contract-breaking) rejecting operation threw: its code, else its class. */
function errorKind(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && code !== '' ? code : error.name;
  }
  return 'exception';
}
