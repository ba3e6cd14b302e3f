/**
 * Opens the three engines kv-api and kv-consumer run on, from their shared settings: PostgreSQL
 * (kv_store and the version sequence, migrated), Redis (the cache) and RabbitMQ (the add_key and
 * del_key queues). Clients are created once per process and shared by everything in it.
 */
import type { Logger } from '@dslab/logging';
import { createAmqpBus, type AmqpBusOptions, type MessageBus } from '@dslab/messaging';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { createPostgresKvStore } from '../adapters/postgres-kv-store.js';
import { createRedisKvCache } from '../adapters/redis-kv-cache.js';
import { openKvDatabase, type KvTables } from '../adapters/schema.js';
import type { KvCache, KvStore } from '../app/ports.js';
import { kvQueues, type KvQueues } from '../domain/messages.js';
import { combineProbes, engineProbes, type KvHealthCheck, type Probe } from './health.js';
import type { KvEngineSettings } from './settings.js';

export interface KvEngines {
  /** kv_store itself, for what reads it directly (tests' oracles); the service goes through `store`. */
  readonly db: Kysely<KvTables>;
  readonly store: KvStore;
  readonly cache: KvCache;
  readonly redis: Redis;
  readonly bus: MessageBus;
  readonly queues: KvQueues;
  /** PostgreSQL, Redis and the broker, each answering within a second (to combine with more). */
  readonly probes: Readonly<Record<string, Probe>>;
  /** The three probes as GET /health's check. */
  readonly health: KvHealthCheck;
  /** Where each engine is, for the start-up line (no passwords). */
  readonly description: string;
  /** Closes the broker connection (after its subscriptions), Redis and the PostgreSQL pool, in that order. */
  close(): Promise<void>;
}

export interface OpenKvEnginesOptions {
  /** Shown in RabbitMQ's and Redis's connection lists. */
  readonly connectionName: string;
  readonly logger: Logger;
  /** What the service does while Redis is down, ending its outage warning (e.g. "as leituras seguem pelo PostgreSQL"). */
  readonly whileRedisIsDown: string;
  /** The broker connection's publish bound and reconnect pace (the bus's defaults otherwise). */
  readonly bus?: Pick<AmqpBusOptions, 'publishTimeoutMs' | 'reconnect'>;
}

/**
 * A Redis client that fails fast: no offline queue (a command while disconnected fails at once:
 * the reader falls back to PostgreSQL, an apply fails and the bus retries it later instead of
 * holding the message), one retry, a command timeout for a Redis that hangs. It keeps
 * reconnecting in the background; connection errors are logged once per outage.
 */
export async function openKvRedis(
  settings: Pick<KvEngineSettings, 'REDIS_URL' | 'REDIS_COMMAND_TIMEOUT_MS'>,
  options: Pick<OpenKvEnginesOptions, 'connectionName' | 'logger' | 'whileRedisIsDown'>,
): Promise<Redis> {
  const { logger } = options;
  const redis = new Redis(settings.REDIS_URL, {
    connectionName: options.connectionName,
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
    logger.warn(`Redis indisponível (${error.message}); ${options.whileRedisIsDown}`);
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info('Redis reconectado');
  });
  try {
    await redis.connect();
  } catch {
    // Already logged by the error listener. Redis is only a cache (reads fall back to PostgreSQL,
    // applies wait in their queues), so the service starts anyway.
  }
  return redis;
}

function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

export async function openKvEngines(
  settings: KvEngineSettings,
  options: OpenKvEnginesOptions,
): Promise<KvEngines> {
  const { logger } = options;
  const database = await openKvDatabase({
    url: settings.DATABASE_URL,
    schema: settings.KV_SCHEMA,
    poolSize: settings.DATABASE_POOL_SIZE,
  });
  let redis: Redis | undefined;
  try {
    redis = await openKvRedis(settings, options);
    const bus = await createAmqpBus({
      ...options.bus,
      url: settings.AMQP_URL,
      connectionName: options.connectionName,
      logger,
    });
    const store = createPostgresKvStore(database.db);
    const queues = kvQueues(settings.KV_QUEUE_PREFIX);
    const probes = engineProbes({ queryPostgres: () => store.highestIssuedVersion(), redis, bus });
    const openRedisClient = redis;
    return {
      db: database.db,
      store,
      cache: createRedisKvCache(redis, { prefix: settings.KV_CACHE_PREFIX, ttlMs: settings.KV_CACHE_TTL_MS }),
      redis,
      bus,
      queues,
      probes,
      health: combineProbes(probes),
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

/** For main.ts: the engines, or the reason they could not be reached logged and exit code 1. */
export async function openKvEnginesOrExit(
  settings: KvEngineSettings,
  options: OpenKvEnginesOptions,
): Promise<KvEngines> {
  try {
    return await openKvEngines(settings, options);
  } catch (error) {
    options.logger.error(
      `Não foi possível conectar aos serviços do KV: ${error instanceof Error ? error.message : String(error)}`,
    );
    options.logger.close();
    process.exit(1);
  }
}
