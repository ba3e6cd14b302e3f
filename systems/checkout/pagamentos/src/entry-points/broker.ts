import { eventFor, notForService, type CommandHandler } from '@dslab/checkout-kit';
import type { PagamentosService } from '../application/pagamentos-service.js';

/** The Idempotency-Key of an order's charge from the broker: one charge per order. */
export function idempotencyKeyOf(pedidoId: number): string {
  return `pedido-${pedidoId}`;
}

/**
 * pagamentos' commands from the broker (seed 004), through the same application layer as REST
 * and gRPC. PROCESSAR_PAGAMENTO charges once per order: a rejection is an answer (`sucesso`
 * false), and a redelivery returns the stored payment. Processing waits out the simulated
 * latency; a step deadline shorter than it is a `timeout`, which the worker retries (the stored
 * decision makes the retry answer the same payment). ESTORNAR_PAGAMENTO refunds, or voids an
 * order never charged.
 */
export function pagamentosCommandHandler(service: PagamentosService): CommandHandler {
  return async (command, ctx) => {
    switch (command.tipo) {
      case 'PROCESSAR_PAGAMENTO': {
        const pagamento = await service.processar(
          {
            pedido_id: command.pedido_id,
            valor_centavos: command.dados.valor_centavos,
            metodo: command.dados.metodo,
            idempotency_key: idempotencyKeyOf(command.pedido_id),
          },
          ctx,
        );
        return eventFor(command, 'PAGAMENTO_PROCESSADO', { pagamento });
      }
      case 'ESTORNAR_PAGAMENTO': {
        const estorno = await service.estornar(
          { pedido_id: command.pedido_id, motivo: command.dados.motivo },
          ctx,
        );
        return eventFor(command, 'PAGAMENTO_ESTORNADO', { estorno });
      }
      default:
        throw notForService('pagamentos', command.tipo);
    }
  };
}
