/**
 * The payment simulator's decision (seed: `time.sleep(random.uniform(0.5, 1.5))` and
 * `random.random() > 0.1`) as a pure function of its configuration and an injected random
 * source. The adapter sleeps for `latencyMs` and stores `status`; tests and benchmarks pass a
 * seeded source so a run reproduces from its seed.
 *
 * Each decision draws exactly two numbers, latency first, then the outcome. Keeping the order
 * and count fixed means the same seed gives the same sequence of decisions whatever the
 * configuration, so two configurations can be compared on the same "luck".
 */

export interface SimulatorConfig {
  /** Shortest simulated processing time, integer ms. */
  readonly minMs: number;
  /** Longest simulated processing time, integer ms (inclusive). */
  readonly maxMs: number;
  /** Probability in [0, 1] that a payment is rejected. */
  readonly rejectionProbability: number;
}

/** The seed's simulator: 0.5–1.5 s, 10 % rejected. */
export const SEED_SIMULATOR: SimulatorConfig = Object.freeze({
  minMs: 500,
  maxMs: 1500,
  rejectionProbability: 0.1,
});

/** A minute: longer than any RPC deadline we set, so a larger value is a typo, not a test. */
export const MAX_LATENCY_MS = 60_000;

export interface ConfigError {
  readonly field: keyof SimulatorConfig;
  readonly reason: string;
}

export type ConfigValidation =
  | { readonly ok: true; readonly value: SimulatorConfig }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

function isLatency(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_LATENCY_MS;
}

/** Checks every bound and reports each bad field: 0 ≤ p ≤ 1, 0 ≤ minMs ≤ maxMs ≤ 60 000, integer ms. */
export function validateSimulatorConfig(config: SimulatorConfig): ConfigValidation {
  const errors: ConfigError[] = [];
  const { minMs, maxMs, rejectionProbability: p } = config;
  if (!isLatency(minMs))
    errors.push({
      field: 'minMs',
      reason: `minMs must be an integer from 0 to ${MAX_LATENCY_MS} (got ${minMs})`,
    });
  if (!isLatency(maxMs))
    errors.push({
      field: 'maxMs',
      reason: `maxMs must be an integer from 0 to ${MAX_LATENCY_MS} (got ${maxMs})`,
    });
  else if (isLatency(minMs) && minMs > maxMs)
    errors.push({ field: 'maxMs', reason: `maxMs (${maxMs}) must not be less than minMs (${minMs})` });
  if (!(p >= 0 && p <= 1))
    errors.push({
      field: 'rejectionProbability',
      reason: `rejectionProbability must be from 0 to 1 (got ${p})`,
    });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { minMs, maxMs, rejectionProbability: p } };
}

export type DecidedStatus = 'aprovado' | 'rejeitado';

export interface PaymentDecision {
  /** How long the simulated processing takes, integer ms in [minMs, maxMs]. */
  readonly latencyMs: number;
  readonly status: DecidedStatus;
}

function draw(random: () => number): number {
  const r = random();
  // A source outside [0, 1) is a wiring bug; silently clamping it would skew the statistics.
  if (!(r >= 0 && r < 1)) throw new RangeError(`random() must return a number in [0, 1), got ${r}`);
  return r;
}

/**
 * One simulated payment. `config` must have passed validateSimulatorConfig.
 * Latency is uniform over the integers minMs..maxMs; the payment is rejected when the second
 * draw is below p, so p = 0 never rejects and p = 1 always does.
 */
export function decidePayment(config: SimulatorConfig, random: () => number): PaymentDecision {
  const span = config.maxMs - config.minMs + 1;
  const latencyMs = config.minMs + Math.floor(draw(random) * span);
  const status = draw(random) < config.rejectionProbability ? 'rejeitado' : 'aprovado';
  return { latencyMs, status };
}
