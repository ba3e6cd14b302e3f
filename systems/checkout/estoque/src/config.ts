import { checkoutServiceSettings } from '@dslab/checkout-kit';

/** Every setting of estoque; parsed once in main.ts (the only reader of process.env). */
export const estoqueConfigSchema = {
  ...checkoutServiceSettings('estoque'),
};
