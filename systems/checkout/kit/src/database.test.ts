import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Engine } from '@dslab/db';
import { ENGINES } from '@dslab/testing';
import type { Generated, Kysely } from 'kysely';
import {
  idColumn,
  importOnce,
  operationsOf,
  recordOperation,
  syncIdSequence,
  type CommonTables,
} from './database.js';
import { openTestServiceDatabase, type TestServiceDatabase } from './testing.js';

interface Tables extends CommonTables {
  coisas: { id: Generated<number>; nome: string };
}

const migrations = (e: Engine) => ({
  '0001_coisas': {
    async up(db: Kysely<unknown>) {
      await idColumn(db, e, 'coisas')
        .addColumn('nome', 'text', (c) => c.notNull())
        .execute();
    },
  },
});

/** A service database (any service's name will do) with the common tables and `coisas`. */
function openTemp(engine: Engine): Promise<TestServiceDatabase<Tables>> {
  return openTestServiceDatabase<Tables>(engine, 'estoque', migrations);
}

for (const engine of ENGINES) {
  describe(`checkout kit database (${engine})`, () => {
    const disposers: (() => Promise<void>)[] = [];
    after(async () => {
      for (const dispose of disposers) await dispose();
    });

    test('when an operation is recorded in a transaction that rolls back, then no row remains', async () => {
      const { database, dispose } = await openTemp(engine);
      disposers.push(dispose);
      await database.db.transaction().execute(async (trx) => {
        await recordOperation(trx, {
          operacao: 'feito',
          pedido_id: 7,
          mensagem: 'Feito',
          detalhes: { a: 1 },
          at: '2025-01-01T00:00:00.000Z',
        });
      });
      await assert.rejects(
        database.db.transaction().execute(async (trx) => {
          await recordOperation(trx, {
            operacao: 'desfeito',
            pedido_id: 7,
            mensagem: 'Desfeito',
            detalhes: {},
            at: '2025-01-01T00:00:00.000Z',
          });
          throw new Error('rollback');
        }),
      );
      assert.deepEqual(await operationsOf(database.db, 7), [
        { operacao: 'feito', mensagem: 'Feito', detalhes: { a: 1 } },
      ]);
    });

    test('when the import runs twice (even at once), then the rows are loaded once and a failed import leaves nothing', async () => {
      const { database, dispose } = await openTemp(engine);
      disposers.push(dispose);
      await assert.rejects(
        importOnce(database.db, 'seed', 'agora', async (trx) => {
          await trx.insertInto('coisas').values({ id: 1, nome: 'meia' }).execute();
          throw new Error('crash mid-import');
        }),
      );
      const load = (trx: Parameters<Parameters<typeof importOnce<Tables>>[3]>[0]) =>
        trx
          .insertInto('coisas')
          .values([
            { id: 5, nome: 'a' },
            { id: 9, nome: 'b' },
          ])
          .execute()
          .then(async () => {
            await syncIdSequence(trx, engine, 'coisas');
            return 2;
          });
      const results = await Promise.all([
        importOnce(database.db, 'seed', 'agora', load),
        importOnce(database.db, 'seed', 'agora', load),
      ]);
      assert.deepEqual([...results].sort(), [2, undefined]);
      const inserted = await database.db
        .insertInto('coisas')
        .values({ nome: 'nova' })
        .returning('id')
        .executeTakeFirstOrThrow();
      assert.equal(inserted.id, 10, 'the next generated id continues after the imported ones');
      const count = await database.db
        .selectFrom('coisas')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 3);
    });
  });
}
