import { checkoutServiceSettings } from '@dslab/checkout-kit';
import { env, type ConfigOf } from '@dslab/config';
import { MAX_SEED } from '@dslab/random';
import {
  MAX_LATENCY_MS,
  SEED_SIMULATOR,
  validateSimulatorConfig,
  type SimulatorConfig,
} from './domain/simulator.js';

/** Every setting of pagamentos; parsed once in main.ts (the only reader of process.env). */
export const pagamentosConfigSchema = {
  ...checkoutServiceSettings('pagamentos'),
  PAGAMENTO_LATENCIA_MIN_MS: env
    .int('shortest simulated payment processing time, ms', { min: 0, max: MAX_LATENCY_MS })
    .default(SEED_SIMULATOR.minMs),
  PAGAMENTO_LATENCIA_MAX_MS: env
    .int('longest simulated payment processing time, ms (inclusive)', { min: 0, max: MAX_LATENCY_MS })
    .default(SEED_SIMULATOR.maxMs),
  PAGAMENTO_TAXA_REJEICAO: env
    .number('probability (0 to 1) that the simulator rejects a payment', { min: 0, max: 1 })
    .default(SEED_SIMULATOR.rejectionProbability),
  PAGAMENTO_SEED: env
    .int('seed of the simulator’s random draws, for a reproducible run (unset: not reproducible)', {
      min: 0,
      max: MAX_SEED,
    })
    .optional(),
};

export type PagamentosConfig = ConfigOf<typeof pagamentosConfigSchema>;

/** The simulator's settings as the domain's configuration. */
export function simulatorFromConfig(config: PagamentosConfig): SimulatorConfig {
  return {
    minMs: config.PAGAMENTO_LATENCIA_MIN_MS,
    maxMs: config.PAGAMENTO_LATENCIA_MAX_MS,
    rejectionProbability: config.PAGAMENTO_TAXA_REJEICAO,
  };
}

const SETTING_OF: Record<keyof SimulatorConfig, string> = {
  minMs: 'PAGAMENTO_LATENCIA_MIN_MS',
  maxMs: 'PAGAMENTO_LATENCIA_MAX_MS',
  rejectionProbability: 'PAGAMENTO_TAXA_REJEICAO',
};

/**
 * The cross-field rules of the configuration (loadConfigOrExit's `check`): the simulator's
 * bounds, e.g. PAGAMENTO_LATENCIA_MIN_MS ≤ PAGAMENTO_LATENCIA_MAX_MS, one message per broken
 * rule naming the settings.
 */
export function checkPagamentosConfig(config: PagamentosConfig): string[] {
  const checked = validateSimulatorConfig(simulatorFromConfig(config));
  if (checked.ok) return [];
  return checked.errors.map((e) => {
    if (e.field === 'maxMs' && config.PAGAMENTO_LATENCIA_MIN_MS > config.PAGAMENTO_LATENCIA_MAX_MS)
      return `PAGAMENTO_LATENCIA_MAX_MS (${config.PAGAMENTO_LATENCIA_MAX_MS}) must not be less than PAGAMENTO_LATENCIA_MIN_MS (${config.PAGAMENTO_LATENCIA_MIN_MS})`;
    return `${SETTING_OF[e.field]}: ${e.reason}`;
  });
}
