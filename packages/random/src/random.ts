import { randomInt } from 'node:crypto';

/**
 * The largest seed that `seededRandom` tells apart: the generator's state is 32 bits, so seeds are
 * taken modulo 2^32. Settings that accept a seed (PAGAMENTO_SEED, FISCAL_SEED, LOGISTICA_SEED)
 * use it as their maximum.
 */
export const MAX_SEED = 0xffff_ffff;

/**
 * A seeded pseudo-random generator (mulberry32) uniform in [0, 1): the same seed gives the same
 * sequence, so a simulator run, a property test or a demo reproduces from its seed. 32-bit state,
 * period 2^32: plenty for simulations and tests, not for anything secret (see `osRandom`).
 *
 * Any integer is accepted and taken modulo 2^32 (`seed ^ 0x9e3779b9` may be negative); a seed that
 * is not an integer (1.5, NaN, Infinity) throws a RangeError instead of silently meaning 0.
 */
export function seededRandom(seed: number): () => number {
  if (!Number.isInteger(seed)) throw new RangeError(`the seed must be an integer (got ${seed})`);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A uniform draw in [0, 1) from the operating system's randomness (47 bits, node:crypto). */
export function osRandom(): number {
  return randomInt(0, 2 ** 47) / 2 ** 47;
}

/** How a service that draws at random is told where from (its deps spread this). */
export interface RandomSourceOptions {
  /** A ready source, uniform in [0, 1) (tests); wins over `seed`. */
  readonly random?: () => number;
  /** A seed for a reproducible run (the service's *_SEED setting); unset: the OS's randomness. */
  readonly seed?: number | undefined;
}

/** The source `options` asks for: `random` when given, else `seededRandom(seed)` when seeded, else `osRandom`. */
export function randomSource(options: RandomSourceOptions): () => number {
  return options.random ?? (options.seed === undefined ? osRandom : seededRandom(options.seed));
}
