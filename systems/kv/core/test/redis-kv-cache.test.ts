import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { expectAppError, uniqueName } from '@dslab/testing';
import { createRedisKvCache, type KvCache } from '../src/index.js';
import { readCacheEntry, unreachableRedis, useTestKv } from '../src/testing.js';

const T0 = '2025-11-01T10:00:00.000Z';

describe('Redis KV cache', () => {
  const kv = useTestKv();
  let cache: KvCache;
  const ttlMs = 60_000;
  before(() => {
    cache = createRedisKvCache(kv.redis, { prefix: kv.cachePrefix, ttlMs });
  });

  test('when a key is not cached, then get is a miss (undefined)', async () => {
    assert.equal(await cache.get('nothing'), undefined);
  });

  test('when an entry is cached, then get returns it, stored as one hash with a TTL', async () => {
    assert.equal(await cache.setIfNewer({ key: 'a', value: 'one', version: 3, writtenAt: T0 }), true);
    assert.deepEqual(await cache.get('a'), { key: 'a', value: 'one', version: 3, writtenAt: T0 });
    const raw = await readCacheEntry(kv.redis, kv.cachePrefix, 'a');
    assert.deepEqual(raw?.fields, { v: '3', d: '0', val: 'one', t: T0 });
    assert.ok(raw.ttlMs > 0 && raw.ttlMs <= ttlMs);
  });

  test('when an older or equal version is offered, then the cached entry stays; a newer one replaces it', async () => {
    await cache.setIfNewer({ key: 'b', value: 'v5', version: 5, writtenAt: T0 });
    assert.equal(await cache.setIfNewer({ key: 'b', value: 'v4', version: 4, writtenAt: T0 }), false);
    assert.equal(await cache.setIfNewer({ key: 'b', value: 'other', version: 5, writtenAt: T0 }), false);
    assert.equal((await cache.get('b'))?.value, 'v5');
    assert.equal(await cache.setIfNewer({ key: 'b', value: 'v6', version: 6, writtenAt: T0 }), true);
    assert.equal((await cache.get('b'))?.value, 'v6');
  });

  test('when the same version is offered again, then only its TTL is renewed', async () => {
    await cache.setIfNewer({ key: 'ttl', value: 'x', version: 2, writtenAt: T0 });
    await kv.redis.pexpire(kv.cachePrefix + 'ttl', 1_000);
    await cache.setIfNewer({ key: 'ttl', value: 'x', version: 2, writtenAt: T0 });
    const raw = await readCacheEntry(kv.redis, kv.cachePrefix, 'ttl');
    assert.ok(raw !== undefined && raw.ttlMs > 1_000, `TTL ${raw?.ttlMs}`);
  });

  test('when a tombstone or a known-absent key (version 0) is cached, then get returns value null; any real write replaces the negative entry', async () => {
    await cache.setIfNewer({ key: 'gone', value: null, version: 9, writtenAt: T0 });
    assert.deepEqual(await cache.get('gone'), { key: 'gone', value: null, version: 9, writtenAt: T0 });
    await cache.setIfNewer({ key: 'absent', value: null, version: 0, writtenAt: null });
    assert.deepEqual(await cache.get('absent'), { key: 'absent', value: null, version: 0, writtenAt: null });
    assert.equal(await cache.setIfNewer({ key: 'absent', value: 'now', version: 1, writtenAt: T0 }), true);
    assert.equal((await cache.get('absent'))?.value, 'now');
  });

  test('when the value is an empty string, then it is cached as a value, not a tombstone', async () => {
    await cache.setIfNewer({ key: 'empty', value: '', version: 1, writtenAt: T0 });
    assert.deepEqual(await cache.get('empty'), { key: 'empty', value: '', version: 1, writtenAt: T0 });
  });

  test('when Redis forgot the script (SCRIPT FLUSH, a restart), then setIfNewer still works', async () => {
    await kv.redis.script('FLUSH');
    assert.equal(await cache.setIfNewer({ key: 'flushed', value: 'ok', version: 1, writtenAt: T0 }), true);
  });

  test("when two caches use different prefixes on one client, then they do not see each other's entries", async () => {
    const other = createRedisKvCache(kv.redis, { prefix: `${kv.cachePrefix}other:`, ttlMs });
    await other.setIfNewer({ key: 'a', value: 'elsewhere', version: 99, writtenAt: T0 });
    assert.equal((await cache.get('a'))?.value, 'one');
  });

  test('when Redis cannot be reached, then get and setIfNewer fail with AppError unavailable', async () => {
    const down = unreachableRedis();
    try {
      const unreachable = createRedisKvCache(down, { prefix: `${uniqueName('kvdown')}:`, ttlMs });
      assert.equal((await expectAppError(unreachable.get('k'))).code, 'unavailable');
      const error = await expectAppError(
        unreachable.setIfNewer({ key: 'k', value: 'v', version: 1, writtenAt: T0 }),
      );
      assert.equal(error.code, 'unavailable');
    } finally {
      down.disconnect();
    }
  });

  test('when the TTL is not a positive integer, then the cache refuses to be created', () => {
    assert.throws(() => createRedisKvCache(kv.redis, { prefix: 'x:', ttlMs: 0 }), RangeError);
  });
});
