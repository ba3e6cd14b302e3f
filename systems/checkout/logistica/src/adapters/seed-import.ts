import type { Dataset } from '@dslab/checkout-datagen';
import { insertInChunks, syncIdSequence } from '@dslab/checkout-kit';
import type { Engine } from '@dslab/db';
import type { Transaction } from 'kysely';
import { isEnvioStatus } from '../domain/envio.js';
import { generateCodigoRastreamento, isCodigoRastreamento } from '../domain/rastreamento.js';
import type { LogisticaTables } from './schema.js';

/**
 * logistica's part of the seed's ecommerce.db: its envios rows as they are (ids, orders,
 * invoices, dates, codes, statuses), each with the number of its invoice from the seed's
 * notas_fiscais. Two departures, both forced by constraints the seed's file does not have:
 * - a tracking code already taken by an earlier row (the seed draws codes at random, so a large
 *   file repeats some) is replaced by a fresh one from `random`, so UNIQUE (codigo_rastreamento)
 *   holds; the pedidos service's copy of that order's code then differs;
 * - a status outside the seed's three becomes `aguardando_envio`.
 * Returns the rows imported.
 */
export async function importLogisticaSeed(
  trx: Transaction<LogisticaTables>,
  engine: Engine,
  dataset: Dataset,
  random: () => number,
): Promise<number> {
  const numeros = new Map(dataset.notas_fiscais.map((n) => [n.id, n.numero]));
  const taken = new Set(dataset.envios.map((e) => e.codigo_rastreamento).filter(isCodigoRastreamento));
  const used = new Set<string>();
  const rows = dataset.envios.map((e) => {
    let codigo = e.codigo_rastreamento;
    if (codigo !== null && used.has(codigo)) {
      do codigo = generateCodigoRastreamento(random);
      while (taken.has(codigo) || used.has(codigo));
    }
    if (codigo !== null) used.add(codigo);
    return {
      id: e.id,
      pedido_id: e.pedido_id,
      nota_fiscal_id: e.nota_fiscal_id,
      data_despacho: e.data_despacho,
      codigo_rastreamento: codigo,
      status: isEnvioStatus(e.status) ? e.status : ('aguardando_envio' as const),
      numero_nota_fiscal: numeros.get(e.nota_fiscal_id) ?? null,
    };
  });
  await insertInChunks(trx, 'envios', rows);
  await syncIdSequence(trx, engine, 'envios');
  return rows.length;
}
