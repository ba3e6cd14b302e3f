/**
 * Concurrency claims proven by really racing on PostgreSQL and Redis: many applies of one key in
 * random order over a pool of connections, with GETs filling the cache at the same time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seededRandom, TEST_REDIS_URL } from '@dslab/testing';
import { Redis } from 'ioredis';
import { createKvApplier, createKvReader, createRedisKvCache, type KvWrite } from '../src/index.js';
import {
  checkConvergence,
  expectedStates,
  openTestKv,
  recordingLogger,
  type TestKv,
} from '../src/testing.js';

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('racing applies', () => {
  let kv: TestKv;
  let readerRedis: Redis;
  let consumerRedis: Redis[];
  before(async () => {
    kv = await openTestKv();
    // GETs fill the cache over their own connection, as a separate API process would; each of
    // the competing consumers has its own connection too, so their cache writes can overtake
    // each other after their PostgreSQL writes.
    readerRedis = new Redis(TEST_REDIS_URL);
    consumerRedis = Array.from({ length: 4 }, () => new Redis(TEST_REDIS_URL));
  });
  after(async () => {
    readerRedis.disconnect();
    for (const redis of consumerRedis) redis.disconnect();
    await kv.dispose();
  });

  /** Four competing consumers (own Redis connection each) sharing the store's pool. */
  function consumers() {
    const logger = recordingLogger();
    const appliers = consumerRedis.map((redis) =>
      createKvApplier({
        store: kv.store,
        cache: createRedisKvCache(redis, { prefix: kv.cachePrefix, ttlMs: 3_600_000 }),
        logger,
      }),
    );
    let next = 0;
    return (write: KvWrite) => {
      const applier = appliers[next++ % appliers.length];
      assert.ok(applier !== undefined);
      return applier.apply(write);
    };
  }

  for (const seed of [1, 2, 3]) {
    test(`when 150 writes of one key are applied concurrently in random order while GETs fill the cache (seed ${seed}), then the highest version wins in PostgreSQL and in Redis`, async () => {
      const random = seededRandom(seed);
      const key = `contended-${seed}`;
      const writes: KvWrite[] = [];
      for (let i = 0; i < 150; i++) {
        const version = await kv.store.nextVersion();
        const timestamp = new Date(Date.UTC(2025, 10, 1, 10, 0, 0, i)).toISOString();
        writes.push(
          random() < 0.3
            ? { op: 'delete', key, version, timestamp }
            : { op: 'put', key, value: `value ${version}`, version, timestamp },
        );
      }
      const logger = recordingLogger();
      const apply = consumers();
      const reader = createKvReader({
        store: kv.store,
        cache: createRedisKvCache(readerRedis, { prefix: kv.cachePrefix, ttlMs: 3_600_000 }),
        logger,
        minVersionWaitMs: 0,
      });
      const operations: (() => Promise<unknown>)[] = [
        ...shuffle(writes, random).map((w) => () => apply(w)),
        ...Array.from({ length: 40 }, () => () => reader.get(key).catch(() => undefined)),
      ];
      // Everything starts at once; the pool (10 connections) and Redis interleave them.
      const results = await Promise.allSettled(shuffle(operations, random).map((operation) => operation()));
      assert.deepEqual(
        results.filter((r) => r.status === 'rejected'),
        [],
      );

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
    const writes: KvWrite[] = [];
    for (let i = 0; i < 600; i++) {
      const key = `many-${Math.floor(random() * 30)}`;
      const version = await kv.store.nextVersion();
      const timestamp = '2025-11-01T10:00:00.000Z';
      writes.push(
        random() < 0.25
          ? { op: 'delete', key, version, timestamp }
          : { op: 'put', key, value: `v${version}`, version, timestamp },
      );
    }
    const logger = recordingLogger();
    const apply = consumers();
    const reader = createKvReader({
      store: kv.store,
      cache: createRedisKvCache(readerRedis, { prefix: kv.cachePrefix, ttlMs: 3_600_000 }),
      logger,
      minVersionWaitMs: 0,
    });
    const keys = [...new Set(writes.map((w) => w.key))];
    const operations: (() => Promise<unknown>)[] = [
      ...writes.map((w) => () => apply(w)),
      ...keys.flatMap((key) => Array.from({ length: 4 }, () => () => reader.get(key).catch(() => undefined))),
    ];
    const results = await Promise.allSettled(shuffle(operations, random).map((operation) => operation()));
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected'),
      [],
    );
    const expected = expectedStates(writes);
    assert.deepEqual(await checkConvergence({ store: kv.store, cache: kv.cache, expected }), []);
    for (const [key, state] of expected) assert.equal((await kv.cache.get(key))?.version, state.version, key);
  });
});
