import type { Engine } from '@dslab/db';
import type { Transaction } from 'kysely';
import type { PedidosTables } from './schema.js';
import type { ItemRow, PedidoRow, StepFields } from './store.js';

/**
 * The orchestrator's reads and writes of one order, inside the transaction that also records the
 * event as processed and enqueues the next commands.
 */
export function createSagaStore(engine: Engine) {
  return {
    /**
     * The order and its lines. On PostgreSQL the row is locked (`FOR UPDATE`) until the
     * transaction ends, so two events of one order are applied one after the other; SQLite runs
     * one write transaction at a time anyway.
     */
    async load(
      trx: Transaction<PedidosTables>,
      id: number,
    ): Promise<{ readonly row: PedidoRow; readonly itens: ItemRow[] } | undefined> {
      const query = trx.selectFrom('pedidos').selectAll().where('id', '=', id);
      const row = await (engine === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
      if (row === undefined) return undefined;
      const itens = await trx
        .selectFrom('itens_pedido')
        .select(['produto_id', 'quantidade', 'preco_unitario_centavos'])
        .where('pedido_id', '=', id)
        .orderBy('id')
        .execute();
      return { row, itens };
    },

    /**
     * Writes the decision's status (guarded by the status it was decided from) and fields; false
     * when the order was no longer in `from` (nothing written).
     */
    async change(
      trx: Transaction<PedidosTables>,
      id: number,
      from: string,
      to: string | undefined,
      fields: StepFields,
      at: string,
    ): Promise<boolean> {
      const result = await trx
        .updateTable('pedidos')
        .set({ ...fields, ...(to === undefined ? {} : { status: to }), atualizado_em: at })
        .where('id', '=', id)
        .where('status', '=', from)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type SagaStore = ReturnType<typeof createSagaStore>;
