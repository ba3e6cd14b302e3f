import { recordOperation, type Operacao } from '@dslab/checkout-kit';
import type { Kysely, Selectable, Transaction, Updateable } from 'kysely';
import { CHAIN_DONE } from '../domain/status.js';
import type { PedidosTable, PedidosTables } from './schema.js';

export type PedidoRow = Selectable<PedidosTable>;
export interface ItemRow {
  readonly produto_id: number;
  readonly quantidade: number;
  readonly preco_unitario_centavos: number;
}

export interface NewPedido {
  readonly cliente_id: number;
  readonly data_criacao: string;
  readonly valor_total_centavos: number;
  readonly metodo_pagamento: string;
  readonly idempotency_key: string | null;
  readonly fingerprint: string;
  readonly em_execucao_ate: number;
  readonly itens: readonly ItemRow[];
}

/** One entry of an order's history (an `operacoes` row). */
export interface HistoricoRow {
  readonly operacao: string;
  readonly mensagem: string;
  readonly registrado_em: string;
}

/** Fields a step may set together with a status change. */
export type StepFields = Partial<
  Pick<
    PedidoRow,
    'motivo' | 'nota_fiscal_id' | 'numero_nota_fiscal' | 'codigo_rastreamento' | 'compensacao' | 'tentativas'
  >
>;

/** An order's lines, in the order they were placed (through `db` or inside a transaction). */
export async function itensOf(db: Kysely<PedidosTables>, id: number): Promise<ItemRow[]> {
  return db
    .selectFrom('itens_pedido')
    .select(['produto_id', 'quantidade', 'preco_unitario_centavos'])
    .where('pedido_id', '=', id)
    .orderBy('id')
    .execute();
}

/**
 * Writes `values` on order `id` if it is still in status `from` (the status is the guard against
 * a concurrent change); false, and nothing written, when it is not.
 */
export async function updateIfStatus(
  db: Kysely<PedidosTables>,
  id: number,
  from: string,
  values: Updateable<PedidosTable>,
): Promise<boolean> {
  const result = await db
    .updateTable('pedidos')
    .set(values)
    .where('id', '=', id)
    .where('status', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export function createPedidosStore(db: Kysely<PedidosTables>) {
  return {
    db,

    async clienteExists(id: number): Promise<boolean> {
      const row = await db.selectFrom('clientes').select('id').where('id', '=', id).executeTakeFirst();
      return row !== undefined;
    },

    async findById(id: number): Promise<PedidoRow | undefined> {
      return db.selectFrom('pedidos').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async findByKey(key: string): Promise<PedidoRow | undefined> {
      return db.selectFrom('pedidos').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
    },

    async itensOf(id: number): Promise<ItemRow[]> {
      return itensOf(db, id);
    },

    /**
     * Inserts the order, its lines and the operation in one transaction; the caller holds the run.
     * `inTransaction` runs last inside the same transaction (the asynchronous checkout enqueues
     * PEDIDO_CRIADO there, so the order and its first message commit together).
     */
    async insert(
      pedido: NewPedido,
      operation: (id: number) => Operacao,
      inTransaction?: (trx: Transaction<PedidosTables>, id: number) => Promise<void>,
    ): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const { itens, ...fields } = pedido;
        const inserted = await trx
          .insertInto('pedidos')
          .values({
            ...fields,
            status: 'pendente',
            motivo: null,
            nota_fiscal_id: null,
            numero_nota_fiscal: null,
            codigo_rastreamento: null,
            atualizado_em: pedido.data_criacao,
            compensacao: null,
            tentativas: 0,
            origem: 'checkout',
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const id = inserted.id;
        await trx
          .insertInto('itens_pedido')
          .values(itens.map((item) => ({ pedido_id: id, ...item })))
          .execute();
        await recordOperation(trx, operation(id));
        await inTransaction?.(trx, id);
        return id;
      });
    },

    /** The order's history: its operations, oldest first. */
    async historicoOf(id: number): Promise<HistoricoRow[]> {
      return db
        .selectFrom('operacoes')
        .select(['operacao', 'mensagem', 'registrado_em'])
        .where('pedido_id', '=', id)
        .orderBy('id')
        .execute();
    },

    /** A page of one customer's orders, newest first, and how many they have in all. */
    async listByCliente(
      clienteId: number,
      limit: number,
      offset: number,
    ): Promise<{ readonly rows: PedidoRow[]; readonly total: number }> {
      const rows = await db
        .selectFrom('pedidos')
        .selectAll()
        .where('cliente_id', '=', clienteId)
        .orderBy('id', 'desc')
        .limit(limit)
        .offset(offset)
        .execute();
      const counted = await db
        .selectFrom('pedidos')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('total'))
        .where('cliente_id', '=', clienteId)
        .executeTakeFirstOrThrow();
      return { rows, total: Number(counted.total) };
    },

    /** The lines of several orders at once, by order. */
    async itensOfMany(ids: readonly number[]): Promise<Map<number, ItemRow[]>> {
      const byPedido = new Map<number, ItemRow[]>(ids.map((id) => [id, []]));
      if (ids.length === 0) return byPedido;
      const rows = await db
        .selectFrom('itens_pedido')
        .select(['pedido_id', 'produto_id', 'quantidade', 'preco_unitario_centavos'])
        .where('pedido_id', 'in', ids)
        .orderBy('id')
        .execute();
      for (const { pedido_id, ...item } of rows) byPedido.get(pedido_id)?.push(item);
      return byPedido;
    },

    /**
     * Takes the run of an order (a request resuming it, or the recovery loop) when nobody holds
     * it: the conditional UPDATE is the lock, so two runners never drive one order at once.
     */
    async claim(id: number, nowMs: number, untilMs: number): Promise<boolean> {
      const result = await db
        .updateTable('pedidos')
        .set({ em_execucao_ate: untilMs })
        .where('id', '=', id)
        .where('em_execucao_ate', '<=', nowMs)
        .where('origem', '=', 'checkout')
        .where('status', 'not in', CHAIN_DONE)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Ends a run; the order may be picked up again by the recovery loop from `retryAtMs`. */
    async release(id: number, retryAtMs: number, fields: StepFields = {}): Promise<void> {
      await db
        .updateTable('pedidos')
        .set({ em_execucao_ate: retryAtMs, ...fields })
        .where('id', '=', id)
        .execute();
    },

    /**
     * Moves the order from `from` to `to` with the step's fields and its operation row, in one
     * transaction; false (and nothing written) when the order is no longer in `from`.
     */
    async transition(
      id: number,
      from: string,
      to: string,
      at: string,
      fields: StepFields,
      operation: Operacao,
    ): Promise<boolean> {
      return db.transaction().execute(async (trx: Transaction<PedidosTables>) => {
        if (
          !(await updateIfStatus(trx, id, from, { status: to, atualizado_em: at, tentativas: 0, ...fields }))
        )
          return false;
        await recordOperation(trx, operation);
        return true;
      });
    },

    /** Writes fields without a status change, with the operation row (e.g. a compensation owed). */
    async note(id: number, fields: StepFields, operation: Operacao): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('pedidos')
          .set({ ...fields, atualizado_em: operation.at })
          .where('id', '=', id)
          .execute();
        await recordOperation(trx, operation);
      });
    },

    /** Orders placed here that are not final and that nobody drives: the recovery loop's work. */
    async findStalled(nowMs: number, limit: number): Promise<number[]> {
      const rows = await db
        .selectFrom('pedidos')
        .select('id')
        .where('origem', '=', 'checkout')
        .where('status', 'not in', CHAIN_DONE)
        .where('em_execucao_ate', '<=', nowMs)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },
  };
}

export type PedidosStore = ReturnType<typeof createPedidosStore>;
