/**
 * The only place the KV benchmark reads the environment: the engine URLs (as the services name
 * them, with the same development defaults), and the environment its child processes inherit,
 * minus the settings the benchmark decides itself.
 */
import { environmentWithout } from '@dslab/bench-kit';

export interface BenchEngines {
  databaseUrl: string;
  redisUrl: string;
  amqpUrl: string;
  /** Which URLs are development defaults (the report says so). */
  defaults: string[];
}

export function benchEngines(): BenchEngines {
  const defaults: string[] = [];
  const pick = (name: string, fallback: string) => {
    const value = process.env[name];
    if (value !== undefined && value !== '') return value;
    defaults.push(name);
    return fallback;
  };
  return {
    databaseUrl: pick('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/test'),
    redisUrl: pick('REDIS_URL', 'redis://127.0.0.1:6379'),
    amqpUrl: pick('AMQP_URL', 'amqp://guest:guest@127.0.0.1:5672'),
    defaults,
  };
}

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
