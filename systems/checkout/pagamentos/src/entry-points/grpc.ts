import {
  estornarRequestFromProto,
  estornoToProto,
  pagamentoRequestFromProto,
  pagamentoToProto,
} from '@dslab/checkout-clients';
import type { PagamentoServer } from '@dslab/checkout-contracts';
import { unaryHandlers } from '@dslab/checkout-kit';
import type { UnaryHandlerOptions } from '@dslab/grpc-kit';
import type { Logger } from '@dslab/logging';
import type { PagamentosService } from '../application/pagamentos-service.js';

/**
 * The `Pagamento` gRPC service over the same application layer as the REST routes. The
 * requests are decoded by the shared codec of @dslab/checkout-clients and validated by the
 * same domain validators as REST (proto3 defaults such as pedido_id 0 are refused naming the
 * field):
 * - metodo METODO_PAGAMENTO_UNSPECIFIED (proto3's default: the caller did not set it) is
 *   charged as cartao_credito, as an absent `metodo` is over REST; a number outside the enum
 *   is INVALID_ARGUMENT.
 * - idempotency_key '' (proto3 has no absent string) means no key.
 * - EstornarRequest.idempotency_key is not needed: a refund is idempotent per pedido_id.
 */
export function pagamentosGrpcHandlers(
  service: PagamentosService,
  logger: Logger,
  options: UnaryHandlerOptions = {},
): PagamentoServer {
  return unaryHandlers<PagamentoServer>(
    logger,
    {
      processarPagamento: async (request, ctx) =>
        pagamentoToProto((await service.processarPagamento(pagamentoRequestFromProto(request), ctx)).value),
      estornar: async (request, ctx) =>
        estornoToProto((await service.estornarPagamento(estornarRequestFromProto(request), ctx)).value),
    },
    options,
  );
}
