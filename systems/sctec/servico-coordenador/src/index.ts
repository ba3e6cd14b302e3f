export { buildApp, DEFAULT_BODY_LIMIT_BYTES, SERVICE, type CoordinatorDeps } from './app.js';
export { createLockEvents, type LockEventListener, type LockEvents } from './lock-events.js';
export { coordinatorConfigOptions, coordinatorConfigSchema, type CoordinatorConfig } from './config.js';
export { createFileTokenStore, createMemoryTokenStore, type FileTokenStore } from './adapters/token-store.js';
export {
  createLockService,
  DEFAULT_TTL_MS,
  MAX_RESOURCE_LENGTH,
  MAX_TTL_MS,
  MAX_WAIT_MS,
  toLockService,
  type LocalLockService,
  type LockService,
  type LockServiceEvent,
} from './domain/lock-service.js';
export {
  createSharedLockService,
  type SharedLockStore,
  type StoreStep,
} from './domain/shared-lock-service.js';
export { createRedisLockStore, type RedisLockStore } from './adapters/redis-lock-store.js';
export {
  createPostgresLockStore,
  migrateLockSchema,
  type PostgresLockStore,
} from './adapters/postgres-lock-store.js';
export {
  EVENT_ID_MARK_FILE,
  TOKEN_MARK_FILE,
  createPlatformLockService,
  createSharedPlatformLockService,
  openSharedLockService,
  type SharedLockSetup,
  type SharedStoreSettings,
} from './wiring.js';
export {
  createEventFeed,
  DEFAULT_EVENT_BUFFER_SIZE,
  DEFAULT_EVENT_HEARTBEAT_MS,
  type EventFeed,
} from './event-feed.js';
