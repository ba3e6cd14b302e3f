/**
 * Server-side time source. Injected everywhere so tests control it; the wall clock is only
 * for timestamps that are shown or stored. Durations use performance.now() (monotonic).
 */
export interface Clock {
  /** Wall-clock epoch milliseconds (may have a fractional part). */
  now(): number;
}

export const systemClock: Clock = {
  // Date.now() follows the system's (NTP-disciplined) wall clock, including steps; a
  // timeOrigin + performance.now() clock would silently drift away from it in a long-lived process.
  now: () => Date.now(),
};

/** A clock that only moves when told to: for tests. */
export function manualClock(startMs: number): Clock & { set(ms: number): void; advance(ms: number): void } {
  let current = startMs;
  return {
    now: () => current,
    set(ms) {
      current = ms;
    },
    advance(ms) {
      current += ms;
    },
  };
}

export * from './sync.js';
export * from './fetch-time.js';
