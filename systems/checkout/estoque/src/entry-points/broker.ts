import { eventFor, notForService, type CommandHandler } from '@dslab/checkout-kit';
import type { FaltaValue } from '@dslab/checkout-contracts/messages';
import { AppError, isAppError } from '@dslab/errors';
import type { EstoqueService } from '../application/estoque-service.js';
import { planReservation } from '../domain/reserva.js';

/** The shortages an `insufficient-stock` refusal carries (extension `faltas`). */
function faltasOf(error: AppError): FaltaValue[] {
  const faltas = error.extensions['faltas'];
  if (!Array.isArray(faltas)) return [];
  return (faltas as readonly FaltaValue[]).map(({ produto_id, solicitado, disponivel }) => ({
    produto_id,
    solicitado,
    disponivel,
  }));
}

/**
 * estoque's commands from the broker (seed 004), through the same application layer as REST and
 * gRPC: VERIFICAR_ESTOQUE reads the stock (advisory, holds nothing), SEPARAR_ESTOQUE reserves the
 * order's items once per order (a shortage is an answer, ESTOQUE_INSUFICIENTE), LIBERAR_ESTOQUE
 * gives back what the order holds. Other refusals (`reservation-conflict`, `validation-failed`)
 * propagate and the worker answers ETAPA_RECUSADA.
 */
export function estoqueCommandHandler(service: EstoqueService): CommandHandler {
  return async (command, ctx) => {
    switch (command.tipo) {
      case 'VERIFICAR_ESTOQUE': {
        const ids = [...new Set(command.dados.itens.map((i) => i.produto_id))];
        const saldos = await service.consultar(ids, ctx);
        const onHand = new Map(saldos.map((s) => [s.produto_id, s.quantidade_disponivel]));
        const plan = planReservation(onHand, command.dados.itens);
        const faltas = plan.ok ? [] : plan.faltas.map((f) => ({ ...f }));
        return eventFor(command, 'ESTOQUE_VERIFICADO', { disponivel: plan.ok, faltas });
      }
      case 'SEPARAR_ESTOQUE':
        try {
          const separacao = await service.separar(
            { pedido_id: command.pedido_id, itens: command.dados.itens },
            ctx,
          );
          return eventFor(command, 'ESTOQUE_SEPARADO', { separacao });
        } catch (error) {
          if (!isAppError(error)) throw error;
          if (error.code === 'insufficient-stock')
            return eventFor(command, 'ESTOQUE_INSUFICIENTE', { faltas: faltasOf(error) });
          // The stock kept moving under the reservation (retries exhausted): not a refusal,
          // the next delivery may well succeed.
          if (error.code === 'conflict') throw new AppError('unavailable', error.detail, { cause: error });
          throw error;
        }
      case 'LIBERAR_ESTOQUE': {
        const separacao = await service.liberar(
          { pedido_id: command.pedido_id, motivo: command.dados.motivo },
          ctx,
        );
        return eventFor(command, 'ESTOQUE_LIBERADO', { separacao });
      }
      default:
        throw notForService('estoque', command.tipo);
    }
  };
}
