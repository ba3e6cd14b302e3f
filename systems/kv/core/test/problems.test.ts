/**
 * The lecture's KV problems (seed 002, "Key-value API: Problemas"), each as a deterministic
 * interleaving on real PostgreSQL + Redis, run twice: on a faithful port of the lecture's
 * version (src/lecture/), where it must end wrong — proving the test can fail — and on ours,
 * where it must end right. The interleavings are driven at use-case level (the consumers'
 * apply steps in chosen orders, GETs paused at chosen points), so no broker timing is involved.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createInProcessBus, type MessageBus } from '@dslab/messaging';
import { uniqueQueue } from '@dslab/messaging/testing';
import { expectAppError, TEST_AMQP_URL } from '@dslab/testing';
import amqp from 'amqplib';
import {
  createKvApplier,
  createKvReader,
  createKvWriter,
  kvQueues,
  type KvStore,
  type KvWrite,
  type QueuedWrite,
} from '../src/index.js';
import {
  checkConvergence,
  createLectureKv,
  expectedStates,
  openTestKv,
  openTestLectureKv,
  recordingLogger,
  type LecturePgClient,
  type TestKv,
  type TestLectureKv,
} from '../src/testing.js';

const BASE = Date.parse('2025-11-01T10:00:00.000Z');
/** A replica's wall clock, `skewMs` off the true time, advancing 1 ms per reading. */
function clock(skewMs: number): () => Date {
  let ticks = 0;
  return () => new Date(BASE + skewMs + ticks++);
}
const frozen = (iso: string) => () => new Date(iso);

/** A point where one flow stops until the test lets it go on. */
function checkpoint() {
  let arrive!: () => void;
  let release!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    arrived,
    release,
    async pass(): Promise<void> {
      arrive();
      await released;
    },
  };
}

/** The lecture's pgClient, pausing once right after the first query whose text starts with `prefix`. */
function pausingAfter(
  client: LecturePgClient,
  prefix: string,
  point: ReturnType<typeof checkpoint>,
): LecturePgClient {
  let paused = false;
  return {
    async query(text, values) {
      const result = await client.query(text, values);
      if (!paused && text.startsWith(prefix)) {
        paused = true;
        await point.pass();
      }
      return result;
    },
  };
}

describe("the lecture's KV problems, failing on its version and solved on ours", () => {
  let ours: TestKv;
  let lecture: TestLectureKv;
  let bus: MessageBus;
  const queues = kvQueues('problems.');
  const logger = recordingLogger();

  before(async () => {
    ours = await openTestKv();
    lecture = await openTestLectureKv();
    // The writer publishes for real; nobody consumes these queues: the tests apply the
    // accepted writes themselves, in the order each scenario needs.
    bus = createInProcessBus();
  });
  after(async () => {
    await bus.close();
    await Promise.all([ours.dispose(), lecture.dispose()]);
  });

  const applier = () => createKvApplier({ store: ours.store, cache: ours.cache, logger });
  const reader = (store: KvStore = ours.store) =>
    createKvReader({ store, cache: ours.cache, logger, minVersionWaitMs: 2_000 });
  const writer = (now: () => Date) => createKvWriter({ store: ours.store, bus, queues, now, logger });
  const putOf = (q: QueuedWrite, value: string): KvWrite => ({
    op: 'put',
    key: q.key,
    value,
    version: q.version,
    timestamp: q.timestamp,
  });
  const deleteOf = (q: QueuedWrite): KvWrite => ({
    op: 'delete',
    key: q.key,
    version: q.version,
    timestamp: q.timestamp,
  });

  /** What the lecture's PostgreSQL holds for a key (bypassing its cache). */
  async function lectureRow(key: string): Promise<string | null | undefined> {
    const { rows } = await lecture.pgClient.query('SELECT value FROM kv_store WHERE key = $1', [key]);
    return rows.length === 0 ? undefined : (rows[0]?.value as string | null);
  }

  async function assertConverged(writes: KvWrite[]): Promise<void> {
    assert.deepEqual(
      await checkConvergence({ store: ours.store, cache: ours.cache, expected: expectedStates(writes) }),
      [],
    );
  }

  describe('out-of-order writes', () => {
    test('when a replica with a fast clock accepts a PUT and a correct replica accepts a later PUT, then the lecture keeps the earlier write and ours the later one', async () => {
      // Lecture: replica A's clock is 5 s ahead; B's is right. A accepts first, B after.
      const lectureA = lecture.replica({ now: clock(5_000) });
      const lectureB = lecture.replica({ now: clock(0) });
      const first = lectureA.stampAddKey('skew', 'first');
      const second = lectureB.stampAddKey('skew', 'second');
      // Even delivered in acceptance order, the later write carries the older timestamp.
      await lectureA.applyAddKey(first);
      await lectureB.applyAddKey(second);
      assert.equal(await lectureRow('skew'), 'first', 'the lecture should keep the earlier write (the bug)');

      // Ours: the same replicas, the same order; versions, not clocks, decide.
      const a = await writer(clock(5_000)).put('skew', 'first');
      const b = await writer(clock(0)).put('skew', 'second');
      const writes = [putOf(a, 'first'), putOf(b, 'second')];
      for (const w of writes) await applier().apply(w);
      await assertConverged(writes);
      assert.equal((await reader().get('skew')).entry.value, 'second');
    });

    test('when two PUTs carry the same timestamp and are applied in reverse order (redelivery, competing consumers), then the lecture keeps the first accepted and ours the last', async () => {
      const sameMs = frozen('2025-11-01T10:00:00.000Z');
      const replica = lecture.replica({ now: sameMs });
      const first = replica.stampAddKey('tie', 'first');
      const second = replica.stampAddKey('tie', 'second');
      await replica.applyAddKey(second);
      await replica.applyAddKey(first);
      assert.equal(
        await lectureRow('tie'),
        'first',
        'the lecture should let the earlier write win the tie (the bug)',
      );

      const w = writer(sameMs);
      const a = putOf(await w.put('tie', 'first'), 'first');
      const b = putOf(await w.put('tie', 'second'), 'second');
      assert.equal(a.timestamp, b.timestamp);
      await applier().apply(b);
      await applier().apply(a);
      await assertConverged([a, b]);
    });

    test('when a DELETE checks a key and a newer PUT lands before it deletes, then the lecture deletes the newer value and ours keeps it', async () => {
      const seed = lecture.replica({ now: clock(0) });
      await seed.applyAddKey(seed.stampAddKey('race', 'old'));
      const del = seed.stampDelKey('race');
      const newer = seed.stampAddKey('race', 'newer');
      // The DELETE's consumer stops between its SELECT and its DELETE (two statements).
      const point = checkpoint();
      const deleting = createLectureKv({
        pgClient: pausingAfter(lecture.pgClient, 'SELECT last_updated', point),
        redis: lecture.redis,
        redisPrefix: lecture.redisPrefix,
      }).applyDelKey(del);
      await point.arrived;
      await seed.applyAddKey(newer);
      point.release();
      await deleting;
      assert.equal(
        await lectureRow('race'),
        undefined,
        'the lecture should have deleted the newer value (the bug)',
      );

      const w = writer(clock(0));
      const old = putOf(await w.put('race', 'old'), 'old');
      await applier().apply(old);
      const d = deleteOf(await w.delete('race'));
      const n = putOf(await w.put('race', 'newer'), 'newer');
      // One statement per apply: whichever order or overlap, the newer PUT stays.
      await Promise.all([applier().apply(d), applier().apply(n)]);
      await applier().apply(d);
      await assertConverged([old, d, n]);
    });
  });

  describe('resurrection', () => {
    test('when a DELETE is applied before an older PUT of an existing key, then the lecture brings the key back and ours keeps it deleted', async () => {
      const replica = lecture.replica({ now: clock(0) });
      await replica.applyAddKey(replica.stampAddKey('zombie', 'v1'));
      const late = replica.stampAddKey('zombie', 'late');
      const del = replica.stampDelKey('zombie');
      // add_key and del_key are different queues: nothing orders them.
      await replica.applyDelKey(del);
      await replica.applyAddKey(late);
      assert.equal(await lectureRow('zombie'), 'late', 'the lecture should resurrect the key (the bug)');

      const w = writer(clock(0));
      const v1 = putOf(await w.put('zombie', 'v1'), 'v1');
      await applier().apply(v1);
      const latePut = putOf(await w.put('zombie', 'late'), 'late');
      const d = deleteOf(await w.delete('zombie'));
      await applier().apply(d);
      const result = await applier().apply(latePut);
      assert.equal(result.applied, false);
      await assertConverged([v1, latePut, d]);
      const error = await expectAppError(reader().get('zombie'));
      assert.deepEqual([error.status, error.extensions], [404, { key: 'zombie', version: d.version }]);
    });

    test('when the DELETE of a new key is applied before its PUT, then the lecture drops the DELETE after its retries and the key lives; ours keeps a tombstone', async () => {
      const replica = lecture.replica({ now: clock(0) });
      const put = replica.stampAddKey('early-delete', 'should be gone');
      const del = replica.stampDelKey('early-delete');
      // The seed re-publishes a DELETE of a missing key 3 times (its expiration does not delay
      // anything), then acknowledges and drops it.
      const outcomes = [];
      for (let retries = 0; retries <= 3; retries++)
        outcomes.push((await replica.applyDelKey(del, retries)).action);
      assert.deepEqual(outcomes, ['retry', 'retry', 'retry', 'ack']);
      await replica.applyAddKey(put);
      assert.equal(
        await lectureRow('early-delete'),
        'should be gone',
        'the lecture should keep the deleted key (the bug)',
      );

      const w = writer(clock(0));
      const p = putOf(await w.put('early-delete', 'should be gone'), 'should be gone');
      const d = deleteOf(await w.delete('early-delete'));
      assert.equal((await applier().apply(d)).applied, true);
      assert.equal((await applier().apply(p)).applied, false);
      await assertConverged([p, d]);
    });
  });

  describe('stale cache', () => {
    test('when a GET read PostgreSQL before the consumer cached a newer write and fills the cache after it, then the lecture serves the old value from Redis and ours the new one', async () => {
      const replica = lecture.replica({ now: clock(0) });
      await replica.applyAddKey(replica.stampAddKey('stale', 'old'));
      const point = checkpoint();
      const slowGet = createLectureKv({
        pgClient: pausingAfter(lecture.pgClient, 'SELECT value FROM kv_store', point),
        redis: lecture.redis,
        redisPrefix: lecture.redisPrefix,
      }).lectureGet('stale');
      await point.arrived;
      await replica.applyAddKey(replica.stampAddKey('stale', 'new'));
      point.release();
      assert.deepEqual((await slowGet).body, { value: 'old', source: 'postgres' });
      assert.equal(await lectureRow('stale'), 'new');
      assert.deepEqual(
        (await replica.lectureGet('stale')).body,
        { value: 'old', source: 'redis' },
        'the lecture should serve the stale value (the bug)',
      );

      const w = writer(clock(0));
      const old = putOf(await w.put('stale', 'old'), 'old');
      await applier().apply(old);
      await ours.redis.del(ours.cachePrefix + 'stale'); // expired or evicted: the next GET misses
      const ourPoint = checkpoint();
      let paused = false;
      const pausing: KvStore = {
        ...ours.store,
        read: async (key) => {
          const entry = await ours.store.read(key);
          if (!paused) {
            paused = true;
            await ourPoint.pass();
          }
          return entry;
        },
      };
      const ourSlowGet = reader(pausing).get('stale');
      await ourPoint.arrived;
      const fresh = putOf(await w.put('stale', 'new'), 'new');
      await applier().apply(fresh);
      ourPoint.release();
      const answered = await ourSlowGet;
      // That GET began before the write: answering the old value is linearizable; caching it is not.
      assert.deepEqual([answered.source, answered.entry.value], ['postgres', 'old']);
      const next = await reader().get('stale');
      assert.deepEqual([next.source, next.entry.value], ['redis', 'new']);
      await assertConverged([old, fresh]);
    });
  });

  describe('read-your-writes', () => {
    test("when a client reads right after its PUT, then the lecture answers the old value with no version to wait for; ours waits for the PUT's version and answers it", async () => {
      const connection = await amqp.connect(TEST_AMQP_URL);
      const lectureQueues = { put: uniqueQueue('lecture_add_key'), delete: uniqueQueue('lecture_del_key') };
      try {
        const channel = await connection.createChannel();
        await channel.assertQueue(lectureQueues.put, { durable: true });
        const replica = lecture.replica({ now: clock(0), channel, queues: lectureQueues });
        await replica.applyAddKey(replica.stampAddKey('ryw', 'before'));
        const put = await replica.lecturePut('ryw', 'mine');
        assert.deepEqual(
          put,
          { status: 202, body: { message: 'Queued to add_key' } },
          'no version to ask for',
        );
        assert.deepEqual(
          (await replica.lectureGet('ryw')).body,
          { value: 'before', source: 'postgres' },
          'the lecture should answer the old value (the bug)',
        );
        await channel.deleteQueue(lectureQueues.put);
      } finally {
        await connection.close();
      }

      const w = writer(clock(0));
      await applier().apply(putOf(await w.put('ryw', 'before'), 'before'));
      const mine = await w.put('ryw', 'mine');
      let pauses = 0;
      const waiting = createKvReader({
        store: ours.store,
        cache: ours.cache,
        logger,
        minVersionWaitMs: 2_000,
        // The consumer gets to the write while the GET waits.
        sleep: async () => {
          if (++pauses === 1) await applier().apply(putOf(mine, 'mine'));
        },
      });
      const read = await waiting.get('ryw', { minVersion: mine.version });
      assert.deepEqual([read.entry.value, read.entry.version], ['mine', mine.version]);
      assert.equal(pauses, 1);
    });

    test("when the PUT's version is not applied within the wait, then ours answers 425 rather than an old value; a version never issued answers 409", async () => {
      const w = writer(clock(0));
      await applier().apply(putOf(await w.put('ryw-late', 'before'), 'before'));
      const mine = await w.put('ryw-late', 'mine');
      const impatient = createKvReader({
        store: ours.store,
        cache: ours.cache,
        logger,
        minVersionWaitMs: 30,
        pollIntervalMs: 10,
      });
      const late = await expectAppError(impatient.get('ryw-late', { minVersion: mine.version }));
      assert.deepEqual([late.status, late.extensions.min_version], [425, mine.version]);
      const never = await expectAppError(impatient.get('ryw-late', { minVersion: mine.version + 1_000_000 }));
      assert.equal(never.status, 409);
    });
  });
});
