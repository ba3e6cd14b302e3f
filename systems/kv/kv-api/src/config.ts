import { env, type ConfigOf, type ConfigOptions } from '@dslab/config';
import { loggingSettings } from '@dslab/logging';

/** PostgreSQL schema names the KV accepts (openDatabase refuses anything else). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The engines and namespaces kv-api and kv-consumer share. kv-consumer declares the same keys
 * with the same defaults (its own config.ts): the two must agree on schema, queue names and cache
 * keys, and systems/kv/test/compose.test.ts checks that they do.
 */
export const kvEngineSettings = {
  DATABASE_URL: env
    .url('PostgreSQL holding kv_store and the version sequence', { protocols: ['postgres', 'postgresql'] })
    .devDefault('postgres://postgres@127.0.0.1:5432/test'),
  KV_SCHEMA: env.string('PostgreSQL schema of the KV (lower-case letters, digits, _)').default('kv'),
  DATABASE_POOL_SIZE: env.int('PostgreSQL connections of this process', { min: 1, max: 100 }).default(10),
  REDIS_URL: env
    .url('Redis holding the cache', { protocols: ['redis', 'rediss'] })
    .devDefault('redis://127.0.0.1:6379'),
  REDIS_COMMAND_TIMEOUT_MS: env
    // A Redis that accepts the connection but never answers must not hold requests: past this,
    // a read falls back to PostgreSQL and a health check answers 503.
    .int('longest wait for one Redis command', { min: 10, max: 60_000 })
    .default(500),
  AMQP_URL: env
    .url('RabbitMQ carrying the add_key and del_key queues', { protocols: ['amqp', 'amqps'] })
    .devDefault('amqp://guest:guest@127.0.0.1:5672'),
  KV_QUEUE_PREFIX: env
    .string('prefix of the queue names (<prefix>add_key, <prefix>del_key); empty in production')
    .default(''),
  KV_CACHE_PREFIX: env.string('prefix of the Redis cache keys').default('kv:'),
  KV_CACHE_TTL_MS: env
    .int('lifetime of a cache entry; bounds how long a stale fill can survive an eviction race', {
      min: 1000,
      max: 30 * 24 * 3_600_000,
    })
    .default(3_600_000),
};

/** Every setting of kv-api; parsed once in main.ts (the only reader of process.env). */
export const kvApiConfigSchema = {
  KV_PORT: env.port('HTTP port of the KV API').default(8080),
  HOST: env.string('interface to listen on').default('0.0.0.0'),
  DATA_DIR: env.string('directory of app.log (unless LOG_DIR says otherwise)').default('./data/kv'),
  ...loggingSettings,
  ...kvEngineSettings,
  KV_MIN_VERSION_WAIT_MS: env
    .int('longest wait of GET ?min_version=V for version V to become visible, before 425', {
      min: 0,
      max: 30_000,
    })
    .default(2000),
  PUBLISH_TIMEOUT_MS: env
    .int('longest wait for the broker to confirm a write, before 503', { min: 100, max: 60_000 })
    .default(5000),
  RATE_LIMIT_PER_MINUTE: env
    .int('requests per minute per client address; 0 (default) is off', { min: 0 })
    .default(0),
};

export type KvApiConfig = ConfigOf<typeof kvApiConfigSchema>;

/** Rules across the engine settings, shared with kv-consumer. */
export function checkEngineSettings(config: { readonly KV_SCHEMA: string }): string[] {
  return SCHEMA_NAME.test(config.KV_SCHEMA)
    ? []
    : [
        `KV_SCHEMA must be a PostgreSQL schema name (1 to 63 lower-case letters, digits or _, not starting with a digit), got "${config.KV_SCHEMA}"`,
      ];
}

export const kvApiConfigOptions: ConfigOptions<typeof kvApiConfigSchema> = {
  check: checkEngineSettings,
};
