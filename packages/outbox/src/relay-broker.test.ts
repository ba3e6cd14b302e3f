import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  collectingLogger,
  eventually,
  startProxiedBroker,
  waitForDrain,
  type ProxiedBroker,
} from '@dslab/messaging/testing';
import { ENGINES, type TestDatabase } from '@dslab/testing';
import { enqueue } from './outbox.js';
import { createOutboxRelay } from './relay.js';
import type { OutboxTables } from './schema.js';
import { AT, consumeAll, messages, openOutboxDatabase } from './test-helpers.js';

/**
 * The relay against a broker it cannot reach: a TCP proxy sits between the relay's bus and
 * RabbitMQ, and the tests break the path on purpose. Rows must stay (with their attempts and
 * last error) and every one must be published once the path heals.
 */

const FAILURE_LINE = /^WARNING:Falha ao publicar \d+ mensagem\(ns\) do outbox: .+; nova tentativa em \d+ ms$/;

for (const engine of ENGINES) {
  describe(`outbox relay with an unreachable broker (${engine})`, () => {
    let broker: ProxiedBroker;
    const cleanups: (() => Promise<void>)[] = [];

    before(async () => {
      broker = await startProxiedBroker();
    });

    after(async () => {
      broker.heal();
      try {
        for (const cleanup of cleanups.reverse()) await cleanup();
      } finally {
        await broker.close();
      }
    });

    async function setUp() {
      const database = await openOutboxDatabase(engine);
      cleanups.push(() => database.dispose());
      const { bus } = await broker.openBus({ publishTimeoutMs: 300 });
      const received = await consumeAll(broker.observer, broker.queue('outbox'));
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
      return { database, bus, queue: received.queue, received, logger, relay, proxy: broker.proxy };
    }

    /** Waits until the outbox holds `count` rows that each failed at least twice, and answers them. */
    async function failedTwice(database: TestDatabase<OutboxTables>, count: number) {
      const rows = () =>
        database.db.selectFrom('outbox').select(['mensagem_id', 'tentativas', 'ultimo_erro']).execute();
      await eventually(`all ${count} rows failed at least twice`, async () => {
        const now = await rows();
        return now.length === count && now.every((r) => r.tentativas >= 2);
      });
      return rows();
    }

    test('when the broker refuses connections, then rows stay with growing attempts and their error, and once it is back each is published once', async () => {
      const { database, bus, queue, received, logger, relay, proxy } = await setUp();
      await bus.declareQueue(queue);
      proxy.refuse(true);
      proxy.cutAll();
      try {
        await eventually('the bus noticed the loss', () => !bus.connected);
        await enqueue(database.db, messages(queue, 'm', 0, 20), AT);
        relay.start();
        relay.wake();
        const rows = await failedTwice(database, 20);
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
      await waitForDrain(broker.observer, [queue]);
      await delay(200);
      // Nothing reached the broker while it refused: each message went out exactly once.
      assert.deepEqual(
        [...received.counts().entries()].sort(),
        messages(queue, 'm', 0, 20).map((m) => [m.messageId, 1]),
      );
      assert.ok(logger.lines.includes('INFO:Publicação do outbox retomada'));
    });

    test('when the path to the broker is blackholed, then publishes time out and rows stay; after it heals every row is published (at least once) and deleted', async () => {
      const { database, bus, queue, received, logger, relay, proxy } = await setUp();
      await bus.declareQueue(queue);
      relay.start();
      proxy.pause();
      try {
        await enqueue(database.db, messages(queue, 'b', 0, 12), AT);
        relay.wake();
        const rows = await failedTwice(database, 12);
        assert.ok(
          rows.every((r) => r.ultimo_erro?.includes('did not confirm') === true),
          JSON.stringify(rows),
        );
        assert.ok(logger.lines.some((l) => FAILURE_LINE.test(l)));
      } finally {
        proxy.resume();
      }
      await eventually('the outbox is empty', async () => (await relay.pending()) === 0);
      await waitForDrain(broker.observer, [queue]);
      // Publishes held in the blackhole reach the broker when it heals, after their publish had
      // already failed: those rows were published again (at-least-once; consumers deduplicate).
      const counts = received.counts();
      for (const m of messages(queue, 'b', 0, 12))
        assert.ok((counts.get(m.messageId) ?? 0) >= 1, m.messageId);
      assert.equal(counts.size, 12);
    });
  });
}
