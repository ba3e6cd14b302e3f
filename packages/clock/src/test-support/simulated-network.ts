/**
 * Test support (not exported by the package): simulated time and a simulated network for the
 * clock-sync tests. Everything runs on one fake "true time" T in milliseconds:
 *
 * - the server's clock reads  wallStart + T + serverOffset (it may jump: {@link SimulatedNetwork.jumpServer});
 * - the client's wall clock reads  wallStart + T + wallStep (it may step: {@link SimulatedNetwork.stepClientWall});
 * - the client's monotonic clock reads  monoStart + T·(1 + drift), truncated to its resolution;
 * - the true offset is therefore  serverOffset − wallStep, known exactly;
 * - each exchange draws an up-leg latency, a server processing time and a down-leg latency (or a
 *   failure) from a seeded PRNG and lets fake time pass accordingly, so the library under test
 *   measures the exchange on the fake monotonic clock exactly as it would measure a real one.
 */
import { seededRandom } from '@dslab/testing';
import type { ClearTimeoutLike, FetchTime, ServerStamps, SetTimeoutLike } from '../sync.js';

/** Seeded PRNG (mulberry32), shared with the other property tests. */
export const mulberry32 = seededRandom;

/** Lets every pending promise callback run (one macrotask turn drains the microtask queue). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface FakeTimer {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** Fake timers on simulated time. Nothing happens until the test advances time. */
export class FakeTime {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, FakeTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  readonly setTimeout: SetTimeoutLike = (callback, ms) => {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), seq: id, callback });
    return id;
  };

  readonly clearTimeout: ClearTimeoutLike = (handle) => {
    if (typeof handle === 'number') this.#timers.delete(handle);
  };

  /** Number of timers waiting to fire. */
  pending(): number {
    return this.#timers.size;
  }

  #next(): [number, FakeTimer] | undefined {
    let best: [number, FakeTimer] | undefined;
    for (const entry of this.#timers) {
      if (
        best === undefined ||
        entry[1].at < best[1].at ||
        (entry[1].at === best[1].at && entry[1].seq < best[1].seq)
      ) {
        best = entry;
      }
    }
    return best;
  }

  /** Fires the earliest timer (moving time to it); false when none is pending. */
  async step(): Promise<boolean> {
    await flushMicrotasks();
    const next = this.#next();
    if (next === undefined) return false;
    this.#timers.delete(next[0]);
    this.#now = Math.max(this.#now, next[1].at);
    next[1].callback();
    await flushMicrotasks();
    return true;
  }

  /** Fires every timer due up to `target` in order, then sets the time to `target`. */
  async advanceTo(target: number): Promise<void> {
    await flushMicrotasks();
    for (;;) {
      const next = this.#next();
      if (next === undefined || next[1].at > target) break;
      await this.step();
    }
    this.#now = Math.max(this.#now, target);
    await flushMicrotasks();
  }

  advanceBy(ms: number): Promise<void> {
    return this.advanceTo(this.#now + ms);
  }

  /** Drives time until `promise` settles; fails if it waits on nothing that time could bring. */
  async run<T>(promise: Promise<T>): Promise<T> {
    const state = { settled: false };
    const watched = promise.finally(() => {
      state.settled = true;
    });
    await flushMicrotasks();
    while (!state.settled) {
      if (!(await this.step())) throw new Error('FakeTime.run: the promise waits, but no timer is pending');
    }
    return watched;
  }
}

/** Draws a latency in milliseconds. */
export type Latency = (rng: () => number) => number;

export const latency = {
  fixed:
    (ms: number): Latency =>
    () =>
      ms,
  uniform:
    (low: number, high: number): Latency =>
    (rng) =>
      low + (high - low) * rng(),
  /** A floor plus exponentially distributed queueing delay (the usual shape of real RTTs). */
  exponential:
    (floor: number, mean: number): Latency =>
    (rng) =>
      floor - mean * Math.log(1 - rng()),
  /** Like exponential, but with probability `p` a congestion spike of up to `spike` ms is added. */
  spiky:
    (floor: number, mean: number, p: number, spike: number): Latency =>
    (rng) =>
      floor - mean * Math.log(1 - rng()) + (rng() < p ? spike * rng() : 0),
};

/**
 * - refused: rejects after one round trip (connection refused, HTTP 5xx);
 * - lost-request: the request never reaches the server and nothing comes back (the library times out);
 * - lost-response: the server stamps it, but the answer never arrives;
 * - slow-reject: the stack gives up after a long while (longer than or shorter than the timeout).
 */
export type FailureKind = 'refused' | 'lost-request' | 'lost-response' | 'slow-reject';

export interface SimulatedNetworkOptions {
  /** Seed of the PRNG that draws latencies and failures. */
  readonly seed?: number;
  /** Server clock minus client wall clock, ms. */
  readonly trueOffsetMs: number;
  /** Client → server latency. */
  readonly up: Latency;
  /** Server → client latency. */
  readonly down: Latency;
  /** Between the server's receive and transmit stamps. Default fixed 0.2 ms. */
  readonly processing?: Latency;
  /** Probability that an exchange fails. Default 0. */
  readonly loss?: number;
  /** How failed exchanges fail (drawn uniformly). Default all kinds. */
  readonly failures?: readonly FailureKind[];
  /** Client wall clock at T = 0. */
  readonly wallStartMs?: number;
  /** Client monotonic clock at T = 0. */
  readonly monoStartMs?: number;
  /** Truncation of monotonic readings (0: exact). */
  readonly monoResolutionMs?: number;
  /** Truncation of the server's stamps (0: exact; 1: like Date.now()). */
  readonly serverResolutionMs?: number;
  /** The client monotonic clock runs at (1 + ppm·1e-6) × true rate. */
  readonly monoDriftPpm?: number;
}

/** What really happened in one exchange, for the test oracle. */
export interface Exchange {
  readonly index: number;
  /** True time the client called fetchTime. */
  readonly sentAt: number;
  readonly failure: FailureKind | undefined;
  readonly up: number;
  readonly processing: number;
  readonly down: number;
  /** The true network delay up + down (what δ measures, up to resolution and drift). */
  readonly networkDelay: number;
  /** The stamps the server returned, when it got that far. */
  stamps: ServerStamps | undefined;
  /** The library aborted it (timeout or stop). */
  aborted: boolean;
}

function truncate(value: number, resolution: number): number {
  return resolution > 0 ? Math.floor(value / resolution) * resolution : value;
}

export class SimulatedNetwork {
  readonly time: FakeTime;
  readonly exchanges: Exchange[] = [];
  readonly #rng: () => number;
  readonly #options: SimulatedNetworkOptions;
  readonly #wallStart: number;
  readonly #monoStart: number;
  #serverOffset: number;
  #wallStep = 0;
  /** Probability that an exchange fails; may be changed between batches (the network heals). */
  loss: number;
  /** When set, the server answers with these instead of its clock (a broken server). */
  stampOverride: ((real: ServerStamps) => ServerStamps) | undefined;

  constructor(options: SimulatedNetworkOptions) {
    this.#options = options;
    this.#rng = mulberry32(options.seed ?? 1);
    this.#wallStart = options.wallStartMs ?? 1_795_439_560_138.25;
    this.#monoStart = options.monoStartMs ?? 12_345.678;
    this.#serverOffset = options.trueOffsetMs;
    this.loss = options.loss ?? 0;
    this.time = new FakeTime(0);
  }

  /** Server clock minus client wall clock, right now (exact). */
  get trueOffset(): number {
    return this.#serverOffset - this.#wallStep;
  }

  /** The server's clock, unrounded. */
  serverNow(): number {
    return this.#wallStart + this.time.now() + this.#serverOffset;
  }

  /** The client's wall clock (Date.now()). */
  readonly wallNow = (): number => this.#wallStart + this.time.now() + this.#wallStep;

  /** The client's monotonic clock (performance.now()). */
  readonly monotonicNow = (): number =>
    truncate(
      this.#monoStart + this.time.now() * (1 + (this.#options.monoDriftPpm ?? 0) * 1e-6),
      this.#options.monoResolutionMs ?? 0,
    );

  /** The client's wall clock steps (an NTP step, a user changing the time). */
  stepClientWall(ms: number): void {
    this.#wallStep += ms;
  }

  /** The server's clock steps: the source of truth moves. */
  jumpServer(ms: number): void {
    this.#serverOffset += ms;
  }

  #stamp(): number {
    return truncate(this.serverNow(), this.#options.serverResolutionMs ?? 0);
  }

  readonly fetchTime: FetchTime = (signal) =>
    new Promise<ServerStamps>((resolve, reject) => {
      const rng = this.#rng;
      const kinds = this.#options.failures ?? ['refused', 'lost-request', 'lost-response', 'slow-reject'];
      const fails = rng() < this.loss;
      const failure = fails ? kinds[Math.floor(rng() * kinds.length)] : undefined;
      const up = Math.max(0, this.#options.up(rng));
      const processing = Math.max(0, (this.#options.processing ?? latency.fixed(0.2))(rng));
      const down = Math.max(0, this.#options.down(rng));
      const exchange: Exchange = {
        index: this.exchanges.length,
        sentAt: this.time.now(),
        failure,
        up,
        processing,
        down,
        networkDelay: up + down,
        stamps: undefined,
        aborted: false,
      };
      this.exchanges.push(exchange);

      let pending: unknown;
      const later = (ms: number, then: () => void): void => {
        pending = this.time.setTimeout(then, ms);
      };
      signal.addEventListener(
        'abort',
        () => {
          this.time.clearTimeout(pending);
          exchange.aborted = true;
          reject(new Error('aborted'));
        },
        { once: true },
      );

      switch (failure) {
        case 'refused':
          later(up + down, () => reject(new Error('ECONNREFUSED')));
          return;
        case 'slow-reject':
          later(1_000 + 20_000 * rng(), () => reject(new Error('ETIMEDOUT')));
          return;
        case 'lost-request':
          return; // nothing ever comes back
        case 'lost-response':
        case undefined:
          later(up, () => {
            const t1 = this.#stamp();
            later(processing, () => {
              const t2 = this.#stamp();
              const real = { t1, t2 };
              const stamps = this.stampOverride ? this.stampOverride(real) : real;
              exchange.stamps = stamps;
              if (failure === 'lost-response') return;
              later(down, () => resolve(stamps));
            });
          });
          return;
      }
    });

  /** The injected dependencies for createClockSync. */
  deps(): {
    fetchTime: FetchTime;
    monotonicNow: () => number;
    wallNow: () => number;
    setTimeout: SetTimeoutLike;
    clearTimeout: ClearTimeoutLike;
  } {
    return {
      fetchTime: this.fetchTime,
      monotonicNow: this.monotonicNow,
      wallNow: this.wallNow,
      setTimeout: this.time.setTimeout,
      clearTimeout: this.time.clearTimeout,
    };
  }
}
