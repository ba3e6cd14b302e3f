import { idColumn } from '@dslab/checkout-kit';
import type { Engine } from '@dslab/db';
import { sql, type Migration } from 'kysely';

/**
 * The catalogue's one table: names and prices (integer centavos, never negative). The stock of
 * each product is estoque's, read live when the catalogue is listed.
 */
export function catalogoMigrations(engine: Engine): Record<string, Migration> {
  return {
    '0001_produtos': {
      async up(db) {
        await idColumn(db, engine, 'produtos')
          .addColumn('nome', 'text', (c) => c.notNull())
          .addColumn('preco_centavos', 'bigint', (c) => c.notNull().check(sql`preco_centavos >= 0`))
          .execute();
      },
    },
  };
}
