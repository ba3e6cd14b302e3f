/**
 * Helpers for tests of the KV system (this package's and the deployables', e2e, bench): a fresh
 * PostgreSQL schema and Redis prefix per test, invariant checks, and the lecture's version.
 */
import { after, before } from 'node:test';
import type { Database } from '@dslab/db';
import { migrate } from '@dslab/db';
import { createTestDatabase, TEST_REDIS_URL, uniqueName, type TestDatabase } from '@dslab/testing';
import { Redis } from 'ioredis';
import { createPostgresKvStore } from './adapters/postgres-kv-store.js';
import { createRedisKvCache } from './adapters/redis-kv-cache.js';
import { kvMigrations, type KvTables } from './adapters/schema.js';
import type { KvLogger } from './app/logger.js';
import type { KvCache, KvStore } from './app/ports.js';
import { lastWrites } from './domain/lww.js';
import type { KvEntry, KvWrite } from './domain/types.js';
import { createLectureKv, LECTURE_TABLE_DDL, type LectureKvDeps } from './lecture/lecture-kv.js';
import { lecturePgClient } from './lecture/pg-client.js';

export {
  createLectureKv,
  LECTURE_TABLE_DDL,
  type AddKeyPayload,
  type DelKeyPayload,
  type LectureConsole,
  type LectureKv,
  type LectureKvDeps,
  type LectureOutcome,
  type LecturePgClient,
  type LectureQueues,
  type LectureRedis,
  type LectureResponse,
} from './lecture/lecture-kv.js';
export { lecturePgClient } from './lecture/pg-client.js';

export const TEST_CACHE_TTL_MS = 3_600_000;

export interface TestKv {
  readonly database: TestDatabase<KvTables>;
  readonly store: KvStore;
  readonly redis: Redis;
  readonly cache: KvCache;
  /** The Redis key prefix of this test's cache entries (ends with ':'). */
  readonly cachePrefix: string;
  /** Closes the pool and the Redis client, drops the schema and deletes the cache entries. */
  dispose(): Promise<void>;
}

/** Deletes every Redis key under `prefix` (SCAN, so it never blocks Redis). */
export async function deleteRedisKeys(redis: Redis, prefix: string): Promise<void> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/**
 * A Redis client and a fresh key prefix beside a test database that `prepare` readies (migrates,
 * creates tables), and the disposal of all of it. A failure on the way undoes what was opened.
 */
async function besideTestDatabase(
  database: { dispose(): Promise<void> },
  prepare: () => Promise<unknown>,
  prefixBase: string,
): Promise<{ redis: Redis; prefix: string; dispose: () => Promise<void> }> {
  let redis: Redis | undefined;
  try {
    await prepare();
    redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
    await redis.connect();
  } catch (error) {
    redis?.disconnect();
    await database.dispose();
    throw error;
  }
  const client = redis;
  const prefix = `${uniqueName(prefixBase)}:`;
  return {
    redis: client,
    prefix,
    dispose: async () => {
      try {
        await deleteRedisKeys(client, prefix);
      } finally {
        client.disconnect();
        await database.dispose();
      }
    },
  };
}

/** A migrated KV schema, a Redis client and a cache with a fresh prefix. */
export async function openTestKv(options: { ttlMs?: number } = {}): Promise<TestKv> {
  const database = await createTestDatabase<KvTables>('postgres', 'kv');
  const { redis, prefix, dispose } = await besideTestDatabase(
    database,
    () => migrate(database, kvMigrations),
    'kvt',
  );
  return {
    database,
    store: createPostgresKvStore(database.db),
    redis,
    cache: createRedisKvCache(redis, { prefix, ttlMs: options.ttlMs ?? TEST_CACHE_TTL_MS }),
    cachePrefix: prefix,
    dispose,
  };
}

/**
 * For a describe block: a TestKv opened before its tests and disposed after them. The returned
 * object reads through to it, so the tests use it as they would the TestKv itself.
 */
export function useTestKv(options: { ttlMs?: number } = {}): TestKv {
  let opened: TestKv | undefined;
  before(async () => {
    opened = await openTestKv(options);
  });
  after(async () => {
    await opened?.dispose();
  });
  const current = (): TestKv => {
    if (opened === undefined) throw new Error('useTestKv: used outside the tests of its describe block');
    return opened;
  };
  return {
    get database() {
      return current().database;
    },
    get store() {
      return current().store;
    },
    get redis() {
      return current().redis;
    },
    get cache() {
      return current().cache;
    },
    get cachePrefix() {
      return current().cachePrefix;
    },
    dispose: () => current().dispose(),
  };
}

/** The raw hash of a cache entry and its remaining TTL, or undefined when absent. */
export async function readCacheEntry(
  redis: Redis,
  prefix: string,
  key: string,
): Promise<{ fields: Record<string, string>; ttlMs: number } | undefined> {
  const [fields, ttlMs] = await Promise.all([redis.hgetall(prefix + key), redis.pttl(prefix + key)]);
  if (Object.keys(fields).length === 0) return undefined;
  return { fields, ttlMs };
}

/** What a key must hold once every accepted write was applied. */
export interface ExpectedState {
  readonly version: number;
  readonly value: string | null;
}

/** The expected state of every key among `writes`: its highest-version write. */
export function expectedStates(writes: Iterable<KvWrite>): Map<string, ExpectedState> {
  const expected = new Map<string, ExpectedState>();
  for (const [key, write] of lastWrites(writes)) {
    expected.set(key, { version: write.version, value: write.op === 'put' ? write.value : null });
  }
  return expected;
}

function describe(entry: Pick<KvEntry, 'version' | 'value'>): string {
  const value = entry.value === null ? 'tombstone' : JSON.stringify(entry.value.slice(0, 40));
  return `v${entry.version} ${value}`;
}

/**
 * The convergence invariant, for every expected key: PostgreSQL holds exactly the last accepted
 * write (version and value), and the cached entry, if any, equals PostgreSQL's. Returns the
 * problems found (empty = converged).
 */
export async function checkConvergence({
  store,
  cache,
  expected,
}: {
  store: KvStore;
  cache: KvCache;
  expected: ReadonlyMap<string, ExpectedState>;
}): Promise<string[]> {
  const problems: string[] = [];
  const keys = [...expected.keys()];
  const rows =
    store.readMany === undefined
      ? new Map(
          (await Promise.all(keys.map(async (k) => [k, await store.read(k)] as const))).flatMap(([k, e]) =>
            e === undefined ? [] : [[k, e] as const],
          ),
        )
      : await store.readMany(keys);
  const cached = await Promise.all(keys.map((key) => cache.get(key)));
  keys.forEach((key, i) => {
    const want = expected.get(key);
    if (want === undefined) return;
    const row = rows.get(key);
    if (row === undefined) {
      if (want.version > 0) problems.push(`"${key}": PostgreSQL has no row, expected ${describe(want)}`);
    } else if (row.version !== want.version || row.value !== want.value) {
      problems.push(`"${key}": PostgreSQL has ${describe(row)}, expected ${describe(want)}`);
    }
    const inCache = cached[i];
    const stored = row ?? { version: 0, value: null };
    if (inCache !== undefined && (inCache.version !== stored.version || inCache.value !== stored.value)) {
      problems.push(`"${key}": the cache has ${describe(inCache)}, PostgreSQL has ${describe(stored)}`);
    }
  });
  return problems;
}

export interface RecordedLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

/** A logger that keeps its lines, to assert on the seed's log lines. */
export function recordingLogger(): KvLogger & { readonly lines: RecordedLine[] } {
  const lines: RecordedLine[] = [];
  const at =
    (level: RecordedLine['level']) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface TestLectureKv {
  readonly database: Database<unknown> & { dispose(): Promise<void> };
  readonly pgClient: ReturnType<typeof lecturePgClient>;
  readonly redis: Redis;
  readonly redisPrefix: string;
  /** A lecture replica on these clients; pass a skewed `now` per replica. */
  replica(
    deps?: Partial<Omit<LectureKvDeps, 'pgClient' | 'redis' | 'redisPrefix'>>,
  ): ReturnType<typeof createLectureKv>;
  dispose(): Promise<void>;
}

/** The lecture's table in a fresh schema, a Redis client and a fresh key prefix. */
export async function openTestLectureKv(): Promise<TestLectureKv> {
  const database = await createTestDatabase<unknown>('postgres', 'kvlecture');
  const pgClient = lecturePgClient(database.db);
  const { redis, prefix, dispose } = await besideTestDatabase(
    database,
    () => pgClient.query(LECTURE_TABLE_DDL),
    'kvlt',
  );
  return {
    database,
    pgClient,
    redis,
    redisPrefix: prefix,
    replica: (deps = {}) => createLectureKv({ ...deps, pgClient, redis, redisPrefix: prefix }),
    dispose,
  };
}

/** A Redis client that can never connect and fails every command at once (to test outages). */
export function unreachableRedis(): Redis {
  const redis = new Redis({
    host: '127.0.0.1',
    port: 1,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // The connection errors are the point; without a listener ioredis reports them as unhandled.
  redis.on('error', () => undefined);
  return redis;
}
