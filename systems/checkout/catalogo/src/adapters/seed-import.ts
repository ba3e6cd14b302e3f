import type { Dataset } from '@dslab/checkout-datagen';
import { reaisFromSeed, syncIdSequence } from '@dslab/checkout-kit';
import type { Engine } from '@dslab/db';
import type { Transaction } from 'kysely';
import type { CatalogoTables } from './schema.js';

const CHUNK = 500;

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
  for (let i = 0; i < dataset.produtos.length; i += CHUNK) {
    const chunk = dataset.produtos.slice(i, i + CHUNK);
    await trx
      .insertInto('produtos')
      .values(chunk.map((p) => ({ id: p.id, nome: p.nome, preco_centavos: reaisFromSeed(p.preco) })))
      .execute();
  }
  await syncIdSequence(trx, engine, 'produtos');
  return dataset.produtos.length;
}
