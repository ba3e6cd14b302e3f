import type { Dataset } from '@dslab/checkout-datagen';
import { insertInChunks, seedOrderTotals, syncIdSequence } from '@dslab/checkout-kit';
import type { Engine } from '@dslab/db';
import type { Transaction } from 'kysely';
import { MAX_NUMERO_NF } from '../domain/chave-acesso.js';
import { parseNumeroNf } from '../domain/numero.js';
import type { FiscalTables } from './schema.js';
import { ensureSerie } from './store.js';

/**
 * fiscal's part of the seed's ecommerce.db: its notas_fiscais rows as they are (ids, numbers,
 * dates and the generator's 39-digit fake keys), each with its order's total converted to
 * centavos (0 when the seed has none). serie, nnf and itens stay NULL: the seed's numbers belong
 * to no série of ours.
 *
 * The série new invoices are numbered on then starts after the largest nNF found in the imported
 * numbers, so `NF<nNF>-…` never repeats an imported nNF (moved up only: an import into a
 * database that already issued past it keeps the higher number). Returns the rows imported.
 */
export async function importFiscalSeed(
  trx: Transaction<FiscalTables>,
  engine: Engine,
  dataset: Dataset,
  serie: number,
): Promise<number> {
  const totalOf = seedOrderTotals(dataset);
  const rows = dataset.notas_fiscais.map((n) => ({
    id: n.id,
    pedido_id: n.pedido_id,
    numero: n.numero,
    data_emissao: n.data_emissao,
    chave_acesso: n.chave_acesso,
    valor_centavos: totalOf(n.pedido_id),
    serie: null,
    nnf: null,
    itens: null,
  }));
  await insertInChunks(trx, 'notas_fiscais', rows);
  await syncIdSequence(trx, engine, 'notas_fiscais');

  let largest = 0;
  for (const n of dataset.notas_fiscais) largest = Math.max(largest, parseNumeroNf(n.numero)?.nNF ?? 0);
  await ensureSerie(trx, engine, serie, Math.min(largest, MAX_NUMERO_NF));
  return rows.length;
}
