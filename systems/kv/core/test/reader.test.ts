import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectAppError } from '@dslab/testing';
import {
  createKvApplier,
  createKvReader,
  createRedisKvCache,
  type KvReaderOptions,
  type KvStore,
  type KvWrite,
} from '../src/index.js';
import { readCacheEntry, recordingLogger, unreachableRedis, useTestKv } from '../src/testing.js';

const T0 = '2025-11-01T10:00:00.000Z';

describe('KV reader (GET)', () => {
  const kv = useTestKv();

  /** Issues a real version and applies the write, like the API + consumer would. */
  async function write(key: string, value: string | null): Promise<KvWrite> {
    const version = await kv.store.nextVersion();
    const w: KvWrite =
      value === null
        ? { op: 'delete', key, version, timestamp: T0 }
        : { op: 'put', key, value, version, timestamp: T0 };
    await createKvApplier({ store: kv.store, cache: kv.cache, logger: recordingLogger() }).apply(w);
    return w;
  }

  function reader(overrides: Partial<KvReaderOptions> = {}) {
    const logger = recordingLogger();
    return {
      logger,
      reader: createKvReader({
        store: kv.store,
        cache: kv.cache,
        logger,
        minVersionWaitMs: 2_000,
        ...overrides,
      }),
    };
  }

  /** A store that counts reads, to prove a hit never touches PostgreSQL. */
  function counting(store: KvStore): KvStore & { reads: number } {
    const counted = {
      ...store,
      reads: 0,
      read: async (key: string) => {
        counted.reads++;
        return store.read(key);
      },
    };
    return counted;
  }

  test('when the key is cached, then GET answers from Redis without reading PostgreSQL', async () => {
    await write('hit', 'cached value');
    const store = counting(kv.store);
    const { reader: r } = reader({ store });
    const read = await r.get('hit');
    assert.equal(read.source, 'redis');
    assert.equal(read.entry.value, 'cached value');
    assert.equal(store.reads, 0);
  });

  test('when the key is not cached, then GET reads PostgreSQL, fills the cache, and the next GET is a hit', async () => {
    const w = await write('miss', 'from db');
    await kv.redis.del(kv.cachePrefix + 'miss');
    const { reader: r } = reader();
    const first = await r.get('miss');
    assert.deepEqual(first, {
      entry: { key: 'miss', value: 'from db', version: w.version, writtenAt: T0 },
      source: 'postgres',
    });
    assert.equal((await readCacheEntry(kv.redis, kv.cachePrefix, 'miss'))?.fields.v, String(w.version));
    assert.equal((await r.get('miss')).source, 'redis');
  });

  test('when the key never existed, then GET answers 404 and caches the absence (version 0), so the next 404 comes from Redis', async () => {
    const store = counting(kv.store);
    const { reader: r } = reader({ store });
    const error = await expectAppError(r.get('nobody'));
    assert.equal(error.status, 404);
    assert.deepEqual(error.extensions, { key: 'nobody', version: 0 });
    assert.equal((await readCacheEntry(kv.redis, kv.cachePrefix, 'nobody'))?.fields.v, '0');
    await expectAppError(r.get('nobody'));
    assert.equal(store.reads, 1);
  });

  test('when a key was created after its absence was cached, then GET sees the new value', async () => {
    const { reader: r } = reader();
    await expectAppError(r.get('later'));
    await write('later', 'exists now');
    assert.equal((await r.get('later')).entry.value, 'exists now');
  });

  test("when the key was deleted, then GET answers 404 with the tombstone's version, from the cache or from PostgreSQL", async () => {
    await write('del', 'x');
    const tombstone = await write('del', null);
    const { reader: r } = reader();
    const cached = await expectAppError(r.get('del'));
    assert.deepEqual(
      [cached.code, cached.extensions],
      ['not-found', { key: 'del', version: tombstone.version }],
    );
    await kv.redis.del(kv.cachePrefix + 'del');
    const fromDb = await expectAppError(r.get('del'));
    assert.deepEqual(fromDb.extensions, { key: 'del', version: tombstone.version });
  });

  test('when Redis is down, then GET answers from PostgreSQL and warns once per outage', async () => {
    await write('outage', 'still served');
    const down = unreachableRedis();
    try {
      const { reader: r, logger } = reader({
        cache: createRedisKvCache(down, { prefix: kv.cachePrefix, ttlMs: 60_000 }),
      });
      for (let i = 0; i < 3; i++) {
        const read = await r.get('outage');
        assert.deepEqual([read.source, read.entry.value], ['postgres', 'still served']);
      }
      assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 1);
      await expectAppError(r.get('no-such-key'));
    } finally {
      down.disconnect();
    }
  });

  describe('read-your-writes (min_version)', () => {
    test('when the cached version is at least min_version (or newer), then GET answers at once from Redis', async () => {
      const first = await write('ryw1', 'a');
      const second = await write('ryw1', 'b');
      const { reader: r } = reader();
      assert.equal((await r.get('ryw1', { minVersion: second.version })).entry.value, 'b');
      const older = await r.get('ryw1', { minVersion: first.version });
      assert.deepEqual([older.source, older.entry.version], ['redis', second.version]);
    });

    test('when the cache is behind but PostgreSQL has the version, then GET answers from PostgreSQL and refreshes the cache', async () => {
      await write('ryw2', 'old');
      const stale = await kv.cache.get('ryw2');
      const version = await kv.store.nextVersion();
      await kv.store.apply({ op: 'put', key: 'ryw2', value: 'new', version, timestamp: T0 });
      assert.deepEqual(await kv.cache.get('ryw2'), stale);
      const { reader: r } = reader();
      const read = await r.get('ryw2', { minVersion: version });
      assert.deepEqual([read.source, read.entry.value], ['postgres', 'new']);
      assert.equal((await kv.cache.get('ryw2'))?.value, 'new');
    });

    test('when the version is issued but not applied yet, then GET waits and answers once the consumer applied it', async () => {
      await write('ryw3', 'before');
      const version = await kv.store.nextVersion();
      const applier = createKvApplier({ store: kv.store, cache: kv.cache, logger: recordingLogger() });
      let polls = 0;
      const { reader: r } = reader({
        // The consumer applies the write during the reader's second pause: it really waited.
        sleep: async () => {
          polls++;
          if (polls === 2)
            await applier.apply({ op: 'put', key: 'ryw3', value: 'after', version, timestamp: T0 });
        },
      });
      const read = await r.get('ryw3', { minVersion: version });
      assert.deepEqual([read.source, read.entry.value, read.entry.version], ['postgres', 'after', version]);
      assert.equal(polls, 2);
    });

    test('when the version is never applied within the wait, then GET answers 425 version-not-visible with the visible version and Retry-After', async () => {
      const before = await write('ryw4', 'visible');
      const version = await kv.store.nextVersion();
      let clock = 0;
      const { reader: r } = reader({
        minVersionWaitMs: 100,
        pollIntervalMs: 15,
        monotonicNow: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
      });
      const error = await expectAppError(r.get('ryw4', { minVersion: version }));
      assert.equal(error.status, 425);
      assert.equal(error.code, 'version-not-visible');
      assert.deepEqual(error.extensions, {
        key: 'ryw4',
        min_version: version,
        visible_version: before.version,
      });
      assert.deepEqual(error.headers, { 'Retry-After': '1' });
      assert.equal(clock, 100);
    });

    test('when min_version was never issued, then GET answers 409 at once without waiting', async () => {
      await write('ryw5', 'x');
      const highest = await kv.store.highestIssuedVersion();
      let slept = 0;
      const { reader: r } = reader({
        sleep: async () => {
          slept++;
        },
      });
      const error = await expectAppError(r.get('ryw5', { minVersion: highest + 1_000 }));
      assert.equal(error.status, 409);
      assert.equal(error.code, 'conflict');
      assert.match(error.detail, new RegExp(`version ${highest + 1_000} was never issued`));
      assert.equal(slept, 0);
    });

    test('when the awaited version is a delete, then GET answers 404 with that version', async () => {
      await write('ryw6', 'x');
      const tombstone = await write('ryw6', null);
      const { reader: r } = reader();
      const error = await expectAppError(r.get('ryw6', { minVersion: tombstone.version }));
      assert.deepEqual([error.status, error.extensions], [404, { key: 'ryw6', version: tombstone.version }]);
    });

    test('when the wait is 0 ms, then a version not yet visible answers 425 at once', async () => {
      await write('ryw7', 'x');
      const version = await kv.store.nextVersion();
      const { reader: r } = reader({ minVersionWaitMs: 0 });
      assert.equal((await expectAppError(r.get('ryw7', { minVersion: version }))).status, 425);
    });
  });
});
