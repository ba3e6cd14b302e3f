/**
 * What a program that starts checkout processes itself (a benchmark, the load generator) must not
 * pass them from its own environment: the settings the checkout's processes read.
 * The program decides those itself; one inherited from the shell (a DATABASE_URL, an HTTP_PORT,
 * a PREFETCH) would change what is measured without anyone seeing it.
 */
import { catalogoConfigSchema } from '@dslab/checkout-catalogo';
import { estoqueConfigSchema } from '@dslab/checkout-estoque';
import { fiscalConfigSchema } from '@dslab/checkout-fiscal';
import { logisticaConfigSchema } from '@dslab/checkout-logistica';
import { pagamentosConfigSchema } from '@dslab/checkout-pagamentos';
import { pedidosConfigSchema } from '@dslab/checkout-pedidos';
import { embeddedConfigSchema, workerConfigSchema } from './config.js';

/**
 * Every setting of the six services, the worker and the embedded process (their schemas' keys),
 * plus the test switches and NODE_OPTIONS, which change a process as much.
 */
export const CHECKOUT_PROCESS_SETTINGS: ReadonlySet<string> = new Set([
  ...[
    pedidosConfigSchema,
    catalogoConfigSchema,
    estoqueConfigSchema,
    fiscalConfigSchema,
    logisticaConfigSchema,
    pagamentosConfigSchema,
    workerConfigSchema,
    embeddedConfigSchema,
  ].flatMap((schema) => Object.keys(schema)),
  'DATABASE_URL_TEST',
  'ASYNC_TEST_VERBOSE',
  'NODE_OPTIONS',
]);
