import type { Executor } from '@dslab/checkout-kit';
import type { ItemEstoque, LinhaReserva } from '../domain/reserva.js';
import type { EstoqueTables, ReservaStatus } from './schema.js';

type Db = Executor<EstoqueTables>;

export interface ReservaRow {
  readonly pedido_id: number;
  readonly status: ReservaStatus;
  readonly motivo: string | null;
  /** Ascending produto_id. */
  readonly linhas: readonly LinhaReserva[];
}

/**
 * estoque's queries. Each function runs on the executor it is given (the database or the
 * caller's transaction): the application layer decides what goes into one transaction.
 */
export const estoqueStore = {
  /**
   * Claims the order's reservation row: true when this call created it, false when the order
   * already has one (then nothing was written). The primary key makes this the point where two
   * racing calls for one order are ordered: the second waits for the first to commit or roll back.
   */
  async claimReserva(
    db: Db,
    row: { pedido_id: number; status: ReservaStatus; motivo: string | null; at: string },
  ): Promise<boolean> {
    const result = await db
      .insertInto('reservas')
      .values({
        pedido_id: row.pedido_id,
        status: row.status,
        motivo: row.motivo,
        criado_em: row.at,
        atualizado_em: row.at,
      })
      .onConflict((oc) => oc.column('pedido_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  },

  async findReserva(db: Db, pedidoId: number): Promise<ReservaRow | undefined> {
    const reserva = await db
      .selectFrom('reservas')
      .select(['pedido_id', 'status', 'motivo'])
      .where('pedido_id', '=', pedidoId)
      .executeTakeFirst();
    if (reserva === undefined) return undefined;
    const linhas = await db
      .selectFrom('reserva_itens')
      .select(['produto_id', 'reservado', 'liberado'])
      .where('pedido_id', '=', pedidoId)
      .orderBy('produto_id')
      .execute();
    return { ...reserva, linhas };
  },

  /**
   * Takes `quantidade` units of one product if that many are on hand; false (nothing changed)
   * otherwise or when the product is unknown. The condition and the write are one statement,
   * so two reservations can never both take the last unit.
   */
  async take(db: Db, item: ItemEstoque, at: string): Promise<boolean> {
    const result = await db
      .updateTable('estoque')
      .set((eb) => ({ quantidade: eb('quantidade', '-', item.quantidade), atualizado_em: at }))
      .where('produto_id', '=', item.produto_id)
      .where('quantidade', '>=', item.quantidade)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** Puts units back. */
  async giveBack(db: Db, item: ItemEstoque, at: string): Promise<void> {
    await db
      .updateTable('estoque')
      .set((eb) => ({ quantidade: eb('quantidade', '+', item.quantidade), atualizado_em: at }))
      .where('produto_id', '=', item.produto_id)
      .execute();
  },

  async insertLinhas(db: Db, pedidoId: number, itens: readonly ItemEstoque[]): Promise<void> {
    if (itens.length === 0) return;
    await db
      .insertInto('reserva_itens')
      .values(
        itens.map((i) => ({
          pedido_id: pedidoId,
          produto_id: i.produto_id,
          reservado: i.quantidade,
          liberado: 0,
        })),
      )
      .execute();
  },

  /**
   * Moves a `separado` reservation to `liberado`; false when it is not `separado` any more
   * (released before, by this call's racing twin or an earlier one). The conditional update is
   * the lock that makes one release, and only one, give the units back.
   */
  async markReleased(db: Db, pedidoId: number, motivo: string | null, at: string): Promise<boolean> {
    const result = await db
      .updateTable('reservas')
      .set({ status: 'liberado', motivo, atualizado_em: at })
      .where('pedido_id', '=', pedidoId)
      .where('status', '=', 'separado')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  async setLiberado(db: Db, pedidoId: number, produtoId: number, liberado: number): Promise<void> {
    await db
      .updateTable('reserva_itens')
      .set({ liberado })
      .where('pedido_id', '=', pedidoId)
      .where('produto_id', '=', produtoId)
      .execute();
  },

  /** Units on hand of the given products (all when `ids` is empty), ascending; unknown ids are absent. */
  async saldos(db: Db, ids: readonly number[]): Promise<{ produto_id: number; quantidade: number }[]> {
    let query = db.selectFrom('estoque').select(['produto_id', 'quantidade']).orderBy('produto_id');
    if (ids.length > 0) query = query.where('produto_id', 'in', ids);
    return query.execute();
  },
};

export type EstoqueStore = typeof estoqueStore;
