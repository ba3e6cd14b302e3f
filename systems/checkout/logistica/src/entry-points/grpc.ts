import { agendarEnvioRequestFromProto, envioToProto } from '@dslab/checkout-clients';
import type { LogisticaServer } from '@dslab/checkout-contracts';
import { MAX_REQUEST_TIMEOUT_MS } from '@dslab/checkout-kit';
import { unaryHandler } from '@dslab/grpc-kit';
import type { Logger } from '@dslab/logging';
import type { LogisticaService } from '../application/logistica-service.js';

/**
 * The `Logistica` gRPC service over the same application layer as the REST routes. The request
 * is checked by the same domain validator (a proto3 message arrives with defaults: pedido_id 0
 * is refused by name, as a missing field would be over REST).
 */
export function logisticaGrpcHandlers(
  service: LogisticaService,
  logger: Logger,
  timeouts: { readonly defaultMs?: number; readonly maxMs?: number } = {},
): LogisticaServer {
  const options = {
    defaultMs: timeouts.defaultMs ?? 10_000,
    maxMs: timeouts.maxMs ?? MAX_REQUEST_TIMEOUT_MS,
  };
  return {
    agendarEnvio: unaryHandler(
      logger,
      async (request, ctx) =>
        envioToProto((await service.agendar(agendarEnvioRequestFromProto(request), ctx)).envio),
      options,
    ),
  };
}
