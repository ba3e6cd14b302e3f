import { idColumn } from '@dslab/checkout-kit';
import type { Engine } from '@dslab/db';
import { sql, type Migration } from 'kysely';

/**
 * Invoices and their number series, with the invariants as constraints: one invoice per order
 * (UNIQUE pedido_id), unique numbers (UNIQUE numero, UNIQUE (serie, nnf)), no negative totals or
 * counters. Money is bigint centavos (PostgreSQL's `integer` would stop at R$ 21 million; SQLite's
 * INTEGER is 64-bit either way).
 */
export function fiscalMigrations(engine: Engine): Record<string, Migration> {
  return {
    '0001_notas_fiscais': {
      async up(db) {
        await idColumn(db, engine, 'notas_fiscais')
          .addColumn('pedido_id', 'bigint', (c) => c.notNull().unique())
          .addColumn('numero', 'text', (c) => c.notNull().unique())
          .addColumn('data_emissao', 'text', (c) => c.notNull())
          .addColumn('chave_acesso', 'text')
          .addColumn('valor_centavos', 'bigint', (c) => c.notNull().check(sql`valor_centavos >= 0`))
          .addColumn('serie', 'integer')
          .addColumn('nnf', 'integer')
          .addColumn('itens', 'text')
          .addUniqueConstraint('notas_fiscais_serie_nnf', ['serie', 'nnf'])
          .execute();
        await db.schema
          .createTable('series')
          .addColumn('serie', 'integer', (c) => c.primaryKey())
          .addColumn('ultimo_nnf', 'integer', (c) => c.notNull().check(sql`ultimo_nnf >= 0`))
          .execute();
      },
    },
  };
}
