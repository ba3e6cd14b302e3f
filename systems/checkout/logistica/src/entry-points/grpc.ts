import { agendarEnvioRequestFromProto, envioToProto } from '@dslab/checkout-clients';
import type { LogisticaServer } from '@dslab/checkout-contracts';
import { requestTimeouts, unaryHandlers, type TimeoutSettings } from '@dslab/checkout-kit';
import type { Logger } from '@dslab/logging';
import type { LogisticaService } from '../application/logistica-service.js';

/**
 * The `Logistica` gRPC service over the same application layer as the REST routes. The request
 * is checked by the same domain validator (a proto3 message arrives with defaults: pedido_id 0
 * is refused by name, as a missing field would be over REST). Deadline settings left out are the
 * checkout's (requestTimeouts).
 */
export function logisticaGrpcHandlers(
  service: LogisticaService,
  logger: Logger,
  timeouts: Partial<TimeoutSettings> = {},
): LogisticaServer {
  return unaryHandlers<LogisticaServer>(
    logger,
    {
      agendarEnvio: async (request, ctx) =>
        envioToProto((await service.agendar(agendarEnvioRequestFromProto(request), ctx)).envio),
    },
    { ...requestTimeouts({}), ...timeouts },
  );
}
