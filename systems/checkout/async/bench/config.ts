/**
 * The only place the checkout-async benchmark reads the environment: the engine URLs (as the
 * worker deployable names them, with the development defaults of .ci/run), and the environment
 * its child processes inherit, minus every setting the benchmark decides itself.
 */
import { engineUrls, environmentWithout } from '@dslab/bench-kit';

/** The engine URLs, and which of them are development defaults (the report says so). */
export function benchEngines() {
  const { urls, defaults } = engineUrls(process.env, ['DATABASE_URL', 'AMQP_URL']);
  return { databaseUrl: urls.DATABASE_URL, amqpUrl: urls.AMQP_URL, defaults };
}

export type BenchEngines = ReturnType<typeof benchEngines>;

/** The worker's settings (systems/checkout/async/src/config.ts) the benchmark sets or leaves at their default. */
const DECIDED_BY_THE_BENCHMARK = new Set([
  'AMQP_URL',
  'DATABASE_URL',
  'DATABASE_URL_TEST',
  'DATABASE_SCHEMA_PREFIX',
  'DATABASE_POOL_SIZE',
  'QUEUE_PREFIX',
  'WORKER_SERVICES',
  'PREFETCH',
  'MAX_ATTEMPTS',
  'STEP_TIMEOUT_MS',
  'HOST',
  'HEALTH_PORT',
  'DATA_DIR',
  'ECOMMERCE_DB',
  'SEED_IMPORT',
  'LOG_DIR',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'PAGAMENTO_LATENCIA_MIN_MS',
  'PAGAMENTO_LATENCIA_MAX_MS',
  'PAGAMENTO_TAXA_REJEICAO',
  'PAGAMENTO_SEED',
  'FISCAL_UF',
  'FISCAL_CNPJ',
  'FISCAL_SERIE',
  'FISCAL_SEED',
  'LOGISTICA_SEED',
  'ASYNC_TEST_VERBOSE',
  'NODE_OPTIONS',
]);

/** The children's environment: ours minus the settings the benchmark decides itself. */
export function childEnvironment(): NodeJS.ProcessEnv {
  return environmentWithout(process.env, DECIDED_BY_THE_BENCHMARK);
}
