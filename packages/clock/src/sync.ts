/**
 * Client clock synchronisation against the scheduler's `GET /time` (DESIGN.md §4 and §7; seed 000,
 * "Etapa 1: Sincronização do relógio"). Runs unchanged in the browser and in Node: every clock,
 * timer and the network call are injected, and nothing here imports node:*.
 *
 * One sample is an NTP-style four-timestamp exchange. The client notes t0 before sending and t3 on
 * receipt, both on its monotonic clock mapped to wall time through one anchor per batch; the server
 * stamps t1 on receipt and t2 on transmit. Then
 *
 *   offset θ = ((t1 − t0) + (t2 − t3)) / 2        delay δ = (t3 − t0) − (t2 − t1)
 *
 * and the true offset lies in [t2 − t3, t1 − t0] = θ ± δ/2 whatever the asymmetry of the two
 * network legs: the request cannot arrive before it was sent (so offset ≤ t1 − t0) and the answer
 * cannot arrive before it was transmitted (so offset ≥ t2 − t3). A batch takes several samples and
 * keeps the one with the smallest δ (NTP's clock filter), because that one has the narrowest interval.
 *
 * Intervals are only ever measured on the monotonic clock. The wall clock is read once per batch,
 * to anchor the monotonic clock to epoch milliseconds, so a step of the local wall clock after a
 * sync does not move `now()`.
 */

/** The server's receive (t1) and transmit (t2) stamps, epoch milliseconds on the server's clock. */
export interface ServerStamps {
  readonly t1: number;
  readonly t2: number;
}

/**
 * Performs one `GET /time` exchange and returns the server's stamps. It is called right after t0 is
 * read and t3 is read as soon as its promise fulfils, so it should do nothing slow before sending.
 * The signal aborts it when the sample times out or the sync is stopped.
 */
export type FetchTime = (signal: AbortSignal) => Promise<ServerStamps>;

/** Same shape as the global `setTimeout`; the handle is opaque to this library. */
export type SetTimeoutLike = (callback: () => void, ms: number) => unknown;
/** Same shape as the global `clearTimeout`. */
export type ClearTimeoutLike = (handle: unknown) => void;

export interface ClockSyncOptions {
  /** One exchange with the server (see {@link createFetchTime} for the HTTP one). */
  readonly fetchTime: FetchTime;
  /** Monotonic milliseconds; default `performance.now()`. All intervals are measured on it. */
  readonly monotonicNow?: () => number;
  /** Local wall-clock epoch milliseconds; default `Date.now()`. Read once per batch (and at creation). */
  readonly wallNow?: () => number;
  /** Exchanges per batch; the one with the smallest delay wins. Default 8. */
  readonly samples?: number;
  /** Pause between the end of one exchange and the start of the next. Default 50 ms. */
  readonly spacingMs?: number;
  /** After `start()`, time from the end of a successful batch to the next one. Default 60 000 ms. */
  readonly resyncIntervalMs?: number;
  /**
   * After `start()`, wait after a batch in which every sample failed; doubles on each consecutive
   * failed batch, up to `resyncIntervalMs`. Default 1 000 ms.
   */
  readonly retryIntervalMs?: number;
  /** An exchange that has not answered after this long is aborted and counted as failed. Default 5 000 ms. */
  readonly timeoutMs?: number;
  /**
   * Timestamp resolution added to the bound: the server's stamp resolution plus the client's
   * monotonic-clock resolution (both truncating; double the client's part if its clock may round
   * either way, like a jittered performance.now()). The default 1 ms covers a server stamping to the
   * microsecond and a browser's 0.1 ms performance.now(); a server stamping with Date.now() and a
   * 0.1 ms client need 1.1. The wall clock's own resolution does not enter: it only places the
   * anchor, which `now()` cancels out.
   */
  readonly resolutionMs?: number;
  /**
   * Largest rate difference assumed between the local monotonic clock and the server's clock, in
   * parts per million. It widens the bound by the time elapsed since the batch's anchor (and, in
   * {@link ClockSync.nowWithBound}, since the sync), and it is part of the tolerance of the jump
   * detector. Default 100 ppm (an undisciplined quartz crystal).
   */
  readonly maxDriftPpm?: number;
  /** Default `globalThis.setTimeout`. Inject a fake to run on simulated time. */
  readonly setTimeout?: SetTimeoutLike;
  /** Default `globalThis.clearTimeout`. */
  readonly clearTimeout?: ClearTimeoutLike;
  /** Called after every completed batch (successful or not) with the new state. */
  readonly onChange?: ClockSyncListener;
}

/** One accepted exchange. t0 and t3 are the client's monotonic readings mapped to wall time. */
export interface ClockSample {
  readonly t0: number;
  readonly t1: number;
  readonly t2: number;
  readonly t3: number;
  /** θ = ((t1 − t0) + (t2 − t3)) / 2 */
  readonly offset_ms: number;
  /** δ = (t3 − t0) − (t2 − t1) */
  readonly delay_ms: number;
  /** Monotonic reading when the request was sent (t0 before mapping). */
  readonly mono_sent: number;
  /** Monotonic reading when the answer arrived (t3 before mapping). */
  readonly mono_received: number;
}

export type SampleFailureReason =
  /** fetchTime rejected (network error, HTTP error, unparseable body). */
  | 'error'
  /** No answer within `timeoutMs`. */
  | 'timeout'
  /** The server's stamps are not finite numbers, or t2 < t1. */
  | 'invalid'
  /** δ < −2 × resolution: the four stamps contradict each other even allowing for resolution. */
  | 'negative-delay';

export type SampleOutcome =
  | { readonly ok: true; readonly sample: ClockSample }
  | {
      readonly ok: false;
      readonly reason: SampleFailureReason;
      readonly detail: string;
      readonly mono_sent: number;
      /** What fetchTime rejected with, for reason 'error'. */
      readonly error?: unknown;
    };

export interface ClockSyncState {
  /** Whether some batch has succeeded; until then `now()` is the local clock and the bound is infinite. */
  readonly synced: boolean;
  /**
   * Server clock minus local wall clock as read at the last successful batch's anchor (0 when
   * unsynced). `now()` is the better way to use it: it does not depend on later wall-clock steps.
   */
  readonly offset_ms: number;
  /**
   * The true offset lies within offset_ms ± bound_ms: δ/2 of the chosen sample + resolution + drift
   * allowance over the batch. Infinity when unsynced.
   */
  readonly bound_ms: number;
  /** δ of the chosen sample (Infinity when unsynced). May be slightly negative through resolution. */
  readonly delay_ms: number;
  /** Monotonic time the chosen sample's answer arrived (−Infinity when unsynced). */
  readonly last_sync_mono: number;
  /** Accepted samples, over the life of this instance. */
  readonly samples_ok: number;
  /** Failed or rejected samples, over the life of this instance. */
  readonly samples_failed: number;
  /** Batches whose result was reported as a server clock jump. */
  readonly jumps: number;
}

export interface SyncResult {
  /** At least one sample of this batch was accepted and the estimate was replaced. */
  readonly ok: boolean;
  /** The chosen (minimum-delay) sample, when ok. */
  readonly best: ClockSample | undefined;
  /**
   * The server's time, as estimated for one and the same monotonic instant, moved by more than the
   * two estimates' bounds plus the drift allowance: the server's clock jumped (or the local monotonic
   * clock stopped, e.g. during a suspend). The new estimate is accepted regardless, because the
   * server is the source of truth.
   */
  readonly jumped: boolean;
  /** How far `now()` moved at this re-sync (new minus old estimate at the same instant); 0 on the first. */
  readonly step_ms: number;
  /** Every exchange of the batch, in order. */
  readonly outcomes: readonly SampleOutcome[];
  readonly samples_ok: number;
  readonly samples_failed: number;
  /** The state after this batch. */
  readonly state: ClockSyncState;
}

export type ClockSyncListener = (state: ClockSyncState, result: SyncResult) => void;

export interface ClockSync {
  /** Runs one batch now. Never rejects for network failures; concurrent calls share the batch. */
  sync(): Promise<SyncResult>;
  /** Syncs now and keeps re-syncing (resyncIntervalMs, or retry backoff after a failed batch). */
  start(): Promise<SyncResult>;
  /** Stops re-syncing and aborts a batch in progress (samples already taken are still used). */
  stop(): void;
  /**
   * Estimated server time, epoch ms: anchorWall + (monotonicNow() − anchorMono) + offset. Before the
   * first successful batch it is the local clock (see `state().synced`). It may step at a re-sync
   * by `SyncResult.step_ms`.
   */
  now(): number;
  /** `now()` with its current uncertainty: the sync's bound widened by drift since the sync. */
  nowWithBound(): { readonly now_ms: number; readonly bound_ms: number; readonly synced: boolean };
  state(): ClockSyncState;
  /** Adds a listener called after every batch; returns a function that removes it. */
  onChange(listener: ClockSyncListener): () => void;
}

interface Estimate {
  readonly anchorWall: number;
  readonly anchorMono: number;
  readonly offset: number;
  readonly bound: number;
  readonly delay: number;
  readonly lastMono: number;
}

interface Batch {
  aborted: boolean;
  cancel: (() => void) | undefined;
}

function checkNumber(name: string, value: number, min: number, integer = false): number {
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new RangeError(
      `createClockSync: ${name} must be ${integer ? 'an integer' : 'a finite number'} ≥ ${min}`,
    );
  }
  return value;
}

export function createClockSync(options: ClockSyncOptions): ClockSync {
  const fetchTime = options.fetchTime;
  const monotonicNow = options.monotonicNow ?? (() => performance.now());
  const wallNow = options.wallNow ?? (() => Date.now());
  const samples = checkNumber('samples', options.samples ?? 8, 1, true);
  const spacingMs = checkNumber('spacingMs', options.spacingMs ?? 50, 0);
  const resyncIntervalMs = checkNumber('resyncIntervalMs', options.resyncIntervalMs ?? 60_000, 1);
  const retryIntervalMs = checkNumber('retryIntervalMs', options.retryIntervalMs ?? 1_000, 1);
  const timeoutMs = checkNumber('timeoutMs', options.timeoutMs ?? 5_000, 1);
  const resolutionMs = checkNumber('resolutionMs', options.resolutionMs ?? 1, 0);
  const driftRate = checkNumber('maxDriftPpm', options.maxDriftPpm ?? 100, 0) * 1e-6;
  const setTimer: SetTimeoutLike =
    options.setTimeout ?? ((callback, ms) => globalThis.setTimeout(callback, ms));
  const clearTimer: ClearTimeoutLike =
    options.clearTimeout ??
    ((handle) => {
      globalThis.clearTimeout(handle as number | undefined);
    });

  const listeners = new Set<ClockSyncListener>();
  if (options.onChange) listeners.add(options.onChange);

  // Until a batch succeeds, now() is the local clock, still advanced on the monotonic clock.
  const unsynced = { anchorWall: wallNow(), anchorMono: monotonicNow(), offset: 0 };
  let estimate: Estimate | undefined;
  let samplesOk = 0;
  let samplesFailed = 0;
  let jumps = 0;
  let running = false;
  let timer: { handle: unknown } | undefined;
  let consecutiveFailedBatches = 0;
  let inFlight: Promise<SyncResult> | undefined;
  let currentBatch: Batch | undefined;

  function state(): ClockSyncState {
    return Object.freeze({
      synced: estimate !== undefined,
      offset_ms: estimate?.offset ?? 0,
      bound_ms: estimate?.bound ?? Number.POSITIVE_INFINITY,
      delay_ms: estimate?.delay ?? Number.POSITIVE_INFINITY,
      last_sync_mono: estimate?.lastMono ?? Number.NEGATIVE_INFINITY,
      samples_ok: samplesOk,
      samples_failed: samplesFailed,
      jumps,
    });
  }

  function now(): number {
    const e = estimate ?? unsynced;
    // Small terms first: epoch milliseconds are ~1.8e12, where a double's step is ~0.24 µs.
    return e.anchorWall + (monotonicNow() - e.anchorMono + e.offset);
  }

  /** Resolves true after `ms`, or false as soon as the batch is aborted. */
  function sleep(ms: number, batch: Batch): Promise<boolean> {
    return new Promise((resolve) => {
      const handle = setTimer(() => {
        batch.cancel = undefined;
        resolve(true);
      }, ms);
      batch.cancel = () => {
        clearTimer(handle);
        batch.cancel = undefined;
        resolve(false);
      };
    });
  }

  function evaluate(
    stamps: unknown,
    monoSent: number,
    monoReceived: number,
    anchorWall: number,
    anchorMono: number,
  ): SampleOutcome {
    const fail = (reason: SampleFailureReason, detail: string): SampleOutcome => ({
      ok: false,
      reason,
      detail,
      mono_sent: monoSent,
    });
    if (typeof stamps !== 'object' || stamps === null) return fail('invalid', 'no server stamps');
    const { t1, t2 } = stamps as Partial<Record<keyof ServerStamps, unknown>>;
    if (typeof t1 !== 'number' || typeof t2 !== 'number' || !Number.isFinite(t1) || !Number.isFinite(t2)) {
      return fail('invalid', 'server stamps are not finite numbers');
    }
    if (t2 < t1)
      return fail('invalid', `server transmit stamp precedes its receive stamp (t2 − t1 = ${t2 - t1})`);
    const delay = monoReceived - monoSent - (t2 - t1);
    // Measured δ can dip below zero only through timestamp resolution (e.g. server stamps truncated
    // to the millisecond on a sub-millisecond round trip); the interval θ ± (δ/2 + resolution) is
    // still valid then. Below −2 × resolution it would be empty: the stamps are inconsistent.
    if (!(delay >= -2 * resolutionMs)) {
      return fail('negative-delay', `δ = ${delay} ms: the stamps contradict each other`);
    }
    // Differences of nearby epoch values are exact in floating point, so subtract the anchor first.
    const sinceAnchorSent = monoSent - anchorMono;
    const sinceAnchorReceived = monoReceived - anchorMono;
    const offset = (t1 - anchorWall - sinceAnchorSent + (t2 - anchorWall - sinceAnchorReceived)) / 2;
    return {
      ok: true,
      sample: {
        t0: anchorWall + sinceAnchorSent,
        t1,
        t2,
        t3: anchorWall + sinceAnchorReceived,
        offset_ms: offset,
        delay_ms: delay,
        mono_sent: monoSent,
        mono_received: monoReceived,
      },
    };
  }

  /** One exchange; undefined when the batch was aborted while it was in flight. */
  function takeSample(
    anchorWall: number,
    anchorMono: number,
    batch: Batch,
  ): Promise<SampleOutcome | undefined> {
    return new Promise((resolve) => {
      const controller = new AbortController();
      let settled = false;
      const finish = (outcome: SampleOutcome | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimer(timeoutHandle);
        batch.cancel = undefined;
        resolve(outcome);
      };
      const monoSent = monotonicNow();
      const timeoutHandle = setTimer(() => {
        controller.abort();
        finish({
          ok: false,
          reason: 'timeout',
          detail: `no answer within ${timeoutMs} ms`,
          mono_sent: monoSent,
        });
      }, timeoutMs);
      batch.cancel = () => {
        controller.abort();
        finish(undefined);
      };
      // The executor turns a synchronous throw of fetchTime into a rejection.
      new Promise<ServerStamps>((resolveFetch) => {
        resolveFetch(fetchTime(controller.signal));
      }).then(
        (stamps) => {
          if (settled) return;
          const monoReceived = monotonicNow();
          finish(evaluate(stamps, monoSent, monoReceived, anchorWall, anchorMono));
        },
        (error: unknown) => {
          finish({
            ok: false,
            reason: 'error',
            detail: error instanceof Error ? error.message : String(error),
            mono_sent: monoSent,
            error,
          });
        },
      );
    });
  }

  function notify(result: SyncResult): void {
    for (const listener of [...listeners]) {
      try {
        listener(result.state, result);
      } catch (error) {
        // A listener's bug must not stop the sync loop; report it as an uncaught error instead.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  function schedule(ms: number): void {
    if (timer) clearTimer(timer.handle);
    const entry: { handle: unknown } = { handle: undefined };
    timer = entry;
    entry.handle = setTimer(() => {
      if (timer === entry) timer = undefined;
      if (running) void sync();
    }, ms);
  }

  function apply(outcomes: readonly SampleOutcome[], anchorWall: number, anchorMono: number): SyncResult {
    let best: ClockSample | undefined;
    let ok = 0;
    for (const outcome of outcomes) {
      if (!outcome.ok) continue;
      ok += 1;
      // Strictly smaller: on a tie the earlier sample stays.
      if (best === undefined || outcome.sample.delay_ms < best.delay_ms) best = outcome.sample;
    }
    const failed = outcomes.length - ok;
    samplesOk += ok;
    samplesFailed += failed;

    let jumped = false;
    let step = 0;
    if (best !== undefined) {
      consecutiveFailedBatches = 0;
      // The offset is measured at the chosen sample but applies from the anchor on; the clocks may
      // drift apart by up to driftRate over that span.
      const bound =
        best.delay_ms / 2 + resolutionMs + driftRate * Math.max(0, best.mono_received - anchorMono);
      const previous = estimate;
      if (previous !== undefined) {
        // Server time for a monotonic reading m is m + (anchorWall − anchorMono + offset); compare those.
        step =
          anchorWall -
          previous.anchorWall -
          (anchorMono - previous.anchorMono) +
          (best.offset_ms - previous.offset);
        const tolerance = previous.bound + bound + driftRate * Math.max(0, anchorMono - previous.anchorMono);
        jumped = Math.abs(step) > tolerance;
        if (jumped) jumps += 1;
      }
      estimate = {
        anchorWall,
        anchorMono,
        offset: best.offset_ms,
        bound,
        delay: best.delay_ms,
        lastMono: best.mono_received,
      };
    } else {
      consecutiveFailedBatches += 1;
    }

    const result: SyncResult = Object.freeze({
      ok: best !== undefined,
      best,
      jumped,
      step_ms: step,
      outcomes: Object.freeze([...outcomes]),
      samples_ok: ok,
      samples_failed: failed,
      state: state(),
    });
    if (running) {
      schedule(
        result.ok
          ? resyncIntervalMs
          : Math.min(resyncIntervalMs, retryIntervalMs * 2 ** Math.min(consecutiveFailedBatches - 1, 30)),
      );
    }
    notify(result);
    return result;
  }

  async function runBatch(): Promise<SyncResult> {
    const batch: Batch = { aborted: false, cancel: undefined };
    currentBatch = batch;
    try {
      // The one wall-clock reading of this batch: it maps the monotonic clock to epoch milliseconds.
      const anchorWall = wallNow();
      const anchorMono = monotonicNow();
      const outcomes: SampleOutcome[] = [];
      for (let i = 0; i < samples && !batch.aborted; i += 1) {
        if (i > 0 && spacingMs > 0) {
          if (!(await sleep(spacingMs, batch))) break;
        }
        const outcome = await takeSample(anchorWall, anchorMono, batch);
        if (outcome === undefined) break;
        outcomes.push(outcome);
      }
      return apply(outcomes, anchorWall, anchorMono);
    } finally {
      if (currentBatch === batch) currentBatch = undefined;
    }
  }

  function sync(): Promise<SyncResult> {
    if (inFlight) return inFlight;
    const batch = runBatch().finally(() => {
      if (inFlight === batch) inFlight = undefined;
    });
    inFlight = batch;
    return batch;
  }

  return {
    sync,
    start() {
      running = true;
      return sync();
    },
    stop() {
      running = false;
      if (timer) {
        clearTimer(timer.handle);
        timer = undefined;
      }
      if (currentBatch) {
        currentBatch.aborted = true;
        currentBatch.cancel?.();
      }
    },
    now,
    nowWithBound() {
      const mono = monotonicNow();
      const e = estimate;
      if (e === undefined) return { now_ms: now(), bound_ms: Number.POSITIVE_INFINITY, synced: false };
      return {
        now_ms: e.anchorWall + (mono - e.anchorMono + e.offset),
        bound_ms: e.bound + driftRate * Math.max(0, mono - e.lastMono),
        synced: true,
      };
    },
    state,
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
