import type {
  CatalogoPort,
  EnvioValue,
  EstoquePort,
  EstornoValue,
  FiscalPort,
  LogisticaPort,
  NotaFiscalValue,
  PagamentosPort,
  PagamentoValue,
  PedidosPort,
  PedidoValue,
  ProdutoInfoValue,
  ProdutoPrecoValue,
  SaldoValue,
  SeparacaoValue,
} from '@dslab/checkout-contracts';
import { AppError } from '@dslab/errors';
import { createServiceClient } from '@dslab/http-kit';
import { itemComPrecoToProto, itemToProto } from './codec.js';
import type { PortClient } from './types.js';

/**
 * The checkout ports over REST (docs/checkout.md, "REST resources"): one keep-alive undici Pool
 * per neighbour, the deadline as `X-Timeout-Ms`, the trace id as `traceparent`, problem+json
 * answers rebuilt as the same AppError (@dslab/http-kit's createServiceClient). The answers'
 * bodies are the port values themselves. Request bodies carry exactly the fields each route
 * accepts (the routes refuse unknown members).
 */

function idempotencyHeader(key: string | undefined): Record<string, string> {
  return key === undefined ? {} : { 'idempotency-key': key };
}

function segment(id: number): string {
  return encodeURIComponent(String(id));
}

export function createRestCatalogoClient(baseUrl: string): PortClient<CatalogoPort> {
  const target = 'catalogo';
  const http = createServiceClient({ baseUrl, target });
  return {
    async listarProdutos(query, ctx) {
      const { body, headers } = await http.request<ProdutoInfoValue[]>('GET', '/produtos', {
        query: { disponivel: query.disponivel, limit: query.limit, offset: query.offset },
        ctx,
      });
      const header = headers['x-total-count'];
      const total = Number(Array.isArray(header) ? header[0] : header);
      if (!Number.isSafeInteger(total) || total < 0) {
        throw new AppError('internal', `${target} answered GET /produtos without a valid X-Total-Count`);
      }
      return { produtos: body, total };
    },
    async obterProdutos(ids, ctx) {
      const { body } = await http.request<ProdutoPrecoValue[]>('POST', '/produtos/consulta', {
        body: { ids: [...ids] },
        ctx,
      });
      return body;
    },
    close: () => http.close(),
  };
}

export function createRestEstoqueClient(baseUrl: string): PortClient<EstoquePort> {
  const http = createServiceClient({ baseUrl, target: 'estoque' });
  return {
    async separar(req, ctx) {
      const { body } = await http.request<SeparacaoValue>('POST', '/estoque/separar', {
        body: { pedido_id: req.pedido_id, itens: req.itens.map(itemToProto) },
        ctx,
      });
      return body;
    },
    async liberar(req, ctx) {
      const { body } = await http.request<SeparacaoValue>('POST', '/estoque/liberar', {
        body: { pedido_id: req.pedido_id, motivo: req.motivo },
        ctx,
      });
      return body;
    },
    async consultar(produtoIds, ctx) {
      const { body } = await http.request<SaldoValue[]>('GET', '/estoque', {
        query: { produto_ids: produtoIds.length === 0 ? undefined : produtoIds },
        ctx,
      });
      return body;
    },
    close: () => http.close(),
  };
}

export function createRestPagamentosClient(baseUrl: string): PortClient<PagamentosPort> {
  const http = createServiceClient({ baseUrl, target: 'pagamentos' });
  return {
    async processar(req, ctx) {
      const { body } = await http.request<PagamentoValue>('POST', '/pagamentos', {
        body: { pedido_id: req.pedido_id, valor_centavos: req.valor_centavos, metodo: req.metodo },
        headers: idempotencyHeader(req.idempotency_key),
        ctx,
      });
      return body;
    },
    async estornar(req, ctx) {
      const { body } = await http.request<EstornoValue>(
        'POST',
        `/pagamentos/${segment(req.pedido_id)}/estorno`,
        {
          body: { motivo: req.motivo },
          ctx,
        },
      );
      return body;
    },
    close: () => http.close(),
  };
}

export function createRestFiscalClient(baseUrl: string): PortClient<FiscalPort> {
  const http = createServiceClient({ baseUrl, target: 'fiscal' });
  return {
    async emitir(req, ctx) {
      const { body } = await http.request<NotaFiscalValue>('POST', '/notas-fiscais', {
        body: {
          pedido_id: req.pedido_id,
          valor_centavos: req.valor_centavos,
          itens: req.itens.map(itemComPrecoToProto),
        },
        ctx,
      });
      return body;
    },
    close: () => http.close(),
  };
}

export function createRestLogisticaClient(baseUrl: string): PortClient<LogisticaPort> {
  const http = createServiceClient({ baseUrl, target: 'logistica' });
  return {
    async agendarEnvio(req, ctx) {
      const { body } = await http.request<EnvioValue>('POST', '/envios', {
        body: {
          pedido_id: req.pedido_id,
          nota_fiscal_id: req.nota_fiscal_id,
          numero_nota_fiscal: req.numero_nota_fiscal,
        },
        ctx,
      });
      return body;
    },
    close: () => http.close(),
  };
}

export function createRestPedidosClient(baseUrl: string): PortClient<PedidosPort> {
  const http = createServiceClient({ baseUrl, target: 'pedidos' });
  return {
    async criarPedido(req, ctx) {
      const { body } = await http.request<PedidoValue>('POST', '/pedidos', {
        body: {
          cliente_id: req.cliente_id,
          itens: req.itens.map(itemToProto),
          ...(req.metodo_pagamento === undefined ? {} : { metodo_pagamento: req.metodo_pagamento }),
        },
        headers: idempotencyHeader(req.idempotency_key),
        ctx,
      });
      return body;
    },
    async obterPedido(id, ctx) {
      const { body } = await http.request<PedidoValue>('GET', `/pedidos/${segment(id)}`, { ctx });
      return body;
    },
    close: () => http.close(),
  };
}
