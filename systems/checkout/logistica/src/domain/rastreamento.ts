/**
 * Tracking codes in the seed's shape: `BR{random.randint(100000000, 999999999)}PY`, i.e. "BR",
 * nine digits not starting with 0, "PY". The digits come from an injected random source so tests
 * and demos reproduce; uniqueness is the database's job (a UNIQUE column, retry on collision),
 * since a pure function cannot know which codes are taken.
 *
 * No check digit: the seed's codes have none (real Correios S10 codes do, in a different shape),
 * and adding one would make codes from the seed's own generator invalid.
 */

export const CODIGO_RASTREAMENTO_PATTERN = /^BR[1-9][0-9]{8}PY$/;
const MIN = 100_000_000;
const MAX = 999_999_999;

/** A code uniform over the seed's 900 million values. */
export function generateCodigoRastreamento(random: () => number): string {
  const r = random();
  if (!(r >= 0 && r < 1)) throw new RangeError(`random() must return a number in [0, 1), got ${r}`);
  return `BR${MIN + Math.floor(r * (MAX - MIN + 1))}PY`;
}

/** Accepts surrounding spaces and lower case from people typing a code; returns the canonical form. */
export function normalizeCodigoRastreamento(
  input: string,
): { readonly ok: true; readonly value: string } | { readonly ok: false; readonly reason: string } {
  const code = input.trim().toUpperCase();
  if (CODIGO_RASTREAMENTO_PATTERN.test(code)) return { ok: true, value: code };
  return {
    ok: false,
    reason:
      'codigo_rastreamento must be "BR", nine digits not starting with 0, and "PY" (e.g. BR123456789PY)',
  };
}

export function isCodigoRastreamento(value: unknown): value is string {
  return typeof value === 'string' && CODIGO_RASTREAMENTO_PATTERN.test(value);
}
