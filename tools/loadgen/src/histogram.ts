/**
 * Latency recorders over HdrHistogram (the plain JavaScript build: no WebAssembly to initialise,
 * and it runs the same everywhere). Values are recorded in integer microseconds from 1 µs to 1 h
 * with 3 significant digits (0.1 % relative error), and read back in milliseconds.
 */
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';
import type { HdrSummary } from './results.js';

/** 1 µs … 1 h, in microseconds. */
const LOWEST_US = 1;
const HIGHEST_US = 3_600_000_000;
/** 32-bit counts: 4 billion samples per bucket, far beyond any phase; half the memory of 64-bit. */
const BIT_BUCKET_SIZE = 32;

export interface LatencyRecorder {
  /** Records one latency in milliseconds (clamped to 1 µs … 1 h: a histogram must not throw mid-run). */
  record(ms: number): void;
  readonly count: number;
  /** Percentiles in milliseconds; 0 everywhere when nothing was recorded. */
  summary(): HdrSummary;
  /** The value at percentile `p` (0–100) in milliseconds; 0 when nothing was recorded. */
  percentile(p: number): number;
  /** The compressed base64 form (HdrHistogram's standard encoding, readable by other HDR tools). */
  encode(): string;
  /** Adds every value recorded by `other` to this recorder (`other` is unchanged). */
  add(other: LatencyRecorder): void;
}

/** The histogram behind each recorder, so `add` can merge two recorders without exposing it. */
const histograms = new WeakMap<LatencyRecorder, Histogram>();

export function createRecorder(): LatencyRecorder {
  return wrap(
    build({
      useWebAssembly: false,
      bitBucketSize: BIT_BUCKET_SIZE,
      autoResize: false,
      lowestDiscernibleValue: LOWEST_US,
      highestTrackableValue: HIGHEST_US,
      numberOfSignificantValueDigits: 3,
    }),
  );
}

/** Reads back what `encode()` produced (e.g. from a saved results file) to merge or query it. */
export function decodeRecorder(base64: string): LatencyRecorder {
  return wrap(decodeFromCompressedBase64(base64, BIT_BUCKET_SIZE, false));
}

function wrap(histogram: Histogram): LatencyRecorder {
  const ms = (microseconds: number) => microseconds / 1000;
  const recorder: LatencyRecorder = {
    record(value) {
      const microseconds = Number.isFinite(value) ? Math.round(value * 1000) : HIGHEST_US;
      histogram.recordValue(Math.min(HIGHEST_US, Math.max(LOWEST_US, microseconds)));
    },
    get count() {
      return histogram.totalCount;
    },
    summary() {
      const count = histogram.totalCount;
      if (count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
      return {
        count,
        // Bucket bounds (not the raw extremes the live histogram also tracks), so a decoded copy
        // reports exactly the same figures as the original.
        min: ms(histogram.getValueAtPercentile(0)),
        // The mean of bucket values: within the histogram's 0.1 %, rounded to the microsecond.
        mean: ms(Math.round(histogram.mean)),
        p50: ms(histogram.getValueAtPercentile(50)),
        p90: ms(histogram.getValueAtPercentile(90)),
        p99: ms(histogram.getValueAtPercentile(99)),
        p999: ms(histogram.getValueAtPercentile(99.9)),
        max: ms(histogram.getValueAtPercentile(100)),
      };
    },
    percentile(p) {
      return histogram.totalCount === 0 ? 0 : ms(histogram.getValueAtPercentile(p));
    },
    encode() {
      return encodeIntoCompressedBase64(histogram);
    },
    add(other) {
      const source = histograms.get(other);
      if (source === undefined)
        throw new TypeError('add() takes a recorder made by createRecorder or decodeRecorder');
      histogram.add(source);
    },
  };
  histograms.set(recorder, histogram);
  return recorder;
}
