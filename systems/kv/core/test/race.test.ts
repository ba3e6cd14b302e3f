/**
 * Concurrency claims proven by really racing on PostgreSQL and Redis: many applies of one key in
 * random order over a pool of connections, with GETs filling the cache at the same time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seededRandom, TEST_REDIS_URL } from '@dslab/testing';
import { Redis } from 'ioredis';
import { createKvApplier, createKvReader, createRedisKvCache, type KvWrite } from '../src/index.js';
import { checkConvergence, expectedStates, recordingLogger, useTestKv } from '../src/testing.js';

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('racing applies', () => {
  const kv = useTestKv();
  let readerRedis: Redis;
  let consumerRedis: Redis[];
  before(() => {
    // GETs fill the cache over their own connection, as a separate API process would; each of
    // the competing consumers has its own connection too, so their cache writes can overtake
    // each other after their PostgreSQL writes.
    readerRedis = new Redis(TEST_REDIS_URL);
    consumerRedis = Array.from({ length: 4 }, () => new Redis(TEST_REDIS_URL));
  });
  after(() => {
    readerRedis.disconnect();
    for (const redis of consumerRedis) redis.disconnect();
  });

  /** Writes with real versions, `deleteShare` of them DELETEs; `keyOf` picks each one's key. */
  async function issueWrites(
    count: number,
    random: () => number,
    options: { readonly keyOf: () => string; readonly deleteShare: number },
  ): Promise<KvWrite[]> {
    const writes: KvWrite[] = [];
    for (let i = 0; i < count; i++) {
      const key = options.keyOf();
      const version = await kv.store.nextVersion();
      const timestamp = new Date(Date.UTC(2025, 10, 1, 10, 0, 0, i)).toISOString();
      writes.push(
        random() < options.deleteShare
          ? { op: 'delete', key, version, timestamp }
          : { op: 'put', key, value: `value ${version}`, version, timestamp },
      );
    }
    return writes;
  }

  /**
   * Starts every apply of `writes` (spread over four competing consumers, each on its own Redis
   * connection, sharing the store's pool) and every GET of `gets` (filling the cache over the
   * reader's connection) at once, in random order; the pool and Redis interleave them. Resolves
   * once all settled, none of them rejected.
   */
  async function race(writes: readonly KvWrite[], gets: readonly string[], random: () => number) {
    const logger = recordingLogger();
    const appliers = consumerRedis.map((redis) =>
      createKvApplier({
        store: kv.store,
        cache: createRedisKvCache(redis, { prefix: kv.cachePrefix, ttlMs: 3_600_000 }),
        logger,
      }),
    );
    const reader = createKvReader({
      store: kv.store,
      cache: createRedisKvCache(readerRedis, { prefix: kv.cachePrefix, ttlMs: 3_600_000 }),
      logger,
      minVersionWaitMs: 0,
    });
    const operations: (() => Promise<unknown>)[] = [
      ...writes.map((write, index) => () => {
        const applier = appliers[index % appliers.length];
        assert.ok(applier !== undefined);
        return applier.apply(write);
      }),
      ...gets.map((key) => () => reader.get(key).catch(() => undefined)),
    ];
    const results = await Promise.allSettled(shuffle(operations, random).map((operation) => operation()));
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected'),
      [],
    );
  }

  for (const seed of [1, 2, 3]) {
    test(`when 150 writes of one key are applied concurrently in random order while GETs fill the cache (seed ${seed}), then the highest version wins in PostgreSQL and in Redis`, async () => {
      const random = seededRandom(seed);
      const key = `contended-${seed}`;
      const writes = await issueWrites(150, random, { keyOf: () => key, deleteShare: 0.3 });
      await race(shuffle(writes, random), Array<string>(40).fill(key), random);

      const highest = writes.reduce((a, b) => (b.version > a.version ? b : a));
      const stored = await kv.store.read(key);
      assert.equal(stored?.version, highest.version);
      assert.equal(stored.value, highest.op === 'put' ? highest.value : null);
      const cached = await kv.cache.get(key);
      assert.equal(cached?.version, highest.version, 'the cache must hold the highest version');
      assert.deepEqual(
        await checkConvergence({ store: kv.store, cache: kv.cache, expected: expectedStates(writes) }),
        [],
      );
    });
  }

  test('when 30 keys each get 20 racing writes and cold GETs, then every key converges to its highest version in both copies', async () => {
    const random = seededRandom(30);
    const writes = await issueWrites(600, random, {
      keyOf: () => `many-${Math.floor(random() * 30)}`,
      deleteShare: 0.25,
    });
    const keys = [...new Set(writes.map((w) => w.key))];
    await race(
      writes,
      keys.flatMap((key) => Array<string>(4).fill(key)),
      random,
    );
    const expected = expectedStates(writes);
    assert.deepEqual(await checkConvergence({ store: kv.store, cache: kv.cache, expected }), []);
    for (const [key, state] of expected) assert.equal((await kv.cache.get(key))?.version, state.version, key);
  });
});
