import type { Executor } from '@dslab/checkout-kit';
import type { Engine } from '@dslab/db';
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { EnviosTable, LogisticaTables } from './schema.js';

export type EnvioRow = Selectable<EnviosTable>;

/** Queries of the logistica service; each takes the executor (the database or a transaction) it runs on. */
export function createLogisticaStore(db: Kysely<LogisticaTables>, engine: Engine) {
  return {
    db,
    engine,

    async findById(id: number): Promise<EnvioRow | undefined> {
      return db.selectFrom('envios').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async findByPedido(ex: Executor<LogisticaTables>, pedidoId: number): Promise<EnvioRow | undefined> {
      return ex.selectFrom('envios').selectAll().where('pedido_id', '=', pedidoId).executeTakeFirst();
    },

    async findByNota(ex: Executor<LogisticaTables>, notaFiscalId: number): Promise<EnvioRow | undefined> {
      return ex
        .selectFrom('envios')
        .selectAll()
        .where('nota_fiscal_id', '=', notaFiscalId)
        .executeTakeFirst();
    },

    /**
     * Inserts the dispatch unless it collides with any unique constraint (the order, the invoice
     * or the tracking code): answers the new id, or undefined and nothing written. On PostgreSQL
     * a racing twin's uncommitted row is waited for first, so a re-read then sees it; no error is
     * raised, so the transaction stays usable for that re-read and a retry with another code.
     */
    async insert(ex: Executor<LogisticaTables>, row: Insertable<EnviosTable>): Promise<number | undefined> {
      const inserted = await ex
        .insertInto('envios')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted === undefined ? undefined : inserted.id;
    },
  };
}

export type LogisticaStore = ReturnType<typeof createLogisticaStore>;
