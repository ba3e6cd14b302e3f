import { Redis } from 'ioredis';
import pg from 'pg';
import { createPostgresLockStore } from './adapters/postgres-lock-store.js';
import { createRedisLockStore } from './adapters/redis-lock-store.js';
import type { TokenSource } from './domain/lock-table.js';
import { createLockService, toLockService, type LockService } from './domain/lock-service.js';
import { createSharedLockService, type SharedLockStore } from './domain/shared-lock-service.js';
import type { LockEvents } from './lock-events.js';

/** Name of the fencing-token high-water-mark file inside DATA_DIR. */
export const TOKEN_MARK_FILE = 'fencing-token.mark';

/** Name of the booking-event-id high-water-mark file inside DATA_DIR. */
export const EVENT_ID_MARK_FILE = 'event-id.mark';

const platformTimers = {
  setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
  clearTimeout: (handle: NodeJS.Timeout) => clearTimeout(handle),
};

/**
 * The lock service on the platform's monotonic clock (`performance.now()`, immune to wall-clock
 * steps) and real timers, reporting to `events`. What main.ts runs, and what in-process tests
 * and demos use with a memory token store.
 */
export function createPlatformLockService({
  tokens,
  events,
}: {
  tokens: TokenSource;
  events: LockEvents;
}): LockService {
  return toLockService(
    createLockService<NodeJS.Timeout>({
      now: () => performance.now(),
      tokens,
      timers: platformTimers,
      onEvent: events.emit,
    }),
  );
}

/** The lock service over a shared store, on real timers, reporting to `events`. */
export function createSharedPlatformLockService({
  store,
  events,
  pollMs,
}: {
  store: SharedLockStore;
  events: LockEvents;
  pollMs?: number;
}): LockService {
  return createSharedLockService<NodeJS.Timeout>({
    store,
    now: () => performance.now(),
    timers: platformTimers,
    onEvent: events.emit,
    ...(pollMs === undefined ? {} : { pollMs }),
  });
}

export type SharedStoreSettings =
  | { readonly kind: 'redis'; readonly url: string; readonly prefix: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string };

export interface SharedLockSetup {
  readonly lockService: LockService;
  /** For the start-up log line, without credentials. */
  readonly description: string;
  /**
   * Closes the lock service (waiters answered `closed`, their tickets removed), stops listening
   * for wake-ups and closes the connections. Give it to buildApp's `onClose`.
   */
  close(): Promise<void>;
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

/**
 * Connects to Redis (one command connection plus one subscriber connection) or PostgreSQL (a
 * pool plus one LISTEN connection taken from it) and builds the shared lock service on it.
 * Fails (rejects) if the store cannot be reached, so a start-up never runs without its store.
 */
export async function openSharedLockService({
  settings,
  events,
  onConnectionError,
  pollMs,
}: {
  settings: SharedStoreSettings;
  events: LockEvents;
  /** Reports a connection problem (the clients reconnect on their own). */
  onConnectionError?: (message: string) => void;
  pollMs?: number;
}): Promise<SharedLockSetup> {
  const report = (what: string) => (error: Error) => onConnectionError?.(`${what}: ${error.message}`);
  /** The lock service over a ready store; closing it closes the service, the store, then `disconnect`. */
  const setUp = (
    store: SharedLockStore & { close(): Promise<void> },
    description: string,
    disconnect: () => Promise<void>,
  ): SharedLockSetup => {
    const lockService = createSharedPlatformLockService({
      store,
      events,
      ...(pollMs === undefined ? {} : { pollMs }),
    });
    return {
      lockService,
      description,
      async close() {
        await lockService.close();
        await store.close();
        await disconnect();
      },
    };
  };
  if (settings.kind === 'redis') {
    // Few retries per command: a lock request should fail fast (503) while Redis is away,
    // rather than hang; the connection itself keeps reconnecting.
    const options = { maxRetriesPerRequest: 2, connectionName: 'servico-coordenador' };
    const redis = new Redis(settings.url, options);
    const subscriber = new Redis(settings.url, { ...options, connectionName: 'servico-coordenador-sub' });
    redis.on('error', report('Redis'));
    subscriber.on('error', report('Redis (assinatura)'));
    try {
      const store = await createRedisLockStore({ redis, subscriber, prefix: settings.prefix });
      return setUp(
        store,
        `Redis ${withoutCredentials(settings.url)}, prefixo ${settings.prefix}`,
        async () => {
          await Promise.allSettled([redis.quit(), subscriber.quit()]);
        },
      );
    } catch (error) {
      redis.disconnect();
      subscriber.disconnect();
      throw error;
    }
  }
  const pool = new pg.Pool({ connectionString: settings.url, application_name: 'servico-coordenador' });
  pool.on('error', report('PostgreSQL'));
  try {
    const store = await createPostgresLockStore({ pool, schema: settings.schema });
    return setUp(store, `PostgreSQL ${withoutCredentials(settings.url)}, esquema ${settings.schema}`, () =>
      pool.end(),
    );
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}
