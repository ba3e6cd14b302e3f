import { checkoutServiceSettings, neighbourSettings } from '@dslab/checkout-kit';
import { env } from '@dslab/config';

/** Every setting of pedidos; parsed once in main.ts (the only reader of process.env). */
export const pedidosConfigSchema = {
  ...checkoutServiceSettings('pedidos'),
  ...neighbourSettings(['catalogo', 'pagamentos', 'estoque', 'fiscal', 'logistica']),
  COMPENSATION_RESERVE_MS: env
    .int('part of a request budget kept for compensations when a step fails', { min: 0, max: 30_000 })
    .default(1500),
  RECOVERY_INTERVAL_MS: env
    .int('how often stalled orders (a neighbour was down, a crash) are driven on; 0 turns the loop off', {
      min: 0,
      max: 3_600_000,
    })
    .default(2000),
  RECOVERY_BUDGET_MS: env
    .int('budget of one background attempt on one order', { min: 100, max: 60_000 })
    .default(10_000),
};
