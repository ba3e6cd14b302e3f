/**
 * The only place the load generator reads the environment: the engine URLs (as the services name
 * them, with the development defaults of .ci/run), and the environment its child processes
 * inherit, minus every setting the load generator decides itself.
 */
import { engineUrls, environmentWithout } from '@dslab/bench-kit';

/** The engine URLs, and which of them are development defaults (the report says so). */
export function loadgenEngines() {
  const { urls, defaults } = engineUrls(process.env, ['DATABASE_URL', 'AMQP_URL']);
  return { databaseUrl: urls.DATABASE_URL, amqpUrl: urls.AMQP_URL, defaults };
}

export type LoadgenEngines = ReturnType<typeof loadgenEngines>;

/**
 * Settings of the checkout's processes that the load generator sets itself (topology.ts) or
 * leaves at their default: one inherited from the shell would change what is measured.
 */
const DECIDED_BY_THE_LOADGEN = new Set([
  'AMQP_URL',
  'DATABASE_URL',
  'DATABASE_URL_TEST',
  'DATABASE_SCHEMA',
  'DATABASE_SCHEMA_PREFIX',
  'DATABASE_POOL_SIZE',
  'QUEUE_PREFIX',
  'WORKER_SERVICES',
  'PREFETCH',
  'MAX_ATTEMPTS',
  'STEP_TIMEOUT_MS',
  'STALL_AFTER_MS',
  'SWEEP_INTERVAL_MS',
  'TRANSPORT',
  'HOST',
  'HTTP_PORT',
  'GRPC_PORT',
  'HEALTH_PORT',
  'DATA_DIR',
  'ECOMMERCE_DB',
  'SEED_IMPORT',
  'LOG_DIR',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'REQUEST_TIMEOUT_MS',
  'RECOVERY_INTERVAL_MS',
  'RECOVERY_BUDGET_MS',
  'COMPENSATION_RESERVE_MS',
  'RATE_LIMIT_PER_MINUTE',
  'PAGAMENTO_LATENCIA_MIN_MS',
  'PAGAMENTO_LATENCIA_MAX_MS',
  'PAGAMENTO_TAXA_REJEICAO',
  'PAGAMENTO_SEED',
  'FISCAL_UF',
  'FISCAL_CNPJ',
  'FISCAL_SERIE',
  'FISCAL_SEED',
  'LOGISTICA_SEED',
  'CHECKOUT_JWT_SECRET',
  'CHECKOUT_SENHA_PADRAO',
  'TOKEN_TTL_SECONDS',
  'ASYNC_TEST_VERBOSE',
  'NODE_OPTIONS',
]);

/** The children's environment: ours minus the settings the load generator decides itself. */
export function childEnvironment(): NodeJS.ProcessEnv {
  return environmentWithout(process.env, DECIDED_BY_THE_LOADGEN);
}
