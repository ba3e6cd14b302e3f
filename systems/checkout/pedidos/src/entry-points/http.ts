import {
  MAX_ITENS,
  MAX_QUANTIDADE,
  METODO_PAGAMENTO_VALUES,
  PEDIDO_STATUS_VALUES,
} from '@dslab/checkout-contracts';
import { idParams, sendOutcome, stringEnum, type TimeoutSettings } from '@dslab/checkout-kit';
import { callContextFromRequest, problemResponses, type HttpApp } from '@dslab/http-kit';
import { Type } from 'typebox';
import type { PedidosService } from '../application/pedidos-service.js';

export type { TimeoutSettings } from '@dslab/checkout-kit';

const ItemBody = Type.Object(
  {
    produto_id: Type.Integer({ description: 'product id (catalogo)' }),
    quantidade: Type.Integer({ description: `units, 1 to ${MAX_QUANTIDADE}` }),
  },
  { additionalProperties: false },
);

const CriarPedidoBody = Type.Object(
  {
    cliente_id: Type.Integer({ description: 'customer id (seed table clientes)' }),
    itens: Type.Array(ItemBody, { description: `one line per product, 1 to ${MAX_ITENS} lines` }),
    metodo_pagamento: Type.Optional(stringEnum(METODO_PAGAMENTO_VALUES, 'default cartao_credito')),
  },
  { additionalProperties: false },
);

const ItemComPreco = Type.Object({
  produto_id: Type.Integer(),
  quantidade: Type.Integer(),
  preco_unitario_centavos: Type.Integer(),
});

export const PedidoSchema = Type.Object({
  id: Type.Integer(),
  cliente_id: Type.Integer(),
  status: stringEnum(PEDIDO_STATUS_VALUES),
  itens: Type.Array(ItemComPreco),
  valor_total_centavos: Type.Integer({ description: 'integer centavos' }),
  metodo_pagamento: stringEnum(METODO_PAGAMENTO_VALUES),
  data_criacao: Type.String({ description: 'UTC ISO-8601' }),
  atualizado_em: Type.String({ description: 'UTC ISO-8601' }),
  motivo: Type.Optional(Type.String({ description: 'why the order is cancelled or waiting' })),
  numero_nota_fiscal: Type.Optional(Type.String()),
  codigo_rastreamento: Type.Optional(Type.String()),
});

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ description: 'makes a retry return the same order' })),
});

export function registerPedidosRoutes(
  app: HttpApp,
  service: PedidosService,
  timeouts: TimeoutSettings,
): void {
  app.post(
    '/pedidos',
    {
      schema: {
        summary:
          'Place an order: runs payment, stock, invoice and dispatch, and answers the order in its final state',
        description:
          'A rejected payment or missing stock still creates the order, answered as `cancelado` with its `motivo`. ' +
          'A neighbour that is slow or down mid-chain answers 504/503 with `pedido_id`; the order is then finished in the background. ' +
          'Send `x-timeout-ms` to bound the whole chain.',
        tags: ['pedidos'],
        headers: IdempotencyHeaders,
        body: CriarPedidoBody,
        response: {
          200: PedidoSchema,
          201: PedidoSchema,
          ...problemResponses(400, 409, 413, 415, 422, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const ctx = callContextFromRequest(request, timeouts);
      const { pedido, replayed } = await service.create(
        { ...request.body, idempotency_key: request.headers['idempotency-key'] },
        ctx,
      );
      return sendOutcome(reply, { value: pedido, replayed }, `/pedidos/${pedido.id}`);
    },
  );

  app.get(
    '/pedidos/:id',
    {
      schema: {
        summary: 'Read an order',
        tags: ['pedidos'],
        params: idParams(),
        response: { 200: PedidoSchema, ...problemResponses(400, 404) },
      },
    },
    async (request) => service.obterPedido(request.params.id, callContextFromRequest(request, timeouts)),
  );
}
