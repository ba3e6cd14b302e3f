/**
 * The only place the KV benchmark reads the environment: the engine URLs (as the services name
 * them, with the same development defaults), and the environment its child processes inherit,
 * minus the settings the benchmark decides itself.
 */
import { engineUrls, environmentWithout } from '@dslab/bench-kit';

/** The engine URLs, and which of them are development defaults (the report says so). */
export function benchEngines() {
  const { urls, defaults } = engineUrls(process.env, ['DATABASE_URL', 'REDIS_URL', 'AMQP_URL']);
  return { databaseUrl: urls.DATABASE_URL, redisUrl: urls.REDIS_URL, amqpUrl: urls.AMQP_URL, defaults };
}

export type BenchEngines = ReturnType<typeof benchEngines>;

const DECIDED_BY_THE_BENCHMARK = new Set([
  'DATABASE_URL',
  'REDIS_URL',
  'AMQP_URL',
  'KV_SCHEMA',
  'KV_QUEUE_PREFIX',
  'KV_CACHE_PREFIX',
  'KV_PORT',
  'KV_CONSUMER_PORT',
  'HOST',
  'PORT',
  'DATA_DIR',
  'LOG_DIR',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'RATE_LIMIT_PER_MINUTE',
  'NODE_OPTIONS',
]);

/** The children's environment: ours minus the settings the benchmark decides itself. */
export function childEnvironment(): NodeJS.ProcessEnv {
  return environmentWithout(process.env, DECIDED_BY_THE_BENCHMARK);
}
