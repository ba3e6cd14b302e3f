/**
 * @dslab/kv-core: the KV system's domain, adapters (PostgreSQL store, Redis cache), use cases
 * (reader, writer, applier, consumer wiring) and engine wiring (settings, clients, health checks),
 * shared by kv-api and kv-consumer.
 */
export * from './domain/index.js';
export type { ApplyResult, KvCache, KvStore } from './app/ports.js';
export {
  createKvReader,
  DEFAULT_POLL_INTERVAL_MS,
  type KvRead,
  type KvReader,
  type KvReaderOptions,
  type KvReadOptions,
} from './app/reader.js';
export { createKvWriter, type KvWriter, type KvWriterOptions } from './app/writer.js';
export { createKvApplier, type KvApplier, type KvApplierOptions } from './app/applier.js';
export { subscribeKvConsumers, type SubscribeKvConsumersOptions } from './app/consumers.js';
export { LOG_TEXT_MAX, truncateForLog, type KvLogger } from './app/logger.js';
export {
  KV_VERSION_SEQUENCE,
  kvMigrations,
  openKvDatabase,
  type KvStoreRow,
  type KvTables,
  type OpenKvDatabaseOptions,
} from './adapters/schema.js';
export { createPostgresKvStore } from './adapters/postgres-kv-store.js';
export { createRedisKvCache, type RedisKvCacheOptions } from './adapters/redis-kv-cache.js';
export {
  checkKvEngineSettings,
  kvEngineEnvironment,
  kvEngineSettings,
  type KvEngineSettings,
} from './wiring/settings.js';
export {
  boundedProbe,
  combineProbes,
  engineHealth,
  engineProbes,
  HEALTH_TIMEOUT_MS,
  type EngineClients,
  type KvHealthCheck,
  type Probe,
} from './wiring/health.js';
export {
  openKvEngines,
  openKvEnginesOrExit,
  openKvRedis,
  type KvEngines,
  type OpenKvEnginesOptions,
} from './wiring/engines.js';
