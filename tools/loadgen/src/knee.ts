/**
 * The knee of the latency curve: open-model steps at increasing rates until one fails the target,
 * and the highest rate that still met it. The decision (`kneeOf`) is pure; `runStepped` runs the
 * steps and stops after the first failure (a system past its knee only gets slower).
 */
import { formatMs } from '@dslab/bench-kit';
import type { HdrSummary, PhaseResult } from './results.js';

/** What the decision reads of a step (a PhaseResult has all of it). */
export interface KneeStep {
  /** The rate the step offered (orders/s); null is not an open-model step. */
  readonly offeredRate: number | null;
  readonly sent: number;
  readonly errors: number;
  /** Orders ended per second of the step's window. */
  readonly throughput: number;
  readonly endToEnd: Pick<HdrSummary, 'p99'>;
}

export interface KneeDecision {
  /** The last rate that met every criterion before the first step that did not (null: none did). */
  readonly kneeRate: number | null;
  /** One sentence: why the stepping stopped, or that every step met the target. */
  readonly kneeReason: string;
  /** Index of the first step that failed; null when every step met the target. */
  readonly failedStep: number | null;
}

/** Below this share of the offered rate, the system "could not keep up". */
const KEEP_UP_RATIO = 0.9;
export const DEFAULT_MAX_ERROR_RATIO = 0.01;

/**
 * Why `step` misses the target (its p99 above it, too many errors, or throughput under 90 % of
 * the offered rate), as one sentence; null when it meets all three.
 */
export function stepFailure(step: KneeStep, targetP99Ms: number, maxErrorRatio: number): string | null {
  const rate = rateOf(step);
  const misses: string[] = [];
  if (step.endToEnd.p99 > targetP99Ms) {
    misses.push(`p99 ${formatMs(step.endToEnd.p99)} ms > ${formatMs(targetP99Ms)} ms`);
  }
  const errorRatio = step.sent === 0 ? 0 : step.errors / step.sent;
  if (errorRatio > maxErrorRatio) {
    misses.push(`error ratio ${formatPercent(errorRatio)} > ${formatPercent(maxErrorRatio)}`);
  }
  if (step.throughput < KEEP_UP_RATIO * rate) {
    misses.push(
      `throughput ${formatRate(step.throughput)}/s < ${formatPercent(KEEP_UP_RATIO)} of the offered rate`,
    );
  }
  return misses.length === 0 ? null : `${misses.join(' and ')} at ${formatRate(rate)}/s`;
}

/** Decides the knee of steps run in increasing rate order. */
export function kneeOf(
  steps: readonly KneeStep[],
  targetP99Ms: number,
  maxErrorRatio: number = DEFAULT_MAX_ERROR_RATIO,
): KneeDecision {
  let kneeRate: number | null = null;
  for (const [index, step] of steps.entries()) {
    const failure = stepFailure(step, targetP99Ms, maxErrorRatio);
    if (failure !== null) return { kneeRate, kneeReason: failure, failedStep: index };
    kneeRate = rateOf(step);
  }
  return {
    kneeRate,
    kneeReason:
      kneeRate === null ? 'no step ran' : `every step met the target (highest ${formatRate(kneeRate)}/s)`,
    failedStep: null,
  };
}

export interface SteppedOptions<Step extends KneeStep> {
  /** In increasing order. */
  readonly rates: readonly number[];
  readonly targetP99Ms: number;
  /** Errors / sent above which a step fails (default 0.01). */
  readonly maxErrorRatio?: number | undefined;
  readonly runStep: (rate: number) => Promise<Step>;
}

export interface SteppedResult<Step extends KneeStep> {
  /** The steps that ran, the failing one included. */
  readonly steps: Step[];
  readonly kneeRate: number | null;
  readonly kneeReason: string;
}

/** Runs `rates` in order and stops after the first step that misses the target. */
export async function runStepped<Step extends KneeStep = PhaseResult>(
  options: SteppedOptions<Step>,
): Promise<SteppedResult<Step>> {
  const maxErrorRatio = options.maxErrorRatio ?? DEFAULT_MAX_ERROR_RATIO;
  const steps: Step[] = [];
  for (const rate of options.rates) {
    const step = await options.runStep(rate);
    steps.push(step);
    if (stepFailure(step, options.targetP99Ms, maxErrorRatio) !== null) break;
  }
  const { kneeRate, kneeReason } = kneeOf(steps, options.targetP99Ms, maxErrorRatio);
  return { steps, kneeRate, kneeReason };
}

function rateOf(step: KneeStep): number {
  if (step.offeredRate === null)
    throw new TypeError('the knee is decided over open-model steps (offeredRate)');
  return step.offeredRate;
}

/** 80, 12.5, 0.25: no trailing zeros. */
function formatRate(rate: number): string {
  return String(Math.round(rate * 100) / 100);
}

/** 1%, 3.2%, 0.5%. */
function formatPercent(ratio: number): string {
  return `${String(Math.round(ratio * 1000) / 10)}%`;
}
