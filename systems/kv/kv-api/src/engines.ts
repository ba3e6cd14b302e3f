/**
 * Opens the three engines kv-api runs on, from its settings: PostgreSQL (kv_store and the version
 * sequence, migrated), Redis (the cache) and RabbitMQ (the write queues). Clients are created once
 * per process and shared by every request.
 */
import {
  createPostgresKvStore,
  createRedisKvCache,
  kvQueues,
  openKvDatabase,
  type KvCache,
  type KvQueues,
  type KvStore,
} from '@dslab/kv-core';
import type { Logger } from '@dslab/logging';
import { createAmqpBus, type MessageBus } from '@dslab/messaging';
import { Redis } from 'ioredis';
import type { KvApiConfig } from './config.js';
import { engineHealth } from './health.js';
import type { HealthCheck } from '@dslab/http-kit';

export type EngineSettings = Pick<
  KvApiConfig,
  | 'DATABASE_URL'
  | 'KV_SCHEMA'
  | 'DATABASE_POOL_SIZE'
  | 'REDIS_URL'
  | 'REDIS_COMMAND_TIMEOUT_MS'
  | 'AMQP_URL'
  | 'KV_QUEUE_PREFIX'
  | 'KV_CACHE_PREFIX'
  | 'KV_CACHE_TTL_MS'
>;

export interface KvEngines {
  readonly store: KvStore;
  readonly cache: KvCache;
  readonly redis: Redis;
  readonly bus: MessageBus;
  readonly queues: KvQueues;
  /** PostgreSQL, Redis and the broker, each answering within a second. */
  readonly health: HealthCheck;
  /** Where each engine is, for the start-up line (no passwords). */
  readonly description: string;
  /** Closes the broker connection, Redis and the PostgreSQL pool (in that order). */
  close(): Promise<void>;
}

/**
 * A Redis client that fails fast: no offline queue (a command while disconnected fails at once,
 * and the reader falls back to PostgreSQL), one retry, a command timeout for a Redis that hangs.
 * It keeps reconnecting in the background; connection errors are logged once per outage.
 */
export async function openRedis(
  settings: Pick<EngineSettings, 'REDIS_URL' | 'REDIS_COMMAND_TIMEOUT_MS'>,
  connectionName: string,
  logger: Logger,
): Promise<Redis> {
  const redis = new Redis(settings.REDIS_URL, {
    connectionName,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: settings.REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    logger.warn(`Redis indisponível (${error.message}); as leituras seguem pelo PostgreSQL`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info('Redis reconectado');
  });
  try {
    await redis.connect();
  } catch {
    // Already logged by the error listener; the cache is optional for reads, so start anyway.
  }
  return redis;
}

function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

export async function openKvEngines(
  settings: EngineSettings,
  options: { readonly connectionName: string; readonly logger: Logger; readonly publishTimeoutMs?: number },
): Promise<KvEngines> {
  const { logger } = options;
  const database = await openKvDatabase({
    url: settings.DATABASE_URL,
    schema: settings.KV_SCHEMA,
    poolSize: settings.DATABASE_POOL_SIZE,
  });
  let redis: Redis | undefined;
  try {
    redis = await openRedis(settings, options.connectionName, logger);
    const bus = await createAmqpBus({
      url: settings.AMQP_URL,
      connectionName: options.connectionName,
      logger,
      ...(options.publishTimeoutMs === undefined ? {} : { publishTimeoutMs: options.publishTimeoutMs }),
    });
    const store = createPostgresKvStore(database.db);
    const cache = createRedisKvCache(redis, {
      prefix: settings.KV_CACHE_PREFIX,
      ttlMs: settings.KV_CACHE_TTL_MS,
    });
    const queues = kvQueues(settings.KV_QUEUE_PREFIX);
    const openRedisClient = redis;
    return {
      store,
      cache,
      redis,
      bus,
      queues,
      health: engineHealth({ queryPostgres: () => store.highestIssuedVersion(), redis, bus }),
      description:
        `PostgreSQL ${database.location}, Redis ${redactUrl(settings.REDIS_URL)} (cache ${settings.KV_CACHE_PREFIX}*), ` +
        `RabbitMQ ${redactUrl(settings.AMQP_URL)} (filas ${queues.put}, ${queues.delete})`,
      async close() {
        await bus.close();
        openRedisClient.disconnect();
        await database.close();
      },
    };
  } catch (error) {
    redis?.disconnect();
    await database.close();
    throw error;
  }
}
