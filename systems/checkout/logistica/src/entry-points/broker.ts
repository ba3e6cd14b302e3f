import { eventFor, notForService, type CommandHandler } from '@dslab/checkout-kit';
import type { LogisticaService } from '../application/logistica-service.js';

/**
 * logistica's command from the broker (seed 004), through the same application layer as REST
 * and gRPC: AGENDAR_ENVIO dispatches the order once (a redelivery gets the stored dispatch). A
 * malformed invoice number (`validation-failed`) or an invoice already dispatched for another
 * order (`conflict`) propagate, and the worker answers ETAPA_RECUSADA.
 */
export function logisticaCommandHandler(service: LogisticaService): CommandHandler {
  return async (command, ctx) => {
    if (command.tipo !== 'AGENDAR_ENVIO') throw notForService('logistica', command.tipo);
    const envio = await service.agendarEnvio(
      {
        pedido_id: command.pedido_id,
        nota_fiscal_id: command.dados.nota_fiscal_id,
        numero_nota_fiscal: command.dados.numero_nota_fiscal,
      },
      ctx,
    );
    return eventFor(command, 'ENVIO_AGENDADO', { envio });
  };
}
