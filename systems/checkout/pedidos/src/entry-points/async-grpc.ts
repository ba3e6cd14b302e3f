import type { PedidosServer } from '@dslab/checkout-contracts';
import type { TimeoutSettings } from '@dslab/checkout-kit';
import type { HandlerContext } from '@dslab/grpc-kit';
import type { Logger } from '@dslab/logging';
import type { AsyncCheckout } from '../application/async-checkout.js';
import { pedidosGrpcHandlersOver } from './grpc.js';

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
  return pedidosGrpcHandlersOver(
    {
      async criar({ cliente_id, ...input }, ctx) {
        const cliente = await checkout.authenticate(authorizationOf(ctx));
        // cliente_id 0 (proto3's default): the token's customer.
        return (await checkout.create(cliente, cliente_id === 0 ? input : { ...input, cliente_id }, ctx))
          .pedido;
      },
      async obter(pedidoId, ctx) {
        return checkout.obter(await checkout.authenticate(authorizationOf(ctx)), pedidoId);
      },
    },
    logger,
    timeouts,
  );
}
