import { checkoutServiceSettings } from '@dslab/checkout-kit';
import { env } from '@dslab/config';
import { MAX_SEED } from '@dslab/random';

/** Every setting of logistica; parsed once in main.ts (the only reader of process.env). */
export const logisticaConfigSchema = {
  ...checkoutServiceSettings('logistica'),
  LOGISTICA_SEED: env
    .int(
      'seed of the random tracking codes (reproducible runs on a fresh database; a restart with the same seed draws taken codes again and falls back on the retry); unset draws from the OS',
      { min: 0, max: MAX_SEED },
    )
    .optional(),
};
