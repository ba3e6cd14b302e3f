import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAmqpBus, type MessageBus } from '@dslab/messaging';
import { openTestAmqpBus, waitForDrain } from '@dslab/messaging/testing';
import {
  ENGINES,
  startTcpProxy,
  TEST_AMQP_URL,
  uniqueName,
  type TcpProxy,
  type TestDatabase,
} from '@dslab/testing';
import { enqueue } from './outbox.js';
import { createOutboxRelay } from './relay.js';
import type { OutboxTables } from './schema.js';
import {
  collectingLogger,
  consumeAll,
  delay,
  eventually,
  messages,
  openOutboxDatabase,
  testQueue,
} from './test-helpers.js';

/**
 * The relay against a broker it cannot reach: a TCP proxy sits between the relay's bus and
 * RabbitMQ, and the tests break the path on purpose. Rows must stay (with their attempts and
 * last error) and every one must be published once the path heals.
 */

const AT = '2025-10-26T18:00:00.000Z';
const broker = new URL(TEST_AMQP_URL);
const FAILURE_LINE = /^WARNING:Falha ao publicar \d+ mensagem\(ns\) do outbox: .+; nova tentativa em \d+ ms$/;

for (const engine of ENGINES) {
  describe(`outbox relay with an unreachable broker (${engine})`, () => {
    let proxy: TcpProxy;
    /** A direct bus (no proxy) to consume and clean up. */
    let observer: MessageBus;
    const cleanups: (() => Promise<void>)[] = [];

    before(async () => {
      proxy = await startTcpProxy({ targetHost: broker.hostname, targetPort: Number(broker.port || 5672) });
      observer = await openTestAmqpBus();
    });

    after(async () => {
      proxy.resume();
      proxy.refuse(false);
      try {
        for (const cleanup of cleanups.reverse()) await cleanup();
      } finally {
        await observer.close();
        await proxy.close();
      }
    });

    async function setUp() {
      const database = await openOutboxDatabase(engine);
      cleanups.push(() => database.dispose());
      const url = new URL(TEST_AMQP_URL);
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      const bus = await createAmqpBus({
        url: url.toString(),
        connectionName: uniqueName('outbox-relay'),
        logger: collectingLogger(),
        publishTimeoutMs: 300,
        reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      });
      cleanups.push(() => bus.close());
      const queue = testQueue();
      cleanups.push(() => observer.deleteQueue(queue));
      const received = await consumeAll(observer, queue);
      cleanups.push(() => received.subscription.cancel());
      const logger = collectingLogger();
      const relay = createOutboxRelay({
        database,
        bus,
        logger,
        batchSize: 50,
        idlePollMs: 50,
        maxBackoffMs: 400,
      });
      cleanups.push(() => relay.stop());
      return { database, bus, queue, received, logger, relay };
    }

    async function attempts(database: TestDatabase<OutboxTables>) {
      return database.db.selectFrom('outbox').select(['mensagem_id', 'tentativas', 'ultimo_erro']).execute();
    }

    test('when the broker refuses connections, then rows stay with growing attempts and their error, and once it is back each is published once', async () => {
      const { database, bus, queue, received, logger, relay } = await setUp();
      await bus.declareQueue(queue);
      proxy.refuse(true);
      proxy.cutAll();
      try {
        await eventually('the bus noticed the loss', () => !bus.connected);
        await enqueue(database.db, messages(queue, 'm', 0, 20), AT);
        relay.start();
        relay.wake();
        await eventually('every row failed at least twice', async () => {
          const rows = await attempts(database);
          return rows.length === 20 && rows.every((r) => r.tentativas >= 2);
        });
        const rows = await attempts(database);
        assert.ok(
          rows.every((r) => r.ultimo_erro !== null && r.ultimo_erro.length > 0),
          JSON.stringify(rows[0]),
        );
        assert.ok(logger.lines.filter((l) => FAILURE_LINE.test(l)).length >= 2, logger.lines.join('\n'));
        assert.equal(received.messages.length, 0);
      } finally {
        proxy.refuse(false);
      }
      await eventually('every message arrives', () => received.messages.length >= 20);
      await eventually('the outbox is empty', async () => (await relay.pending()) === 0);
      await waitForDrain(observer, [queue]);
      await delay(200);
      // Nothing reached the broker while it refused: each message went out exactly once.
      assert.deepEqual(
        [...received.counts().entries()].sort(),
        messages(queue, 'm', 0, 20).map((m) => [m.messageId, 1]),
      );
      assert.ok(logger.lines.includes('INFO:Publicação do outbox retomada'));
    });

    test('when the path to the broker is blackholed, then publishes time out and rows stay; after it heals every row is published (at least once) and deleted', async () => {
      const { database, bus, queue, received, logger, relay } = await setUp();
      await bus.declareQueue(queue);
      relay.start();
      proxy.pause();
      try {
        await enqueue(database.db, messages(queue, 'b', 0, 12), AT);
        relay.wake();
        await eventually('the rows failed twice', async () => {
          const rows = await attempts(database);
          return rows.length === 12 && rows.every((r) => r.tentativas >= 2);
        });
        const rows = await attempts(database);
        assert.ok(
          rows.every((r) => r.ultimo_erro?.includes('did not confirm') === true),
          JSON.stringify(rows),
        );
        assert.ok(logger.lines.some((l) => FAILURE_LINE.test(l)));
      } finally {
        proxy.resume();
      }
      await eventually('the outbox is empty', async () => (await relay.pending()) === 0);
      await waitForDrain(observer, [queue]);
      // Publishes held in the blackhole reach the broker when it heals, after their publish had
      // already failed: those rows were published again (at-least-once; consumers deduplicate).
      const counts = received.counts();
      for (const m of messages(queue, 'b', 0, 12))
        assert.ok((counts.get(m.messageId) ?? 0) >= 1, m.messageId);
      assert.equal(counts.size, 12);
    });
  });
}
