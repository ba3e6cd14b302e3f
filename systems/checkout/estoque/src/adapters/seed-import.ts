import type { Dataset } from '@dslab/checkout-datagen';
import { insertInChunks } from '@dslab/checkout-kit';
import type { Engine } from '@dslab/db';
import type { Transaction } from 'kysely';
import type { EstoqueTables } from './schema.js';

/**
 * estoque's part of the seed's ecommerce.db: one `estoque` row per `produtos` row, with the
 * seed's product id and `quantidade_estoque` as the units on hand. Runs inside importOnce's
 * transaction; answers the number of rows written. `produto_id` is not generated, so there is no
 * sequence to move afterwards (`engine` is kept for the importers' common signature).
 */
export async function importEstoqueSeed(
  trx: Transaction<EstoqueTables>,
  _engine: Engine,
  dataset: Dataset,
  at: string,
): Promise<number> {
  await insertInChunks(
    trx,
    'estoque',
    dataset.produtos.map((p) => ({ produto_id: p.id, quantidade: p.quantidade_estoque, atualizado_em: at })),
  );
  return dataset.produtos.length;
}
