import { idColumn } from '@dslab/checkout-kit';
import type { Engine } from '@dslab/db';
import { sql, type Migration } from 'kysely';
import { ENVIO_STATUSES } from '../domain/envio.js';

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/**
 * Dispatches, with the invariants as constraints: one per order (UNIQUE pedido_id), one per
 * invoice (UNIQUE nota_fiscal_id), no tracking code twice (UNIQUE codigo_rastreamento; NULLs,
 * which only imported rows may have, do not collide), and only the seed's statuses.
 */
export function logisticaMigrations(engine: Engine): Record<string, Migration> {
  return {
    '0001_envios': {
      async up(db) {
        await idColumn(db, engine, 'envios')
          .addColumn('pedido_id', 'bigint', (c) => c.notNull().unique())
          .addColumn('nota_fiscal_id', 'bigint', (c) => c.notNull().unique())
          .addColumn('data_despacho', 'text')
          .addColumn('codigo_rastreamento', 'text', (c) => c.unique())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN (${inList(ENVIO_STATUSES)})`))
          .addColumn('numero_nota_fiscal', 'text')
          .execute();
      },
    },
  };
}
