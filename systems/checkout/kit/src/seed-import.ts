import type { Dataset } from '@dslab/checkout-datagen';
import type { InsertObject } from 'kysely';
import type { Executor } from './database.js';
import { reaisFromSeed } from './seed.js';

/**
 * What the services' first-start imports (src/adapters/seed-import.ts) share besides importOnce,
 * reaisFromSeed and syncIdSequence: chunked inserts and the seed's order totals.
 */

/**
 * Rows per INSERT of an import: a statement binds a parameter per column and row, and a large seed
 * in one statement would pass SQLite's and PostgreSQL's limits on bound parameters.
 */
export const IMPORT_CHUNK_ROWS = 500;

/** Inserts `rows` into `table`, in statements of at most IMPORT_CHUNK_ROWS rows, in order. */
export async function insertInChunks<DB, TB extends keyof DB & string>(
  db: Executor<DB>,
  table: TB,
  rows: readonly InsertObject<DB, TB>[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += IMPORT_CHUNK_ROWS)
    await db
      .insertInto(table)
      .values(rows.slice(i, i + IMPORT_CHUNK_ROWS))
      .execute();
}

/**
 * The total of each of the seed's orders in centavos, by pedido id: its `valor_total` (REAL reais)
 * through reaisFromSeed, or 0 when the seed has no total or no such order. Converted when asked,
 * so only the orders an import refers to are converted.
 */
export function seedOrderTotals(dataset: Dataset): (pedidoId: number) => number {
  const reais = new Map(dataset.pedidos.map((p) => [p.id, p.valor_total]));
  return (pedidoId) => {
    const total = reais.get(pedidoId);
    return total === undefined || total === null ? 0 : reaisFromSeed(total);
  };
}
