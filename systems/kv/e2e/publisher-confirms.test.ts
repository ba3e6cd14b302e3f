/**
 * Publisher confirms, with the path to RabbitMQ blackholed (a TCP proxy that stops forwarding and
 * later cuts the connections, so the bytes in flight never arrive): the lecture's sendToQueue
 * returns at once and its API answers 202 for a message RabbitMQ never gets; ours waits for the
 * confirm, answers 503 problem+json, and leaves nothing behind (no message, no row, no cache entry).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLectureKv, openTestLectureKv } from '@dslab/kv-core/testing';
import { uniqueQueue } from '@dslab/messaging/testing';
import { startTcpProxy, TEST_AMQP_URL } from '@dslab/testing';
import amqp from 'amqplib';
import { versionOf } from './client.js';
import { eventually, withKvHarness } from './harness.js';

const broker = new URL(TEST_AMQP_URL);

function throughProxy(port: number): string {
  const url = new URL(TEST_AMQP_URL);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

test("when the path to RabbitMQ is blackholed, then the lecture's PUT answers 202 for a message that never arrives", async () => {
  const proxy = await startTcpProxy({ targetHost: broker.hostname, targetPort: Number(broker.port || 5672) });
  const lecture = await openTestLectureKv();
  const prefix = uniqueQueue('kvlecture');
  const queues = { put: `${prefix}.add_key`, delete: `${prefix}.del_key` };
  const direct = await amqp.connect(TEST_AMQP_URL);
  direct.on('error', () => undefined);
  try {
    const admin = await direct.createChannel();
    await admin.assertQueue(queues.put, { durable: true });
    const viaProxy = await amqp.connect(throughProxy(proxy.port));
    // The cut below kills this connection; without listeners its errors would crash the test.
    viaProxy.on('error', () => undefined);
    const channel = await viaProxy.createChannel();
    channel.on('error', () => undefined);
    const kv = createLectureKv({
      pgClient: lecture.pgClient,
      redis: lecture.redis,
      redisPrefix: lecture.redisPrefix,
      channel,
      queues,
    });

    // The path works: a publish before the outage arrives.
    assert.equal((await kv.lecturePut('arrives', 'value')).status, 202);
    await eventually(
      async () => ((await admin.checkQueue(queues.put)).messageCount === 1 ? true : undefined),
      {
        timeoutMs: 30_000,
        describe: () => 'the first lecture publish never arrived',
      },
    );

    proxy.pause();
    const answer = await kv.lecturePut('never-arrives', 'value');
    assert.equal(answer.status, 202, 'the lecture answers 202 without the broker');
    assert.deepEqual(answer.body, { message: 'Queued to add_key' });
    proxy.cutAll(); // the connection dies with the publish still in the proxy's socket buffers
    proxy.resume();

    const { messageCount } = await admin.checkQueue(queues.put);
    assert.equal(
      messageCount,
      1,
      'RabbitMQ never got the second message, which the client was told was queued',
    );
    await admin.deleteQueue(queues.put);
    await viaProxy.close().catch(() => undefined);
  } finally {
    await direct.close().catch(() => undefined);
    await proxy.close();
    await lecture.dispose();
  }
});

test('when the path to RabbitMQ is blackholed, then our PUT waits for the confirm, answers 503 problem+json and nothing is half-written', async () => {
  const proxy = await startTcpProxy({ targetHost: broker.hostname, targetPort: Number(broker.port || 5672) });
  try {
    await withKvHarness(
      async (kv, client) => {
        const before = versionOf(await client.put('warm-up', 'through the proxy'));

        proxy.pause();
        const refused = await client.put('never-arrives', 'value');
        assert.equal(refused.status, 503);
        assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
        assert.equal(refused.body.status, 503);
        const refusedDelete = await client.delete('warm-up');
        assert.equal(refusedDelete.status, 503, 'a DELETE is refused the same way');
        proxy.cutAll();
        proxy.resume();

        // The API's bus reconnects through the proxy; a later write is accepted again.
        const after = await eventually(
          async () => {
            const answer = await client.put('after-the-outage', 'accepted');
            return answer.status === 202 ? versionOf(answer) : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 200, describe: () => kv.logTail() },
        );
        assert.ok(after > before);

        const consumer = await kv.startConsumer();
        const writes = [
          { key: 'warm-up', version: before, value: 'through the proxy' },
          { key: 'after-the-outage', version: after, value: 'accepted' },
        ];
        await kv.drainAndConverge(writes, {
          // 'never-arrives' is among the keys: it must have no row and no cache entry.
          keys: ['warm-up', 'after-the-outage', 'never-arrives'],
          timeoutMs: 30_000,
        });
        assert.equal(await kv.rowCount(), 2, 'only the two accepted writes were applied');
        assert.equal((await client.get('never-arrives')).status, 404);
        assert.equal(
          (await client.get('warm-up')).body.value,
          'through the proxy',
          'the refused DELETE did not happen',
        );
        assert.equal(await kv.deadLetterCount(), 0);
        await consumer.stop();
      },
      { apiAmqpUrl: throughProxy(proxy.port), publishTimeoutMs: 1500 },
    );
  } finally {
    await proxy.close();
  }
});
