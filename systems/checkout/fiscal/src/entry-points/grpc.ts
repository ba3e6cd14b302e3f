import { emitirRequestFromProto, notaFiscalToProto } from '@dslab/checkout-clients';
import type { FiscalServer } from '@dslab/checkout-contracts';
import { MAX_REQUEST_TIMEOUT_MS } from '@dslab/checkout-kit';
import { unaryHandler } from '@dslab/grpc-kit';
import type { Logger } from '@dslab/logging';
import type { FiscalService } from '../application/fiscal-service.js';

/**
 * The `Fiscal` gRPC service over the same application layer as the REST routes. The request is
 * checked by the same domain validator (a proto3 message arrives with defaults: pedido_id 0 is
 * refused by name, as a missing field would be over REST).
 */
export function fiscalGrpcHandlers(
  service: FiscalService,
  logger: Logger,
  timeouts: { readonly defaultMs?: number; readonly maxMs?: number } = {},
): FiscalServer {
  const options = {
    defaultMs: timeouts.defaultMs ?? 10_000,
    maxMs: timeouts.maxMs ?? MAX_REQUEST_TIMEOUT_MS,
  };
  return {
    emitirNotaFiscal: unaryHandler(
      logger,
      async (request, ctx) =>
        notaFiscalToProto((await service.emitirNotaFiscal(emitirRequestFromProto(request), ctx)).nota),
      options,
    ),
  };
}
