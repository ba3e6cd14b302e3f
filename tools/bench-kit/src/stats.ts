/** Pure statistics of a benchmark: latency samples, percentiles, ratios and rounding. */

/** A growable buffer of latency samples in milliseconds (fractional). */
export class Samples {
  private data = new Float64Array(1024);
  private size = 0;

  add(value: number): void {
    if (this.size === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.size++] = value;
  }

  get count(): number {
    return this.size;
  }

  /** The samples in ascending order (a copy). */
  sorted(): Float64Array {
    return this.data.slice(0, this.size).sort();
  }
}

/**
 * Nearest-rank percentile of ascending values: the smallest value such that at least p % of
 * the values are less than or equal to it. NaN for no values.
 */
export function percentile(sortedValues: ArrayLike<number>, p: number): number {
  const n = sortedValues.length;
  if (n === 0) return Number.NaN;
  if (p <= 0) return sortedValues[0] ?? Number.NaN;
  if (p >= 100) return sortedValues[n - 1] ?? Number.NaN;
  const rank = Math.ceil((p / 100) * n);
  return sortedValues[Math.min(n, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** count, mean, max and the nearest-rank percentiles `P` of some values: `p50`, `p95`… */
export type Summary<P extends number> = { count: number; mean: number } & {
  [Key in P as `p${Key}`]: number;
} & { max: number };

/**
 * Sorts `values` (unless `alreadySorted`) and reports count, mean, each of `percentiles` (as
 * `p<n>`, nearest rank) and max; mean and the rest are NaN for no values.
 */
export function summarizeAt<const P extends number>(
  values: ArrayLike<number>,
  percentiles: readonly P[],
  alreadySorted = false,
): Summary<P> {
  const sorted = alreadySorted ? values : Float64Array.from(values).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i] ?? 0;
  const result: Record<string, number> = {
    count: sorted.length,
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
  };
  for (const p of percentiles) result[`p${p}`] = percentile(sorted, p);
  result.max = sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] ?? Number.NaN);
  return result as Summary<P>;
}

/** The latency summary of a load run: count, mean, p50, p90, p99 and max. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarize(values: ArrayLike<number>, alreadySorted = false): LatencySummary {
  return summarizeAt(values, [50, 90, 99], alreadySorted);
}

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** value / reference, or null when either is missing, not finite, or the reference is 0. */
export function ratio(value: number | undefined, reference: number | undefined): number | null {
  if (value === undefined || reference === undefined) return null;
  if (!Number.isFinite(value) || !Number.isFinite(reference) || reference === 0) return null;
  return value / reference;
}

/** Rounds to `digits` significant digits (for readable JSON and tables); keeps NaN/null as null. */
export function round(value: number | null | undefined, digits = 4): number | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  if (value === 0) return 0;
  return Number(value.toPrecision(digits));
}
