import { checkoutServiceSettings, neighbourSettings } from '@dslab/checkout-kit';

/** Every setting of catalogo; parsed once in main.ts (the only reader of process.env). */
export const catalogoConfigSchema = {
  ...checkoutServiceSettings('catalogo'),
  ...neighbourSettings(['estoque']),
};
