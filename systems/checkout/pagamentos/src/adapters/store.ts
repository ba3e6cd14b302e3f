import { recordOperation, type Operacao } from '@dslab/checkout-kit';
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { PagamentosTable, PagamentosTables } from './schema.js';

export type PagamentoRow = Selectable<PagamentosTable>;
export type NewPagamento = Insertable<PagamentosTable>;

/**
 * The payments' queries. Every write is one transaction holding the change and its operation
 * row, and each is conditional (insert only when the order has no payment yet, refund only an
 * approved one), so concurrent requests cannot both act: the loser sees nothing changed and
 * re-reads.
 */
export function createPagamentosStore(db: Kysely<PagamentosTables>) {
  return {
    db,

    async findByPedido(pedidoId: number): Promise<PagamentoRow | undefined> {
      return db.selectFrom('pagamentos').selectAll().where('pedido_id', '=', pedidoId).executeTakeFirst();
    },

    async findByKey(key: string): Promise<PagamentoRow | undefined> {
      return db.selectFrom('pagamentos').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
    },

    /**
     * Inserts the order's payment (a decided charge or a void) with its operation, unless the
     * order already has one: answers the new row, or undefined when the order had a payment
     * (nothing written). A key held by another order raises the unique violation.
     */
    async insertIfAbsent(row: NewPagamento, operation: Operacao): Promise<PagamentoRow | undefined> {
      return db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('pagamentos')
          .values(row)
          .onConflict((oc) => oc.column('pedido_id').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (inserted === undefined) return undefined;
        await recordOperation(trx, operation);
        return inserted;
      });
    },

    /**
     * aprovado → estornado with its operation, in one transaction: answers the refunded row, or
     * undefined when the payment was not approved any more (a racing refund won; nothing written).
     */
    async refundApproved(
      pedidoId: number,
      fields: { readonly estornado_em: string; readonly motivo_estorno: string; readonly mensagem: string },
      operation: Operacao,
    ): Promise<PagamentoRow | undefined> {
      return db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable('pagamentos')
          .set({ status: 'estornado', ...fields })
          .where('pedido_id', '=', pedidoId)
          .where('status', '=', 'aprovado')
          .returningAll()
          .executeTakeFirst();
        if (updated === undefined) return undefined;
        await recordOperation(trx, operation);
        return updated;
      });
    },
  };
}

export type PagamentosStore = ReturnType<typeof createPagamentosStore>;
