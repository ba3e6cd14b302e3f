import type { Dataset } from '@dslab/checkout-datagen';
import { insertInChunks, reaisFromSeed, syncIdSequence } from '@dslab/checkout-kit';
import type { Engine } from '@dslab/db';
import type { Transaction } from 'kysely';
import { isPedidoStatus } from '../domain/status.js';
import type { PedidosTables } from './schema.js';

/**
 * pedidos' part of the seed's ecommerce.db: customers, orders and their lines, with the seed's
 * ids. Imported orders are history (origem 'importado'): the orchestrator never drives them.
 * Their payment method, invoice number and tracking code come from the seed's rows of the order.
 */
export async function importPedidosSeed(
  trx: Transaction<PedidosTables>,
  engine: Engine,
  dataset: Dataset,
): Promise<number> {
  const metodos = new Map(dataset.pagamentos.map((p) => [p.pedido_id, p.metodo]));
  const notas = new Map(dataset.notas_fiscais.map((n) => [n.pedido_id, n]));
  const envios = new Map(dataset.envios.map((e) => [e.pedido_id, e]));
  await insertInChunks(
    trx,
    'clientes',
    dataset.clientes.map(({ id, nome, email }) => ({ id, nome, email })),
  );
  await insertInChunks(
    trx,
    'pedidos',
    dataset.pedidos.map((p) => {
      const metodo = metodos.get(p.id);
      const nota = notas.get(p.id);
      return {
        id: p.id,
        cliente_id: p.cliente_id,
        data_criacao: p.data_criacao,
        status: isPedidoStatus(p.status) ? p.status : 'pendente',
        valor_total_centavos: p.valor_total === null ? 0 : reaisFromSeed(p.valor_total),
        metodo_pagamento: metodo === undefined || metodo === null ? 'cartao_credito' : metodo,
        motivo: null,
        nota_fiscal_id: nota?.id ?? null,
        numero_nota_fiscal: nota?.numero ?? null,
        codigo_rastreamento: envios.get(p.id)?.codigo_rastreamento ?? null,
        atualizado_em: p.data_criacao,
        idempotency_key: null,
        fingerprint: '',
        em_execucao_ate: 0,
        compensacao: null,
        tentativas: 0,
        origem: 'importado' as const,
      };
    }),
  );
  await insertInChunks(
    trx,
    'itens_pedido',
    dataset.itens_pedido.map((i) => ({
      id: i.id,
      pedido_id: i.pedido_id,
      produto_id: i.produto_id,
      quantidade: i.quantidade,
      preco_unitario_centavos: reaisFromSeed(i.preco_unitario),
    })),
  );
  for (const table of ['clientes', 'pedidos', 'itens_pedido']) await syncIdSequence(trx, engine, table);
  return dataset.clientes.length + dataset.pedidos.length + dataset.itens_pedido.length;
}
