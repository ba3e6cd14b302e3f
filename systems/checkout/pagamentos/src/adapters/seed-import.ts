import type { Dataset } from '@dslab/checkout-datagen';
import { insertInChunks, recordOperation, seedOrderTotals, syncIdSequence } from '@dslab/checkout-kit';
import type { Engine } from '@dslab/db';
import type { Transaction } from 'kysely';
import { canonicalJson } from '../domain/idempotency.js';
import type { PagamentosTables } from './schema.js';
import type { NewPagamento } from './store.js';

/** The stored message of an imported payment. */
export const MENSAGEM_IMPORTADO = 'importado do ecommerce.db';

/**
 * pagamentos' part of the seed's ecommerce.db: its payments with their ids, the amount taken
 * from the order's `valor_total` (REAL reais → centavos; 0 when the seed has none). Only decided
 * payments (aprovado, rejeitado) are imported: a seed row in any other status (the seed's
 * schema mentions 'pendente') was never charged, so a later charge may decide it. A payment
 * without a method is taken as cartao_credito (the seed's default, as pedidos reads it).
 * Imported rows get the fingerprint of their values, so a charge retried with the same values
 * replays them. Answers the number of imported rows; records one operation for the import.
 */
export async function importPagamentosSeed(
  trx: Transaction<PagamentosTables>,
  engine: Engine,
  dataset: Dataset,
  at: string,
): Promise<number> {
  const totalOf = seedOrderTotals(dataset);
  const rows: NewPagamento[] = dataset.pagamentos
    .filter((p) => p.status === 'aprovado' || p.status === 'rejeitado')
    .map((p) => {
      const valor_centavos = totalOf(p.pedido_id);
      const metodo = p.metodo ?? 'cartao_credito';
      return {
        id: p.id,
        pedido_id: p.pedido_id,
        data_processamento: p.data_processamento,
        status: p.status,
        metodo,
        valor_centavos,
        mensagem: MENSAGEM_IMPORTADO,
        idempotency_key: null,
        fingerprint: canonicalJson({ pedido_id: p.pedido_id, valor_centavos, metodo }),
        latencia_ms: null,
        pronto_em: p.data_processamento,
        anulado: 0,
        estornado_em: null,
        motivo_estorno: null,
      };
    });
  await insertInChunks(trx, 'pagamentos', rows);
  await syncIdSequence(trx, engine, 'pagamentos');
  await recordOperation(trx, {
    operacao: 'pagamentos_importados',
    mensagem: `Pagamentos importados do ecommerce.db: ${rows.length} linhas`,
    detalhes: { linhas: rows.length, ignorados: dataset.pagamentos.length - rows.length },
    at,
  });
  return rows.length;
}
