/**
 * The engine settings kv-api and kv-consumer share: where PostgreSQL, Redis and RabbitMQ are, and
 * the namespaces inside them (schema, cache keys, queue names). Both deployables spread these
 * fields into their own config schema (each config.ts stays the only place its service reads the
 * environment), so the two cannot disagree on a name or a default.
 */
import { env, type ConfigOf } from '@dslab/config';

/** PostgreSQL schema names the KV accepts (openDatabase refuses anything else). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

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
    // A Redis that accepts the connection but never answers must not hold anything: past this, a
    // read falls back to PostgreSQL, an apply fails (its message is retried) and a health check
    // answers 503.
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

export type KvEngineSettings = ConfigOf<typeof kvEngineSettings>;

/** The rules across the engine settings (a deployable's ConfigOptions.check runs them). */
export function checkKvEngineSettings(config: Pick<KvEngineSettings, 'KV_SCHEMA'>): string[] {
  return SCHEMA_NAME.test(config.KV_SCHEMA)
    ? []
    : [
        `KV_SCHEMA must be a PostgreSQL schema name (1 to 63 lower-case letters, digits or _, not starting with a digit), got "${config.KV_SCHEMA}"`,
      ];
}

/**
 * The settings as the environment of a process that parses them again (a child kv-consumer in
 * tests, a launched service): every value as text.
 */
export function kvEngineEnvironment(settings: KvEngineSettings): Record<keyof KvEngineSettings, string> {
  return Object.fromEntries(Object.entries(settings).map(([key, value]) => [key, String(value)])) as Record<
    keyof KvEngineSettings,
    string
  >;
}
