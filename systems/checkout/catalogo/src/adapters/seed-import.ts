import type { Dataset } from '@dslab/checkout-datagen';
import { insertInChunks, reaisFromSeed, syncIdSequence } from '@dslab/checkout-kit';
import type { Engine } from '@dslab/db';
import type { Transaction } from 'kysely';
import type { CatalogoTables } from './schema.js';

/**
 * The catalogue's part of the seed's ecommerce.db: every product with its id, name and price
 * (REAL reais → integer centavos with the kit's reaisFromSeed, the conversion every importer
 * shares). The stock column stays with estoque. Runs inside importOnce's transaction.
 */
export async function importCatalogoSeed(
  trx: Transaction<CatalogoTables>,
  engine: Engine,
  dataset: Dataset,
): Promise<number> {
  await insertInChunks(
    trx,
    'produtos',
    dataset.produtos.map((p) => ({ id: p.id, nome: p.nome, preco_centavos: reaisFromSeed(p.preco) })),
  );
  await syncIdSequence(trx, engine, 'produtos');
  return dataset.produtos.length;
}
