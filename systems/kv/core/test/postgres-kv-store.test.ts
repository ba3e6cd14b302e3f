import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openDatabase, sql } from '@dslab/db';
import type { KvWrite } from '../src/index.js';
import { createPostgresKvStore, type KvTables } from '../src/index.js';
import { useTestKv } from '../src/testing.js';

const T0 = '2025-11-01T10:00:00.000Z';
const put = (key: string, version: number, value: string): KvWrite => ({
  op: 'put',
  key,
  value,
  version,
  timestamp: T0,
});
const del = (key: string, version: number): KvWrite => ({ op: 'delete', key, version, timestamp: T0 });

describe('PostgreSQL KV store', () => {
  const kv = useTestKv();

  test('when no version was issued yet, then the highest issued version is 0; afterwards it is the last one', async () => {
    assert.equal(await kv.store.highestIssuedVersion(), 0);
    const first = await kv.store.nextVersion();
    const second = await kv.store.nextVersion();
    assert.equal(first, 1);
    assert.equal(second, 2);
    assert.equal(await kv.store.highestIssuedVersion(), 2);
  });

  test('when two API replicas (separate pools) take versions concurrently, then every version is issued once and each replica sees them increase', async () => {
    const { options } = kv.database;
    assert.equal(options.engine, 'postgres');
    const replicas = await Promise.all([1, 2].map(() => openDatabase<KvTables>({ ...options, poolSize: 8 })));
    try {
      const stores = replicas.map((r) => createPostgresKvStore(r.db));
      const perReplica = await Promise.all(
        stores.map(async (store) => {
          const seen: number[] = [];
          await Promise.all(
            Array.from({ length: 8 }, async () => {
              for (let i = 0; i < 25; i++) seen.push(await store.nextVersion());
            }),
          );
          return seen;
        }),
      );
      const all = perReplica.flat();
      assert.equal(new Set(all).size, all.length, 'a version was issued twice');
      assert.equal(await kv.store.highestIssuedVersion(), Math.max(...all));
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
    }
  });

  test('when a key was never written, then reading it finds nothing', async () => {
    assert.equal(await kv.store.read('never'), undefined);
  });

  test('when a put is applied, then the row holds its value, version and time', async () => {
    const result = await kv.store.apply(put('a', 10, 'one'));
    assert.deepEqual(result, {
      applied: true,
      current: { key: 'a', value: 'one', version: 10, writtenAt: T0 },
    });
    assert.deepEqual(await kv.store.read('a'), { key: 'a', value: 'one', version: 10, writtenAt: T0 });
  });

  test('when an older write arrives after a newer one, then it changes nothing and the newer state is returned', async () => {
    await kv.store.apply(put('b', 20, 'new'));
    const older = await kv.store.apply(put('b', 19, 'old'));
    assert.deepEqual(older, {
      applied: false,
      current: { key: 'b', value: 'new', version: 20, writtenAt: T0 },
    });
    const olderDelete = await kv.store.apply(del('b', 5));
    assert.equal(olderDelete.applied, false);
    assert.equal((await kv.store.read('b'))?.value, 'new');
  });

  test('when the same write is applied twice (a redelivery), then the second changes nothing', async () => {
    await kv.store.apply(put('c', 30, 'x'));
    const again = await kv.store.apply(put('c', 30, 'x'));
    assert.deepEqual(again, {
      applied: false,
      current: { key: 'c', value: 'x', version: 30, writtenAt: T0 },
    });
  });

  test("when a key is deleted, then a tombstone with the delete's version stays, and an older put cannot resurrect it", async () => {
    await kv.store.apply(put('d', 40, 'alive'));
    assert.equal((await kv.store.apply(del('d', 41))).applied, true);
    assert.deepEqual(await kv.store.read('d'), { key: 'd', value: null, version: 41, writtenAt: T0 });
    const late = await kv.store.apply(put('d', 40, 'zombie'));
    assert.equal(late.applied, false);
    assert.equal(late.current.value, null);
    // A newer put brings it back legitimately.
    assert.equal((await kv.store.apply(put('d', 42, 'reborn'))).applied, true);
  });

  test('when a key never seen is deleted, then a tombstone is inserted at once (no retry-until-exists)', async () => {
    const result = await kv.store.apply(del('ghost', 50));
    assert.deepEqual(result, {
      applied: true,
      current: { key: 'ghost', value: null, version: 50, writtenAt: T0 },
    });
    assert.equal((await kv.store.apply(put('ghost', 49, 'too late'))).applied, false);
  });

  test('when an empty string is put, then it is a value, not a tombstone', async () => {
    await kv.store.apply(put('empty', 60, ''));
    assert.deepEqual(await kv.store.read('empty'), { key: 'empty', value: '', version: 60, writtenAt: T0 });
  });

  test('when several keys are read at once, then each present key is returned and absent ones are left out', async () => {
    await kv.store.apply(put('m1', 70, 'one'));
    await kv.store.apply(del('m2', 71));
    const many = await kv.store.readMany?.(['m1', 'm2', 'm3']);
    assert.deepEqual([...(many ?? new Map()).keys()].sort(), ['m1', 'm2']);
    assert.equal(many?.get('m2')?.value, null);
  });

  test('when a row breaks the tombstone rule, then the table itself refuses it', async () => {
    await assert.rejects(
      sql`INSERT INTO kv_store (key, value, version, deleted, written_at) VALUES ('bad', 'v', 1, true, now())`.execute(
        kv.database.db,
      ),
      /kv_store_tombstone_has_no_value/,
    );
    await assert.rejects(
      sql`INSERT INTO kv_store (key, value, version, deleted, written_at) VALUES ('bad', NULL, 1, false, now())`.execute(
        kv.database.db,
      ),
      /kv_store_tombstone_has_no_value/,
    );
    await assert.rejects(
      sql`INSERT INTO kv_store (key, value, version, deleted, written_at) VALUES ('bad', 'v', 0, false, now())`.execute(
        kv.database.db,
      ),
      /kv_store_version_positive/,
    );
  });
});
