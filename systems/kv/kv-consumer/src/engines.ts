/**
 * Opens the three engines kv-consumer runs on, from its settings: PostgreSQL (kv_store, migrated),
 * Redis (the cache it refreshes after every write) and RabbitMQ (the queues it consumes).
 * (The same shape as kv-api's src/engines.ts: two deployables do not import each other.)
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
import type { KvConsumerConfig } from './config.js';

export type EngineSettings = Pick<
  KvConsumerConfig,
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
  /** Where each engine is, for the start-up line (no passwords). */
  readonly description: string;
  /** Closes the broker connection (after its subscriptions), Redis and the PostgreSQL pool. */
  close(): Promise<void>;
}

/**
 * A Redis client that fails fast (no offline queue, a command timeout): while Redis is down an
 * apply fails at once and the bus retries it later, instead of holding the message. It keeps
 * reconnecting in the background; connection errors are logged once per outage.
 */
async function openRedis(settings: EngineSettings, connectionName: string, logger: Logger): Promise<Redis> {
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
    logger.warn(`Redis indisponível (${error.message}); as escritas serão reprocessadas quando voltar`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info('Redis reconectado');
  });
  try {
    await redis.connect();
  } catch {
    // Logged by the error listener; the messages wait in their queues until Redis is back.
  }
  return redis;
}

function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

export async function openKvEngines(
  settings: EngineSettings,
  options: { readonly connectionName: string; readonly logger: Logger },
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
    });
    const queues = kvQueues(settings.KV_QUEUE_PREFIX);
    const openRedisClient = redis;
    return {
      store: createPostgresKvStore(database.db),
      cache: createRedisKvCache(redis, { prefix: settings.KV_CACHE_PREFIX, ttlMs: settings.KV_CACHE_TTL_MS }),
      redis,
      bus,
      queues,
      description:
        `PostgreSQL ${database.location}, Redis ${redactUrl(settings.REDIS_URL)} (cache ${settings.KV_CACHE_PREFIX}*), ` +
        `RabbitMQ ${redactUrl(settings.AMQP_URL)}`,
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
