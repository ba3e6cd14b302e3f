import { env, type ConfigOf, type ConfigOptions } from '@dslab/config';
import { loggingSettings } from '@dslab/logging';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The engines and namespaces kv-consumer shares with kv-api: the same keys and defaults as
 * kv-api's kvEngineSettings (two deployables do not import each other; systems/kv/test/compose.test.ts
 * checks that both declare the same settings with the same defaults).
 */
export const kvConsumerEngineSettings = {
  DATABASE_URL: env
    .url('PostgreSQL holding kv_store and the version sequence', { protocols: ['postgres', 'postgresql'] })
    .devDefault('postgres://postgres@127.0.0.1:5432/test'),
  KV_SCHEMA: env.string('PostgreSQL schema of the KV (lower-case letters, digits, _)').default('kv'),
  DATABASE_POOL_SIZE: env.int('PostgreSQL connections of this process', { min: 1, max: 100 }).default(10),
  REDIS_URL: env
    .url('Redis holding the cache', { protocols: ['redis', 'rediss'] })
    .devDefault('redis://127.0.0.1:6379'),
  REDIS_COMMAND_TIMEOUT_MS: env
    // A Redis that hangs fails the apply (the message is retried) instead of holding it forever.
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

/** Every setting of kv-consumer; parsed once in main.ts (the only reader of process.env). */
export const kvConsumerConfigSchema = {
  KV_CONSUMER_PORT: env.port('HTTP port of /health and /metrics').default(8081),
  HOST: env.string('interface to listen on').default('0.0.0.0'),
  DATA_DIR: env.string('directory of app.log (unless LOG_DIR says otherwise)').default('./data/kv'),
  ...loggingSettings,
  ...kvConsumerEngineSettings,
  KV_PREFETCH: env
    .int('messages applied at once per queue (RabbitMQ prefetch)', { min: 1, max: 1000 })
    .default(32),
  KV_MAX_ATTEMPTS: env
    .int('deliveries of a failing message before it goes to the dead-letter queue', { min: 1, max: 100 })
    .default(10),
  KV_RETRY_MAX_DELAY_MS: env
    .int('longest wait before a retry (the wait doubles from 200 ms up to this)', {
      min: 200,
      max: 3_600_000,
    })
    .default(30_000),
};

export type KvConsumerConfig = ConfigOf<typeof kvConsumerConfigSchema>;

export const kvConsumerConfigOptions: ConfigOptions<typeof kvConsumerConfigSchema> = {
  check(config) {
    return SCHEMA_NAME.test(config.KV_SCHEMA)
      ? []
      : [
          `KV_SCHEMA must be a PostgreSQL schema name (1 to 63 lower-case letters, digits or _, not starting with a digit), got "${config.KV_SCHEMA}"`,
        ];
  },
};

/** Retry n waits 200 ms × 2^(n−1), capped at `maxDelayMs`. */
export function retryDelay(maxDelayMs: number): (attempt: number) => number {
  return (attempt) => Math.min(200 * 2 ** Math.max(0, attempt - 1), maxDelayMs);
}
