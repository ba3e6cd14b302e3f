/**
 * A small seeded pseudo-random generator for the payment simulator (PAGAMENTO_SEED): with a
 * seed, a run's sequence of decisions reproduces exactly; without one the adapter passes
 * Math.random. mulberry32: 32-bit state, uniform in [0, 1), period 2^32, plenty for a
 * simulator (not for anything secret).
 */

/** The largest accepted seed: the generator's state is 32 bits. */
export const MAX_RANDOM_SEED = 0xffff_ffff;

/** A generator of numbers uniform in [0, 1), fully determined by `seed` (an integer 0..2^32−1). */
export function mulberry32(seed: number): () => number {
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_RANDOM_SEED)
    throw new RangeError(`the seed must be an integer from 0 to ${MAX_RANDOM_SEED} (got ${seed})`);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
