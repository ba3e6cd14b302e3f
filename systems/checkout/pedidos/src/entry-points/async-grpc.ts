import { metodoFromProto, pedidoToProto } from '@dslab/checkout-clients';
import type { PedidosServer } from '@dslab/checkout-contracts';
import { unaryHandlers, type TimeoutSettings } from '@dslab/checkout-kit';
import type { HandlerContext } from '@dslab/grpc-kit';
import type { Logger } from '@dslab/logging';
import type { AsyncCheckout } from '../application/async-checkout.js';

/** The call's `authorization` metadata (one text value), as the REST header. */
function authorizationOf(ctx: HandlerContext): string | undefined {
  const [value] = ctx.metadata.get('authorization');
  return typeof value === 'string' ? value : undefined;
}

/**
 * The `Pedidos` gRPC service in asynchronous mode, over the same application layer as the REST
 * routes and with the same rules: the call carries the access token in its `authorization`
 * metadata (`Bearer <access_token>`); CriarPedido accepts the order and answers it as accepted
 * (status PENDENTE, the saga runs it afterwards; `cliente_id` 0 means the token's customer, any
 * other must be it); ObterPedido answers only the caller's own orders (others are NOT_FOUND).
 */
export function asyncPedidosGrpcHandlers(
  checkout: AsyncCheckout,
  logger: Logger,
  timeouts: TimeoutSettings,
): PedidosServer {
  return unaryHandlers<PedidosServer>(
    logger,
    {
      criarPedido: async (request, ctx) => {
        const cliente = await checkout.authenticate(authorizationOf(ctx));
        const { pedido } = await checkout.create(
          cliente,
          {
            ...(request.cliente_id === 0 ? {} : { cliente_id: request.cliente_id }),
            itens: request.itens,
            metodo_pagamento: metodoFromProto(request.metodo_pagamento),
            idempotency_key: request.idempotency_key === '' ? undefined : request.idempotency_key,
          },
          ctx,
        );
        return { pedido: pedidoToProto(pedido) };
      },
      obterPedido: async (request, ctx) => {
        const cliente = await checkout.authenticate(authorizationOf(ctx));
        return { pedido: pedidoToProto(await checkout.obter(cliente, request.pedido_id)) };
      },
    },
    timeouts,
  );
}
