import type { Engine } from '@dslab/db';
import { sql, type Transaction } from 'kysely';
import { parseCompensacao, type SagaState } from '../domain/saga.js';
import { CHAIN_DONE, isPedidoStatus } from '../domain/status.js';
import type { PedidosTables } from './schema.js';
import { itensOf, updateIfStatus, type ItemRow, type PedidoRow, type StepFields } from './store.js';

/** The orchestrator's name in the inbox (`mensagens_processadas.consumidor`). */
export const ORCHESTRATOR_CONSUMER = 'pedidos';

/** The order as the saga reads it, or why the stored row cannot be one (a bug or a manual edit). */
export function sagaStateOf(
  row: PedidoRow,
  itens: readonly ItemRow[],
): SagaState | { readonly invalid: string } {
  const compensacao = parseCompensacao(row.compensacao);
  if (compensacao !== null && 'invalid' in compensacao)
    return { invalid: `pedido ${row.id}: ${compensacao.invalid}` };
  if (!isPedidoStatus(row.status)) return { invalid: `pedido ${row.id}: unknown status ${row.status}` };
  return {
    id: row.id,
    status: row.status,
    compensacao,
    valor_total_centavos: row.valor_total_centavos,
    metodo_pagamento: row.metodo_pagamento as SagaState['metodo_pagamento'],
    itens,
    nota_fiscal_id: row.nota_fiscal_id,
    numero_nota_fiscal: row.numero_nota_fiscal,
  };
}

/** Which stalled orders the redrive looks at (see createSagaStore().nextStalled). */
export interface StalledQuery {
  /** Only orders with a greater id (the sweep's cursor). */
  readonly afterId: number;
  /**
   * `cutoffs[k]`: an order redriven k times (k ≥ the last index: that many or more) is stalled
   * when its `atualizado_em` is before `cutoffs[k]` (UTC ISO-8601, compared as text).
   */
  readonly cutoffs: readonly string[];
  /** Orders with more `tentativas` than this are left to an operator and never looked at. */
  readonly maxTentativas: number;
}

/**
 * The orchestrator's reads and writes of one order, inside the transaction that also records the
 * event as processed and enqueues the next commands; and the redrive's (application/redrive.ts).
 */
export function createSagaStore(engine: Engine) {
  return {
    itensOf,

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
      return { row, itens: await itensOf(trx, id) };
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
      return updateIfStatus(trx, id, from, {
        ...fields,
        ...(to === undefined ? {} : { status: to }),
        atualizado_em: at,
      });
    },

    /**
     * The next stalled order after `afterId` (lowest id first): placed here, not final, not left
     * to an operator, untouched since its cutoff. On PostgreSQL the row is locked `FOR UPDATE SKIP
     * LOCKED`: an order another sweeper (or the orchestrator applying an event) holds is passed
     * over, so several processes sweep at once without sending one command twice.
     */
    async nextStalled(trx: Transaction<PedidosTables>, query: StalledQuery): Promise<PedidoRow | undefined> {
      const last = query.cutoffs.length - 1;
      // Literals, not parameters: so the planner can use the partial index pedidos_em_andamento.
      const select = trx
        .selectFrom('pedidos')
        .selectAll()
        .where('origem', '=', sql.lit('checkout'))
        .where(
          'status',
          'not in',
          CHAIN_DONE.map((status) => sql.lit(status)),
        )
        .where('id', '>', query.afterId)
        .where('tentativas', '<=', query.maxTentativas)
        .where((eb) =>
          eb.or(
            query.cutoffs.map((cutoff, k) =>
              eb.and([eb('tentativas', k === last ? '>=' : '=', k), eb('atualizado_em', '<', cutoff)]),
            ),
          ),
        )
        .orderBy('id')
        .limit(1);
      return (engine === 'postgres' ? select.forUpdate().skipLocked() : select).executeTakeFirst();
    },

    /** The trace id the order was placed with (its first history row that has one). */
    async traceIdOf(trx: Transaction<PedidosTables>, id: number): Promise<string | undefined> {
      const row = await trx
        .selectFrom('operacoes')
        .select('trace_id')
        .where('pedido_id', '=', id)
        .where('trace_id', 'is not', null)
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      return row?.trace_id ?? undefined;
    },

    /**
     * True when a message of the order (`pedidos:<id>:…`) still waits in pedidos' outbox: it is not
     * lost, the relay publishes it once the broker takes it.
     */
    async outboxHolds(trx: Transaction<PedidosTables>, id: number): Promise<boolean> {
      const row = await trx
        .selectFrom('outbox')
        .select('id')
        .where('mensagem_id', 'like', `pedidos:${id}:%`)
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },

    /**
     * Records a redrive (or that the redrive gave up) on the order as it was read: guarded by its
     * status, `tentativas` and `atualizado_em`, so a sweeper that lost a race with another one (or
     * with an event) writes nothing and answers false.
     */
    async markRedrive(
      trx: Transaction<PedidosTables>,
      row: Pick<PedidoRow, 'id' | 'status' | 'tentativas' | 'atualizado_em'>,
      fields: { readonly tentativas: number; readonly atualizado_em?: string },
    ): Promise<boolean> {
      const result = await trx
        .updateTable('pedidos')
        .set(fields)
        .where('id', '=', row.id)
        .where('status', '=', row.status)
        .where('tentativas', '=', row.tentativas)
        .where('atualizado_em', '=', row.atualizado_em)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type SagaStore = ReturnType<typeof createSagaStore>;
