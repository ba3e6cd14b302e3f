import { emitirRequestFromProto, notaFiscalToProto } from '@dslab/checkout-clients';
import type { FiscalServer } from '@dslab/checkout-contracts';
import { requestTimeouts, unaryHandlers, type TimeoutSettings } from '@dslab/checkout-kit';
import type { Logger } from '@dslab/logging';
import type { FiscalService } from '../application/fiscal-service.js';

/**
 * The `Fiscal` gRPC service over the same application layer as the REST routes. The request is
 * checked by the same domain validator (a proto3 message arrives with defaults: pedido_id 0 is
 * refused by name, as a missing field would be over REST). Deadline settings left out are the
 * checkout's (requestTimeouts).
 */
export function fiscalGrpcHandlers(
  service: FiscalService,
  logger: Logger,
  timeouts: Partial<TimeoutSettings> = {},
): FiscalServer {
  return unaryHandlers<FiscalServer>(
    logger,
    {
      emitirNotaFiscal: async (request, ctx) =>
        notaFiscalToProto((await service.emitirNotaFiscal(emitirRequestFromProto(request), ctx)).nota),
    },
    { ...requestTimeouts({}), ...timeouts },
  );
}
