/**
 * A seeded random source (mulberry32, uniform in [0, 1)) for reproducible runs: with
 * LOGISTICA_SEED set, the tracking codes repeat from run to run on a fresh database (tests,
 * demos). Without it the service draws from the operating system (crypto), wired in app.ts:
 * the domain only ever sees a `() => number`.
 */
export function seededRandomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
