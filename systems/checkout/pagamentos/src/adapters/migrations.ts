import { idColumn } from '@dslab/checkout-kit';
import type { Engine } from '@dslab/db';
import { sql, type Migration } from 'kysely';
import { METODOS_PAGAMENTO, PAGAMENTO_STATUSES } from '../domain/status.js';

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/**
 * The seed's `pagamentos` table (id, pedido_id, data_processamento, status, metodo) with the
 * amount in integer centavos and what makes a charge safe to retry: the decision stored with
 * the payment (latency, when the simulated processing ends), the request's fingerprint and
 * idempotency key, and the void that keeps a late charge from taking money after a cancel.
 * Invariants as constraints: one payment per order, one order per key, known statuses and
 * methods, money ≥ 0, a void is always a rejection, a refund has its time.
 */
export function pagamentosMigrations(engine: Engine): Record<string, Migration> {
  return {
    '0001_pagamentos': {
      async up(db) {
        await idColumn(db, engine, 'pagamentos')
          .addColumn('pedido_id', 'bigint', (c) => c.notNull().unique())
          .addColumn('data_processamento', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) =>
            c.notNull().check(sql`status IN (${inList(PAGAMENTO_STATUSES)})`),
          )
          .addColumn('metodo', 'text', (c) =>
            c.notNull().check(sql`metodo IN (${inList(METODOS_PAGAMENTO)})`),
          )
          .addColumn('valor_centavos', 'bigint', (c) => c.notNull().check(sql`valor_centavos >= 0`))
          .addColumn('mensagem', 'text', (c) => c.notNull())
          .addColumn('idempotency_key', 'text', (c) => c.unique())
          .addColumn('fingerprint', 'text')
          .addColumn('latencia_ms', 'integer', (c) => c.check(sql`latencia_ms >= 0`))
          .addColumn('pronto_em', 'text', (c) => c.notNull())
          .addColumn('anulado', 'integer', (c) =>
            c
              .notNull()
              .defaultTo(0)
              .check(sql`anulado IN (0, 1)`),
          )
          .addColumn('estornado_em', 'text')
          .addColumn('motivo_estorno', 'text')
          .addCheckConstraint('pagamentos_anulado_rejeitado', sql`anulado = 0 OR status = 'rejeitado'`)
          .addCheckConstraint(
            'pagamentos_estorno_datado',
            sql`status <> 'estornado' OR estornado_em IS NOT NULL`,
          )
          .execute();
      },
    },
  };
}
