import type { Engine } from '@dslab/db';
import { sql, type Migration } from 'kysely';

/**
 * estoque's tables, with the stock invariants as constraints: stock never negative, a
 * reservation per order (PRIMARY KEY pedido_id: two racing calls for one order cannot both
 * reserve), positive reserved quantities and 0 ≤ liberado ≤ reservado (stock can never come back
 * more than was taken for an order). The same DDL runs on both engines (`engine` is kept for
 * symmetry with the other services).
 */
export function estoqueMigrations(_engine: Engine): Record<string, Migration> {
  return {
    '0001_estoque': {
      async up(db) {
        await db.schema
          .createTable('estoque')
          .addColumn('produto_id', 'integer', (c) => c.primaryKey())
          .addColumn('quantidade', 'integer', (c) => c.notNull().check(sql`quantidade >= 0`))
          .addColumn('atualizado_em', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('reservas')
          .addColumn('pedido_id', 'integer', (c) => c.primaryKey())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('separado', 'liberado')`))
          .addColumn('motivo', 'text')
          .addColumn('criado_em', 'text', (c) => c.notNull())
          .addColumn('atualizado_em', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('reserva_itens')
          .addColumn('pedido_id', 'integer', (c) => c.notNull().references('reservas.pedido_id'))
          .addColumn('produto_id', 'integer', (c) => c.notNull())
          .addColumn('reservado', 'integer', (c) => c.notNull().check(sql`reservado > 0`))
          .addColumn('liberado', 'integer', (c) =>
            c
              .notNull()
              .defaultTo(0)
              .check(sql`liberado >= 0 AND liberado <= reservado`),
          )
          .addPrimaryKeyConstraint('reserva_itens_pk', ['pedido_id', 'produto_id'])
          .execute();
      },
    },
  };
}
