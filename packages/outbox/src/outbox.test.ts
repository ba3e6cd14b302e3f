import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ENGINES, type TestDatabase } from '@dslab/testing';
import { enqueue, markProcessed, wasProcessed } from './outbox.js';
import type { OutboxTables } from './schema.js';
import { AT, messages, openOutboxDatabase } from './test-helpers.js';

for (const engine of ENGINES) {
  describe(`outbox tables (${engine})`, () => {
    const opened: TestDatabase<OutboxTables>[] = [];
    after(async () => {
      for (const database of opened) await database.dispose();
    });
    async function open(): Promise<TestDatabase<OutboxTables>> {
      const database = await openOutboxDatabase(engine);
      opened.push(database);
      return database;
    }

    test('when messages are enqueued, then each is one row with its JSON body and headers, and pending attempts at zero', async () => {
      const { db } = await open();
      const inserted = await db
        .transaction()
        .execute((trx) =>
          enqueue(trx, [...messages('fila.a', 'm', 1, 2), ...messages('fila.b', 'm', 3, 1)], AT),
        );
      assert.equal(inserted, 3);
      const rows = await db.selectFrom('outbox').selectAll().orderBy('id').execute();
      assert.deepEqual(
        rows.map((r): unknown[] => [
          r.mensagem_id,
          r.fila,
          JSON.parse(r.corpo) as unknown,
          JSON.parse(r.cabecalhos) as unknown,
          r.criado_em,
        ]),
        [
          ['m-00001', 'fila.a', { n: 1, texto: 'olá' }, { 'x-teste': 'm' }, AT],
          ['m-00002', 'fila.a', { n: 2, texto: 'olá' }, { 'x-teste': 'm' }, AT],
          ['m-00003', 'fila.b', { n: 3, texto: 'olá' }, { 'x-teste': 'm' }, AT],
        ],
      );
      assert.ok(rows.every((r) => r.tentativas === 0 && r.ultimo_erro === null));
      assert.ok(rows[0] !== undefined && rows[1] !== undefined && rows[0].id < rows[1].id);
    });

    test('when the same message id is enqueued twice (even in one call), then one row is kept: the first', async () => {
      const { db } = await open();
      const first = { queue: 'fila', messageId: 'dup', body: { versao: 1 } };
      const second = { queue: 'fila', messageId: 'dup', body: { versao: 2 } };
      assert.equal(await db.transaction().execute((trx) => enqueue(trx, [first], AT)), 1);
      assert.equal(await db.transaction().execute((trx) => enqueue(trx, [second], AT)), 0);
      assert.equal(
        await enqueue(
          db,
          [
            { ...first, messageId: 'twice' },
            { ...second, messageId: 'twice' },
          ],
          AT,
        ),
        1,
      );
      const rows = await db.selectFrom('outbox').select(['mensagem_id', 'corpo']).orderBy('id').execute();
      assert.deepEqual(rows, [
        { mensagem_id: 'dup', corpo: '{"versao":1}' },
        { mensagem_id: 'twice', corpo: '{"versao":1}' },
      ]);
    });

    test('when the enqueueing transaction rolls back, then no row remains', async () => {
      const { db } = await open();
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await enqueue(trx, messages('fila', 'rb', 1, 3), AT);
          throw new Error('rollback');
        }),
        /rollback/,
      );
      assert.equal((await db.selectFrom('outbox').select('id').execute()).length, 0);
    });

    test('when more messages than one INSERT takes are enqueued, then all are stored', async () => {
      const { db } = await open();
      assert.equal(
        await db.transaction().execute((trx) => enqueue(trx, messages('fila', 'big', 1, 1234), AT)),
        1234,
      );
      assert.equal(await enqueue(db, [], AT), 0);
      assert.equal((await db.selectFrom('outbox').select('id').execute()).length, 1234);
    });

    test('when a body cannot be JSON-encoded, then enqueue throws and stores nothing', async () => {
      const { db } = await open();
      await assert.rejects(enqueue(db, [{ queue: 'fila', messageId: 'x', body: undefined }], AT), TypeError);
      assert.equal((await db.selectFrom('outbox').select('id').execute()).length, 0);
    });

    test('when a consumer marks a message processed twice, then the first answers true and the second false', async () => {
      const { db } = await open();
      assert.equal(await wasProcessed(db, 'pedidos', 'm-1'), false);
      assert.equal(await db.transaction().execute((trx) => markProcessed(trx, 'pedidos', 'm-1', AT)), true);
      assert.equal(await db.transaction().execute((trx) => markProcessed(trx, 'pedidos', 'm-1', AT)), false);
      assert.equal(await wasProcessed(db, 'pedidos', 'm-1'), true);
      // Another consumer has its own record of the same message.
      assert.equal(await wasProcessed(db, 'estoque', 'm-1'), false);
      assert.equal(await markProcessed(db, 'estoque', 'm-1', AT), true);
    });

    test('when the transaction that marked a message rolls back, then it is not processed', async () => {
      const { db } = await open();
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          assert.equal(await markProcessed(trx, 'pedidos', 'm-2', AT), true);
          throw new Error('rollback');
        }),
      );
      assert.equal(await wasProcessed(db, 'pedidos', 'm-2'), false);
      assert.equal(await markProcessed(db, 'pedidos', 'm-2', AT), true);
    });

    test('when two transactions mark the same message at once, then exactly one is told it is new', async () => {
      const { db } = await open();
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          db.transaction().execute((trx) => markProcessed(trx, 'c', 'race', AT)),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
    });
  });
}
