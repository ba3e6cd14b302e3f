import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from '@dslab/db';
import type { MessageBus } from '@dslab/messaging';
import {
  BUS_KINDS,
  collectingLogger,
  eventually,
  gate,
  openTestBus,
  waitForDrain,
} from '@dslab/messaging/testing';
import { ENGINES, type TestDatabase } from '@dslab/testing';
import { enqueue } from './outbox.js';
import { createOutboxRelay, type OutboxRelay } from './relay.js';
import type { OutboxTables } from './schema.js';
import {
  AT,
  batchQueryCounter,
  consumeAll,
  messages,
  openOutboxDatabase,
  refusing,
  wrapPublish,
  type Received,
} from './test-helpers.js';

for (const engine of ENGINES) {
  for (const busKind of BUS_KINDS) {
    describe(`outbox relay (${engine}, ${busKind} bus)`, () => {
      const cleanups: (() => Promise<void>)[] = [];
      after(async () => {
        for (const cleanup of cleanups.reverse()) await cleanup();
      });

      async function setUp(): Promise<{
        database: TestDatabase<OutboxTables>;
        bus: MessageBus;
        queue: string;
        received: Received;
      }> {
        const database = await openOutboxDatabase(engine);
        cleanups.push(() => database.dispose());
        const bus = await openTestBus(busKind);
        cleanups.push(() => bus.close());
        const received = await consumeAll(bus);
        cleanups.push(() => received.dispose());
        return { database, bus, queue: received.queue, received };
      }

      function track(relay: OutboxRelay): OutboxRelay {
        cleanups.push(() => relay.stop());
        return relay;
      }

      test('when rows are committed, then the relay publishes each exactly once, in id order, and deletes them; rolled-back rows are never published', async () => {
        const { database, bus, queue, received } = await setUp();
        const logger = collectingLogger();
        const relay = track(createOutboxRelay({ database, bus, logger, batchSize: 40, idlePollMs: 50 }));
        await database.db.transaction().execute((trx) => enqueue(trx, messages(queue, 'm', 0, 100), AT));
        await assert.rejects(
          database.db.transaction().execute(async (trx) => {
            await enqueue(trx, messages(queue, 'rolled-back', 0, 10), AT);
            throw new Error('rollback');
          }),
        );
        relay.start();
        relay.wake();
        await database.db.transaction().execute((trx) => enqueue(trx, messages(queue, 'm', 100, 150), AT));
        relay.wake();
        await eventually('every committed message arrives', () => received.messages.length >= 250);
        await eventually('the outbox is empty', async () => (await relay.pending()) === 0);
        await waitForDrain(bus, [queue]);
        await delay(100);
        const expected = messages(queue, 'm', 0, 250).map((m) => m.messageId);
        assert.deepEqual(received.ids(), expected);
        const first = received.messages[0];
        assert.ok(first !== undefined);
        assert.deepEqual(JSON.parse(first.content.toString('utf8')), { n: 0, texto: 'olá' });
        assert.equal(first.headers['x-teste'], 'm');
        assert.deepEqual(logger.lines, []);
      });

      test('when the same message id is enqueued twice, then there is one row and one publish', async () => {
        const { database, bus, queue, received } = await setUp();
        const relay = createOutboxRelay({ database, bus, logger: collectingLogger() });
        const message = { queue, messageId: 'uma-vez', body: { ok: true } };
        assert.equal(await database.db.transaction().execute((trx) => enqueue(trx, [message], AT)), 1);
        assert.equal(await database.db.transaction().execute((trx) => enqueue(trx, [message], AT)), 0);
        assert.equal(await relay.pending(), 1);
        assert.equal(await relay.drainOnce(), 1);
        assert.equal(await relay.drainOnce(), 0);
        assert.equal(await relay.pending(), 0);
        await eventually('the message arrives', () => received.messages.length === 1);
        await waitForDrain(bus, [queue]);
        await delay(100);
        assert.deepEqual(received.ids(), ['uma-vez']);
      });

      test('when idle, then the loop still finds rows committed without a wake (another process) within its poll', async () => {
        const { database, bus, queue, received } = await setUp();
        const relay = track(createOutboxRelay({ database, bus, logger: collectingLogger(), idlePollMs: 30 }));
        relay.start();
        await delay(100);
        await enqueue(database.db, messages(queue, 'silencioso', 0, 3), AT);
        await eventually('the messages arrive without a wake', () => received.messages.length === 3);
      });

      test('when wake is called many times during a pass, then exactly one more pass runs right after it', async () => {
        const { database, bus, queue, received } = await setUp();
        const counter = batchQueryCounter();
        const started = gate();
        const release = gate();
        let publishes = 0;
        const gatedBus = wrapPublish(bus, async (_message, publish) => {
          publishes += 1;
          if (publishes === 1) {
            started.open();
            await release.promise;
          }
          await publish();
        });
        // No idle polling within the test: only wakes start passes.
        const relay = track(
          createOutboxRelay({
            database: { db: database.db.withPlugin(counter), engine: database.engine },
            bus: gatedBus,
            logger: collectingLogger(),
            idlePollMs: 600_000,
          }),
        );
        relay.start();
        await eventually('the first (empty) pass ran', () => counter.count() === 1);
        await enqueue(database.db, messages(queue, 'primeira', 0, 1), AT);
        relay.wake();
        await started.promise;
        assert.equal(counter.count(), 2);
        await enqueue(database.db, messages(queue, 'segunda', 0, 1), AT);
        for (let i = 0; i < 100; i++) relay.wake();
        release.open();
        await eventually('both messages arrive', () => received.messages.length === 2);
        await delay(300);
        // Pass 1 (empty), pass 2 (first message), one pass for the hundred wakes (second message).
        assert.equal(counter.count(), 3);
        assert.deepEqual(received.ids(), ['primeira-00000', 'segunda-00000']);
        // A wake while idle runs one pass promptly.
        relay.wake();
        await eventually('the woken pass ran', () => counter.count() === 4);
      });

      test('when stop is called while a batch is publishing, then it waits for that batch, which is settled, and nothing runs after', async () => {
        const { database, bus, queue, received } = await setUp();
        const started = gate();
        const release = gate();
        const gatedBus = wrapPublish(bus, async (_message, publish) => {
          started.open();
          await release.promise;
          await publish();
        });
        const relay = createOutboxRelay({
          database,
          bus: gatedBus,
          logger: collectingLogger(),
          batchSize: 10,
        });
        await enqueue(database.db, messages(queue, 'm', 0, 30), AT);
        relay.start();
        relay.wake();
        await started.promise;
        let stopped = false;
        const stopping = relay.stop().then(() => {
          stopped = true;
        });
        await delay(100);
        assert.equal(stopped, false, 'stop waits for the batch in flight');
        release.open();
        await stopping;
        // The batch in flight was published and deleted; the loop took no further batch.
        assert.equal(await relay.pending(), 20);
        relay.wake();
        relay.start();
        await delay(200);
        assert.equal(await relay.pending(), 20);
        await eventually('the first batch arrives', () => received.messages.length === 10);
        // The rows left are published by a later relay.
        const next = createOutboxRelay({ database, bus, logger: collectingLogger(), batchSize: 10 });
        assert.equal(await next.drainOnce(), 20);
        await eventually('every message arrives', () => received.messages.length === 30);
        assert.deepEqual(
          received.ids(),
          messages(queue, 'm', 0, 30).map((m) => m.messageId),
        );
      });

      test('when the broker keeps refusing one message, then the rows after it are still published and it stays with its attempts', async () => {
        const { database, bus, queue, received } = await setUp();
        const logger = collectingLogger();
        const relay = createOutboxRelay({
          database,
          bus: refusing(bus, 'recusada', 'mensagem recusada pelo broker'),
          logger,
          batchSize: 10,
        });
        await enqueue(database.db, [{ queue, messageId: 'recusada', body: {} }], AT);
        await enqueue(database.db, messages(queue, 'm', 0, 35), AT);
        assert.equal(await relay.drainOnce(), 35);
        assert.equal(await relay.drainOnce(), 0);
        const rows = await database.db
          .selectFrom('outbox')
          .select(['mensagem_id', 'tentativas', 'ultimo_erro'])
          .execute();
        assert.deepEqual(rows, [
          { mensagem_id: 'recusada', tentativas: 2, ultimo_erro: 'mensagem recusada pelo broker' },
        ]);
        assert.deepEqual(logger.lines, [
          'WARNING:Falha ao publicar 1 mensagem(ns) do outbox: mensagem recusada pelo broker',
          'WARNING:Falha ao publicar 1 mensagem(ns) do outbox: mensagem recusada pelo broker',
        ]);
        await eventually('the other messages arrive', () => received.messages.length === 35);
      });

      test('when the broker keeps refusing one message, then the loop retries it ever more slowly while new messages flow at once', async () => {
        const { database, bus, queue, received } = await setUp();
        const logger = collectingLogger();
        const relay = track(
          createOutboxRelay({
            database,
            bus: refusing(bus, 'recusada', 'mensagem recusada pelo broker'),
            logger,
            idlePollMs: 10,
            maxBackoffMs: 60_000,
          }),
        );
        await enqueue(database.db, [{ queue, messageId: 'recusada', body: {} }], AT);
        await enqueue(database.db, messages(queue, 'antes', 0, 5), AT);
        relay.start();
        relay.wake();
        await eventually('the first messages arrive', () => received.messages.length === 5);
        await delay(1000);
        // Polled every 10 ms for a second, the refused row was tried only on its own back-off
        // (100, 200, 400 ms…), not on every pass.
        const row = await database.db
          .selectFrom('outbox')
          .select(['tentativas'])
          .where('mensagem_id', '=', 'recusada')
          .executeTakeFirstOrThrow();
        assert.ok(row.tentativas >= 2 && row.tentativas <= 6, `tentativas = ${row.tentativas}`);
        const warnings = logger.lines.filter((l) => l.startsWith('WARNING:Falha ao publicar 1 mensagem(ns)'));
        // One warning per attempt (a pass may be between its update and its log line right now).
        assert.ok(Math.abs(warnings.length - row.tentativas) <= 1, `${warnings.length} warnings`);
        // The loop is not in a back-off of its own: a new message goes out within its idle poll.
        await enqueue(database.db, messages(queue, 'depois', 0, 1), AT);
        await eventually('the new message arrives promptly', () => received.messages.length === 6, 2000);
        // The message can arrive a moment before its row is deleted.
        await eventually('only the refused row is left', async () => (await relay.pending()) === 1);
      });

      test('when the database fails under the loop, then it logs, backs off and recovers without crashing', async () => {
        const { database, bus, queue, received } = await setUp();
        const logger = collectingLogger();
        const relay = track(
          createOutboxRelay({ database, bus, logger, idlePollMs: 20, maxBackoffMs: 200, name: 'teste' }),
        );
        await enqueue(database.db, messages(queue, 'm', 0, 5), AT);
        await sql`ALTER TABLE outbox RENAME TO outbox_fora`.execute(database.db);
        relay.start();
        relay.wake();
        await eventually(
          'two failures are logged',
          () =>
            logger.lines.filter((l) => /^WARNING:Erro ao ler o outbox: .+; nova tentativa em \d+ ms$/.test(l))
              .length >= 2,
        );
        assert.equal(received.messages.length, 0);
        await sql`ALTER TABLE outbox_fora RENAME TO outbox`.execute(database.db);
        await eventually('the messages arrive', () => received.messages.length === 5);
        await eventually('the recovery is logged', () =>
          logger.lines.includes('INFO:Publicação do outbox retomada'),
        );
        await relay.stop();
        assert.equal(await relay.pending(), 0);
      });
    });
  }
}
