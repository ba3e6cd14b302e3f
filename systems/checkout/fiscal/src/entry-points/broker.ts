import { eventFor, notForService, type CommandHandler } from '@dslab/checkout-kit';
import type { FiscalService } from '../application/fiscal-service.js';

/**
 * fiscal's command from the broker (seed 004), through the same application layer as REST and
 * gRPC: EMITIR_NOTA_FISCAL issues the order's one invoice (a redelivery gets the stored one). A
 * total its lines contradict (`validation-failed`) or another total for an invoiced order
 * (`conflict`) propagate, and the worker answers ETAPA_RECUSADA.
 */
export function fiscalCommandHandler(service: FiscalService): CommandHandler {
  return async (command, ctx) => {
    if (command.tipo !== 'EMITIR_NOTA_FISCAL') throw notForService('fiscal', command.tipo);
    const nota = await service.emitir(
      {
        pedido_id: command.pedido_id,
        valor_centavos: command.dados.valor_centavos,
        itens: command.dados.itens,
      },
      ctx,
    );
    return eventFor(command, 'NOTA_FISCAL_EMITIDA', { nota });
  };
}
