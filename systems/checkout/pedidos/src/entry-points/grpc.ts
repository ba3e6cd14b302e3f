import { metodoFromProto, pedidoToProto } from '@dslab/checkout-clients';
import type { PedidosServer, PedidoValue } from '@dslab/checkout-contracts';
import { unaryHandlers, type TimeoutSettings } from '@dslab/checkout-kit';
import type { HandlerContext } from '@dslab/grpc-kit';
import type { Logger } from '@dslab/logging';
import type { CriarPedidoInput, PedidosService } from '../application/pedidos-service.js';

/** A CriarPedido request as the application layer's input (an empty idempotency key: none). */
export type CriarPedidoGrpcInput = CriarPedidoInput & { readonly cliente_id: number };

/** How one mode of pedidos (synchronous, asynchronous) creates and reads orders for its gRPC calls. */
export interface PedidosGrpcOperations {
  criar(input: CriarPedidoGrpcInput, ctx: HandlerContext): Promise<PedidoValue>;
  obter(pedidoId: number, ctx: HandlerContext): Promise<PedidoValue>;
}

/** The `Pedidos` gRPC service over one mode's operations: requests mapped in, orders mapped out. */
export function pedidosGrpcHandlersOver(
  operations: PedidosGrpcOperations,
  logger: Logger,
  timeouts: TimeoutSettings,
): PedidosServer {
  return unaryHandlers<PedidosServer>(
    logger,
    {
      criarPedido: async (request, ctx) => {
        const input = {
          cliente_id: request.cliente_id,
          itens: request.itens,
          metodo_pagamento: metodoFromProto(request.metodo_pagamento),
          idempotency_key: request.idempotency_key === '' ? undefined : request.idempotency_key,
        };
        return { pedido: pedidoToProto(await operations.criar(input, ctx)) };
      },
      obterPedido: async (request, ctx) => ({
        pedido: pedidoToProto(await operations.obter(request.pedido_id, ctx)),
      }),
    },
    timeouts,
  );
}

/** The `Pedidos` gRPC service over the same application layer as the REST routes. */
export function pedidosGrpcHandlers(
  service: PedidosService,
  logger: Logger,
  timeouts: TimeoutSettings,
): PedidosServer {
  return pedidosGrpcHandlersOver(
    {
      criar: async (input, ctx) => (await service.create(input, ctx)).pedido,
      obter: (pedidoId, ctx) => service.obterPedido(pedidoId, ctx),
    },
    logger,
    timeouts,
  );
}
