import { saldoToProto, separacaoToProto } from '@dslab/checkout-clients';
import type { EstoqueServer } from '@dslab/checkout-contracts';
import { unaryHandlers } from '@dslab/checkout-kit';
import type { UnaryHandlerOptions } from '@dslab/grpc-kit';
import type { Logger } from '@dslab/logging';
import type { EstoqueService } from '../application/estoque-service.js';

/**
 * The `Estoque` gRPC service over the same application layer as the REST routes. Requests are
 * validated by the domain validators inside the service, so proto3 defaults (pedido_id 0, no
 * items) are refused with the field's name (INVALID_ARGUMENT).
 */
export function estoqueGrpcHandlers(
  service: EstoqueService,
  logger: Logger,
  options: UnaryHandlerOptions = {},
): EstoqueServer {
  return unaryHandlers<EstoqueServer>(
    logger,
    {
      separarEstoque: async (request, ctx) =>
        separacaoToProto(
          (await service.reserve({ pedido_id: request.pedido_id, itens: request.itens }, ctx)).value,
        ),
      liberarEstoque: async (request, ctx) =>
        separacaoToProto(
          (await service.release({ pedido_id: request.pedido_id, motivo: request.motivo }, ctx)).value,
        ),
      consultarEstoque: async (request, ctx) => ({
        saldos: (await service.consultar(request.produto_ids, ctx)).map(saldoToProto),
      }),
    },
    options,
  );
}
