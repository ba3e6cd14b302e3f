import { metodoFromProto, pedidoToProto } from '@dslab/checkout-clients';
import type { PedidosServer } from '@dslab/checkout-contracts';
import { unaryHandlers, type TimeoutSettings } from '@dslab/checkout-kit';
import type { Logger } from '@dslab/logging';
import type { PedidosService } from '../application/pedidos-service.js';

/** The `Pedidos` gRPC service over the same application layer as the REST routes. */
export function pedidosGrpcHandlers(
  service: PedidosService,
  logger: Logger,
  timeouts: TimeoutSettings,
): PedidosServer {
  return unaryHandlers<PedidosServer>(
    logger,
    {
      criarPedido: async (request, ctx) => {
        const { pedido } = await service.create(
          {
            cliente_id: request.cliente_id,
            itens: request.itens,
            metodo_pagamento: metodoFromProto(request.metodo_pagamento),
            idempotency_key: request.idempotency_key === '' ? undefined : request.idempotency_key,
          },
          ctx,
        );
        return { pedido: pedidoToProto(pedido) };
      },
      obterPedido: async (request, ctx) => ({
        pedido: pedidoToProto(await service.obterPedido(request.pedido_id, ctx)),
      }),
    },
    timeouts,
  );
}
