/**
 * Lost messages at the broker level, with PostgreSQL failing for a while (a fault-injecting
 * wrapper around the real client): the lecture's consumer nacks without requeue and has no
 * dead-letter queue, so every write accepted during the outage is gone; ours retries (bounded)
 * and applies them once PostgreSQL is back, dead-letters what exhausted its attempts with the
 * reason, and a replay applies those too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLectureKv, openTestLectureKv, type TestLectureKv } from '@dslab/kv-core/testing';
import type { ConsumeOptions } from '@dslab/messaging';
import { uniqueQueue } from '@dslab/messaging/testing';
import { TEST_AMQP_URL } from '@dslab/testing';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { versionOf } from './client.js';
import { countingStore, flakyLecturePg, flakyStore, INJECTED_OUTAGE } from './faults.js';
import { eventually, withKvHarness, type KvHarness } from './harness.js';
import type { AcceptedWrite } from './invariants.js';

const WRITES = 20;

describe("the lecture's consumer", () => {
  let lecture: TestLectureKv;
  let connection: ChannelModel;
  let channel: Channel;
  const prefix = uniqueQueue('kvlecture');
  const queues = { put: `${prefix}.add_key`, delete: `${prefix}.del_key` };

  before(async () => {
    lecture = await openTestLectureKv();
    connection = await amqp.connect(TEST_AMQP_URL);
    connection.on('error', () => undefined);
    channel = await connection.createChannel();
  });

  after(async () => {
    try {
      await channel.deleteQueue(queues.put);
      await channel.deleteQueue(queues.delete);
      await connection.close();
    } finally {
      await lecture.dispose();
    }
  });

  test('when PostgreSQL fails for a while, then the writes it had answered 202 for are lost: nacked without requeue, no dead-letter queue', async () => {
    const { pgClient, outage } = flakyLecturePg(lecture.pgClient);
    const errors: string[] = [];
    const kv = createLectureKv({
      pgClient,
      redis: lecture.redis,
      redisPrefix: lecture.redisPrefix,
      channel,
      queues,
      console: { log: () => undefined, warn: () => undefined, error: (line) => errors.push(line) },
    });
    const consumer = await kv.startLectureConsumer(channel, queues);
    try {
      outage.down = true;
      for (let i = 0; i < WRITES; i++) {
        const answer = await kv.lecturePut(`lost-${String(i)}`, `value ${String(i)}`);
        assert.equal(answer.status, 202);
      }
      await eventually(async () => (errors.length >= WRITES ? true : undefined), {
        timeoutMs: 30_000,
        describe: () => `the lecture's consumer reported ${String(errors.length)} errors`,
      });
    } finally {
      outage.down = false;
      await consumer.stop();
    }
    // PostgreSQL is back, and nothing is left to apply: not in the queue, not anywhere else.
    assert.match(errors[0] ?? '', /^\[add_key\] Error: connect ECONNREFUSED/);
    const { messageCount } = await channel.checkQueue(queues.put);
    assert.equal(messageCount, 0);
    const { rows } = await lecture.pgClient.query('SELECT count(*)::int AS n FROM kv_store');
    assert.equal(rows[0]?.n, 0, `all ${String(WRITES)} accepted writes are lost`);
  });
});

describe('our consumer', () => {
  /** Our consumer over a store that refuses every apply (PostgreSQL down) until `outage.down` is cleared. */
  async function consumerInOutage(kv: KvHarness, consume: ConsumeOptions) {
    const { store, outage } = flakyStore(kv.store);
    outage.down = true;
    const consumer = await kv.startConsumer({ store, consume: { prefetch: 8, ...consume } });
    return { consumer, outage };
  }

  test('when PostgreSQL fails for a while, then the writes are retried and all applied once it is back, with nothing dead-lettered', async () => {
    await withKvHarness(async (kv, client) => {
      const { consumer, outage } = await consumerInOutage(kv, { maxAttempts: 1000, retryDelayMs: () => 100 });
      const writes: AcceptedWrite[] = [];
      for (let i = 0; i < WRITES; i++) {
        const key = `retry-${String(i % 15)}`;
        if (i % 7 === 6) writes.push({ key, version: versionOf(await client.delete(key)), value: null });
        else
          writes.push({
            key,
            version: versionOf(await client.put(key, `value ${String(i)}`)),
            value: `value ${String(i)}`,
          });
      }
      // Every message has failed at least twice (it went through the retry stage) before the fix.
      await eventually(async () => (outage.refused >= 2 * WRITES ? true : undefined), {
        timeoutMs: 30_000,
        describe: () => `only ${String(outage.refused)} refused applies`,
      });
      assert.equal(await kv.rowCount(), 0, 'nothing was applied during the outage');
      outage.down = false;
      await kv.drainAndConverge(writes);
      assert.equal(await kv.deadLetterCount(), 0);
      await consumer.stop();
    });
  });

  test('when the attempts run out, then the writes go to the dead-letter queue with the reason, and a replay applies them', async () => {
    await withKvHarness(async (kv, client) => {
      const { consumer, outage } = await consumerInOutage(kv, { maxAttempts: 3, retryDelayMs: () => 50 });
      const writes: AcceptedWrite[] = [];
      for (let i = 0; i < 5; i++)
        writes.push({
          key: `dead-${String(i)}`,
          version: versionOf(await client.put(`dead-${String(i)}`, `v${String(i)}`)),
          value: `v${String(i)}`,
        });
      writes.push({ key: 'dead-0', version: versionOf(await client.delete('dead-0')), value: null });
      await eventually(
        async () => {
          const [put, del] = await Promise.all([
            kv.admin.depth(kv.queues.put),
            kv.admin.depth(kv.queues.delete),
          ]);
          return put.dead === 5 && del.dead === 1 && put.ready + put.retrying + del.ready + del.retrying === 0
            ? true
            : undefined;
        },
        { timeoutMs: 30_000, describe: async () => JSON.stringify(await kv.admin.depth(kv.queues.put)) },
      );
      const dead = await kv.admin.peekDeadLetters(kv.queues.put);
      assert.equal(dead.length, 5);
      for (const letter of dead) {
        assert.equal(letter.attempts, 3);
        assert.ok(letter.reason.includes(INJECTED_OUTAGE), `reason: ${letter.reason}`);
        assert.equal(letter.queue, kv.queues.put);
      }
      assert.equal(outage.refused, 18, 'three attempts of each of the six writes');
      assert.equal(await kv.rowCount(), 0);

      outage.down = false;
      assert.equal(await kv.admin.replayDeadLetters(kv.queues.put), 5);
      assert.equal(await kv.admin.replayDeadLetters(kv.queues.delete), 1);
      await kv.drainAndConverge(writes);
      assert.equal(await kv.deadLetterCount(), 0);
      await consumer.stop();
    });
  });

  test('when a malformed message arrives, then it is dead-lettered at once with the reason and the writes around it are applied', async () => {
    await withKvHarness(async (kv, client) => {
      const { store, applied } = countingStore(kv.store);
      const consumer = await kv.startConsumer({
        store,
        consume: { maxAttempts: 10, retryDelayMs: () => 50 },
      });
      const writes: AcceptedWrite[] = [];
      writes.push({ key: 'before', version: versionOf(await client.put('before', 'ok')), value: 'ok' });
      await kv.admin.publish(kv.queues.put, {
        messageId: 'kv-malformed',
        body: { key_name: 'poison', key_value: 42, version: 'seven', timestamp: 'yesterday' },
      });
      writes.push({ key: 'after', version: versionOf(await client.put('after', 'ok too')), value: 'ok too' });
      await eventually(async () => ((await kv.admin.depth(kv.queues.put)).dead === 1 ? true : undefined), {
        timeoutMs: 30_000,
        describe: () => kv.logTail(),
      });
      await kv.drainAndConverge(writes);
      const [letter] = await kv.admin.peekDeadLetters(kv.queues.put);
      assert.equal(letter?.messageId, 'kv-malformed');
      assert.equal(letter.attempts, 1, 'dead-lettered at once, never retried');
      assert.notEqual(letter.reason, '');
      assert.equal(applied(), 2, 'the malformed message never reached the store');
      assert.match(kv.logTail(), /⚠ Invalid add_key message: /);
      await consumer.stop();
    });
  });
});
