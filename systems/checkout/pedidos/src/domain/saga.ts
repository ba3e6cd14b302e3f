/**
 * The asynchronous checkout's saga (seed 004), as pedidos orchestrates it: one step at a time,
 * each step a command to a service's queue and its answer an event on pedidos' queue. Given the
 * order as stored and one event, `decideSaga` answers what to do: the status change, the fields
 * to set, the commands to send next and the history entry, or that the event does not fit the
 * order (a late duplicate) and changes nothing.
 *
 *   PEDIDO_CRIADO                    → VERIFICAR_ESTOQUE (advisory: is there stock now?)
 *   ESTOQUE_VERIFICADO disponível    → PROCESSAR_PAGAMENTO
 *   ESTOQUE_VERIFICADO indisponível  → cancelado (nothing is held)
 *   PAGAMENTO_PROCESSADO aprovado    → pagamento_aprovado + SEPARAR_ESTOQUE
 *   PAGAMENTO_PROCESSADO rejeitado   → compensation payment-rejected (cancel)
 *   ESTOQUE_SEPARADO                 → em_separacao + EMITIR_NOTA_FISCAL
 *   ESTOQUE_INSUFICIENTE             → compensation stock-unavailable (refund, cancel)
 *   NOTA_FISCAL_EMITIDA              → nf_emitida + AGENDAR_ENVIO
 *   ENVIO_AGENDADO                   → enviado (the end)
 *   ETAPA_RECUSADA (a 4xx refusal)   → by the refused command: VERIFICAR_ESTOQUE cancels,
 *     PROCESSAR_PAGAMENTO payment-rejected, SEPARAR_ESTOQUE stock-unavailable, EMITIR_NOTA_FISCAL
 *     invoice-failed; AGENDAR_ENVIO leaves the order nf_emitida with its motivo (the sale is a
 *     fiscal fact, see compensation.ts); a refused compensation is noted in motivo and the next
 *     compensation action runs.
 *
 * Compensations are steps too. The actions owed (planCompensationAt) are stored in the order's
 * `compensacao` ({falha, motivo, pendentes}); the head of `pendentes` is the action in flight.
 * A refund or a release is a command (ESTORNAR_PAGAMENTO, LIBERAR_ESTOQUE) whose answer
 * (PAGAMENTO_ESTORNADO, ESTOQUE_LIBERADO) pops it and starts the next; `cancel-order` is done at
 * once (status cancelado with the motivo) and ends the compensation.
 *
 * Which event fits: the one answering the step the order waits for. Forward, that step follows
 * from the status (pendente waits for the stock check, then the payment: both answers fit while
 * pendente, and the inbox keeps a redelivered one out); while a compensation is owed, only the
 * answer to its head action fits. Terminal orders (enviado, entregue, cancelado) take nothing.
 *
 * Pure: no I/O, no clock (the time of the commands comes from the caller).
 */
import {
  messageOf,
  type Command,
  type CommandData,
  type CommandType,
  type Event,
  type FaltaValue,
} from '@dslab/checkout-contracts/messages';
import type { ItemComPrecoValue, MetodoPagamentoValue } from '@dslab/checkout-contracts/ports';
import { isFalha, planCompensationAt, type CompensationAction, type Falha } from './compensation.js';
import { CHAIN_DONE, transitionPedido, type PedidoStatus } from './status.js';

/** What the order owes while a compensation runs (stored as JSON in `pedidos.compensacao`). */
export interface Compensacao {
  readonly falha: Falha;
  readonly motivo: string;
  /** Undo actions still owed, in order; the head is the one in flight. */
  readonly pendentes: readonly CompensationAction[];
}

/** The order as the saga reads it. */
export interface SagaState {
  readonly id: number;
  readonly status: PedidoStatus;
  readonly compensacao: Compensacao | null;
  readonly valor_total_centavos: number;
  readonly metodo_pagamento: MetodoPagamentoValue;
  readonly itens: readonly ItemComPrecoValue[];
  readonly nota_fiscal_id: number | null;
  readonly numero_nota_fiscal: string | null;
}

/** Fields a decision sets on the order (absent: unchanged). */
export interface SagaFields {
  readonly motivo?: string | null;
  readonly nota_fiscal_id?: number;
  readonly numero_nota_fiscal?: string;
  readonly codigo_rastreamento?: string;
  readonly compensacao?: Compensacao | null;
}

/** The order's history entry for a decision (an `operacoes` row and the log line). */
export interface SagaHistory {
  readonly operacao: string;
  /** Portuguese, as in the application log. */
  readonly mensagem: string;
  readonly detalhes: Readonly<Record<string, unknown>>;
}

export type SagaDecision =
  | {
      readonly kind: 'apply';
      /** The new status (already checked with transitionPedido); absent: the status stays. */
      readonly to?: PedidoStatus;
      readonly fields: SagaFields;
      /** Sent in order, in the same transaction as the change. */
      readonly commands: readonly Command[];
      readonly history: SagaHistory;
      /** The log level of the history line. */
      readonly level: 'info' | 'warn' | 'error';
    }
  | {
      /** The event does not fit the order's state: nothing changes (logged at warn). */
      readonly kind: 'ignore';
      readonly reason: string;
    };

export interface SagaContext {
  /** Time stamped on the commands (UTC ISO-8601). */
  readonly at: string;
}

/** What a command is stamped with: the order's trace id and when it was written (UTC ISO-8601). */
export interface CommandEnvelope {
  readonly traceId: string;
  readonly at: string;
}

/** The forward steps' commands, in saga order. */
export const FORWARD_COMMANDS = [
  'VERIFICAR_ESTOQUE',
  'PROCESSAR_PAGAMENTO',
  'SEPARAR_ESTOQUE',
  'EMITIR_NOTA_FISCAL',
  'AGENDAR_ENVIO',
] as const;
export type ForwardCommandType = (typeof FORWARD_COMMANDS)[number];

/** The command each compensation action sends (`cancel-order` is done by pedidos itself). */
export const UNDO_COMMAND: Readonly<
  Record<Exclude<CompensationAction, 'cancel-order'>, 'ESTORNAR_PAGAMENTO' | 'LIBERAR_ESTOQUE'>
> = {
  'refund-payment': 'ESTORNAR_PAGAMENTO',
  'release-stock': 'LIBERAR_ESTOQUE',
};

/**
 * What each forward answer does when the step succeeded: the status the order moves to (absent:
 * it stays), the forward command asked next (absent: the saga ends) and the history entry.
 */
const FORWARD_STEP: Readonly<
  Record<
    | 'PEDIDO_CRIADO'
    | 'ESTOQUE_VERIFICADO'
    | 'PAGAMENTO_PROCESSADO'
    | 'ESTOQUE_SEPARADO'
    | 'NOTA_FISCAL_EMITIDA'
    | 'ENVIO_AGENDADO',
    { readonly to?: PedidoStatus; readonly next?: ForwardCommandType; readonly operacao: string }
  >
> = {
  PEDIDO_CRIADO: { next: 'VERIFICAR_ESTOQUE', operacao: 'estoque_verificacao_solicitada' },
  ESTOQUE_VERIFICADO: { next: 'PROCESSAR_PAGAMENTO', operacao: 'estoque_verificado' },
  PAGAMENTO_PROCESSADO: { to: 'pagamento_aprovado', next: 'SEPARAR_ESTOQUE', operacao: 'pagamento_aprovado' },
  ESTOQUE_SEPARADO: { to: 'em_separacao', next: 'EMITIR_NOTA_FISCAL', operacao: 'estoque_separado' },
  NOTA_FISCAL_EMITIDA: { to: 'nf_emitida', next: 'AGENDAR_ENVIO', operacao: 'nota_fiscal_emitida' },
  ENVIO_AGENDADO: { to: 'enviado', operacao: 'pedido_enviado' },
};

/** The forward command an order in `status` (and no compensation) waits an answer for. */
const AWAITED: Partial<Readonly<Record<PedidoStatus, readonly CommandType[]>>> = {
  pendente: ['VERIFICAR_ESTOQUE', 'PROCESSAR_PAGAMENTO'],
  pagamento_aprovado: ['SEPARAR_ESTOQUE'],
  em_separacao: ['EMITIR_NOTA_FISCAL'],
  nf_emitida: ['AGENDAR_ENVIO'],
};

/** Reads the stored `compensacao` JSON; null when absent, an error message when it is not one. */
export function parseCompensacao(text: string | null): Compensacao | null | { readonly invalid: string } {
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { invalid: 'compensacao is not JSON' };
  }
  if (value === null) return null;
  const record = value as Record<string, unknown>;
  const pendentes = record['pendentes'];
  if (
    typeof value !== 'object' ||
    !isFalha(record['falha']) ||
    typeof record['motivo'] !== 'string' ||
    !Array.isArray(pendentes) ||
    !pendentes.every((a) => a === 'release-stock' || a === 'refund-payment' || a === 'cancel-order')
  )
    return { invalid: `compensacao does not have the fields of one: ${text}` };
  return { falha: record['falha'], motivo: record['motivo'], pendentes: pendentes as CompensationAction[] };
}

/** "produto 2 (solicitado 5, disponível 1)", for motivos. */
export function describeFaltas(faltas: readonly FaltaValue[]): string {
  if (faltas.length === 0) return 'sem detalhes';
  return faltas
    .map((f) => `produto ${f.produto_id} (solicitado ${f.solicitado}, disponível ${f.disponivel})`)
    .join(', ');
}

const quantidades = (itens: readonly ItemComPrecoValue[]) =>
  itens.map(({ produto_id, quantidade }) => ({ produto_id, quantidade }));

function commandOf<T extends CommandType>(
  tipo: T,
  id: number,
  dados: CommandData[T],
  envelope: CommandEnvelope,
): Command {
  return messageOf(tipo, id, dados as never, envelope) as Command;
}

/**
 * The forward command `tipo` of the order `state`, its dados taken from the order alone: what the
 * saga sends when the order reaches the step, and what the redrive sends again when the order
 * stalls there (domain/redrive.ts). AGENDAR_ENVIO carries the order's nota fiscal: the saga passes
 * the order as the NOTA_FISCAL_EMITIDA decision leaves it; without one it throws (a bug).
 */
export function forwardCommandOf(
  state: SagaState,
  tipo: ForwardCommandType,
  envelope: CommandEnvelope,
): Command {
  const id = state.id;
  switch (tipo) {
    case 'VERIFICAR_ESTOQUE':
    case 'SEPARAR_ESTOQUE':
      return commandOf(tipo, id, { itens: quantidades(state.itens) }, envelope);
    case 'PROCESSAR_PAGAMENTO':
      return commandOf(
        tipo,
        id,
        { valor_centavos: state.valor_total_centavos, metodo: state.metodo_pagamento },
        envelope,
      );
    case 'EMITIR_NOTA_FISCAL':
      return commandOf(
        tipo,
        id,
        {
          valor_centavos: state.valor_total_centavos,
          itens: state.itens.map(({ produto_id, quantidade, preco_unitario_centavos }) => ({
            produto_id,
            quantidade,
            preco_unitario_centavos,
          })),
        },
        envelope,
      );
    case 'AGENDAR_ENVIO':
      if (state.nota_fiscal_id === null || state.numero_nota_fiscal === null)
        throw new Error(`pedido ${id}: AGENDAR_ENVIO needs the order's nota fiscal, and it has none`);
      return commandOf(
        tipo,
        id,
        { nota_fiscal_id: state.nota_fiscal_id, numero_nota_fiscal: state.numero_nota_fiscal },
        envelope,
      );
  }
}

/**
 * The command of the compensation's head action (ESTORNAR_PAGAMENTO, LIBERAR_ESTOQUE, with the
 * compensation's motivo), or undefined when the head is the cancel pedidos does itself (or nothing
 * is left).
 */
export function compensationCommandOf(
  id: number,
  owed: Compensacao,
  envelope: CommandEnvelope,
): Command | undefined {
  const head = owed.pendentes[0];
  if (head === undefined || head === 'cancel-order') return undefined;
  return commandOf(UNDO_COMMAND[head], id, { motivo: owed.motivo }, envelope);
}

/** Decides what `event` does to the order `state` (see the module comment). */
export function decideSaga(state: SagaState, event: Event, context: SagaContext): SagaDecision {
  const id = state.id;
  if (event.pedido_id !== id) return ignore(`${event.tipo} is for order ${event.pedido_id}, not ${id}`);

  const envelope: CommandEnvelope = { traceId: event.trace_id, at: context.at };

  function ignore(reason: string): SagaDecision {
    return { kind: 'ignore', reason };
  }

  function apply(
    decision: Omit<Extract<SagaDecision, { kind: 'apply' }>, 'kind' | 'level' | 'fields' | 'commands'> & {
      readonly level?: 'info' | 'warn' | 'error';
      readonly fields?: SagaFields;
      readonly commands?: readonly Command[];
    },
  ): SagaDecision {
    if (decision.to !== undefined) {
      const allowed = transitionPedido(state.status, decision.to);
      if (!allowed.ok) return ignore(`${event.tipo}: ${allowed.reason}`);
    }
    return {
      kind: 'apply',
      ...(decision.to === undefined ? {} : { to: decision.to }),
      fields: decision.fields ?? {},
      commands: decision.commands ?? [],
      history: decision.history,
      level: decision.level ?? 'info',
    };
  }

  /**
   * A forward step succeeded (FORWARD_STEP of the event): the new status (motivo cleared) with
   * `fields`, the next command (its dados from the order as this leaves it) and the history line.
   */
  function advance(step: keyof typeof FORWARD_STEP, mensagem: string, fields: SagaFields = {}): SagaDecision {
    const { to, next: nextTipo, operacao } = FORWARD_STEP[step];
    const next =
      nextTipo === undefined ? undefined : forwardCommandOf({ ...state, ...fields }, nextTipo, envelope);
    return apply({
      ...(to === undefined ? {} : { to }),
      fields: { ...(to === undefined ? {} : { motivo: null }), ...fields },
      commands: next === undefined ? [] : [next],
      history: {
        operacao,
        mensagem,
        detalhes: {
          evento: event.tipo,
          ...(to === undefined ? {} : { de: state.status, para: to }),
          ...(next === undefined ? {} : { comando: next.tipo }),
        },
      },
    });
  }

  /** Cancels an order that holds nothing (no compensation owed). */
  function cancel(motivo: string, detalhes: Readonly<Record<string, unknown>>): SagaDecision {
    return apply({
      to: 'cancelado',
      fields: { motivo, compensacao: null },
      history: {
        operacao: 'pedido_cancelado',
        mensagem: `Pedido ${id} cancelado: ${motivo}`,
        detalhes: { evento: event.tipo, de: state.status, para: 'cancelado', ...detalhes },
      },
      level: 'warn',
    });
  }

  /**
   * Runs the owed actions from the head: a refund or a release is sent (and awaited); a cancel
   * is done now. `operacao`/`mensagem` describe what led here when a command is sent.
   */
  function runCompensation(
    owed: Compensacao,
    lead: { readonly operacao: string; readonly mensagem: string },
    detalhes: Readonly<Record<string, unknown>>,
  ): SagaDecision {
    const next = compensationCommandOf(id, owed, envelope);
    if (next === undefined) return cancel(owed.motivo, { falha: owed.falha, ...detalhes });
    return apply({
      fields: { motivo: owed.motivo, compensacao: owed },
      commands: [next],
      history: {
        operacao: lead.operacao,
        mensagem: lead.mensagem,
        detalhes: {
          evento: event.tipo,
          falha: owed.falha,
          desfazer: owed.pendentes,
          comando: next.tipo,
          ...detalhes,
        },
      },
      level: 'warn',
    });
  }

  /** A failed step: the compensation its failure calls for (compensation.ts), started now. */
  function compensate(
    falha: Falha,
    motivo: string,
    detalhes: Readonly<Record<string, unknown>>,
  ): SagaDecision {
    const plan = planCompensationAt(falha, state.status);
    if (!plan.ok) return ignore(`${event.tipo}: ${plan.reason}`);
    return runCompensation(
      { falha, motivo, pendentes: plan.plan.undo },
      { operacao: 'compensacao_iniciada', mensagem: `Compensação iniciada para o pedido ${id}: ${motivo}` },
      detalhes,
    );
  }

  if (CHAIN_DONE.includes(state.status))
    return ignore(`${event.tipo}: the order is ${state.status}, a final status`);

  // While a compensation is owed, only the answer to its head action fits.
  const owed = state.compensacao;
  if (owed !== null) {
    const head = owed.pendentes[0];
    const awaited = head === undefined || head === 'cancel-order' ? undefined : UNDO_COMMAND[head];
    const answers =
      (event.tipo === 'PAGAMENTO_ESTORNADO' && awaited === 'ESTORNAR_PAGAMENTO') ||
      (event.tipo === 'ESTOQUE_LIBERADO' && awaited === 'LIBERAR_ESTOQUE');
    const refused =
      event.tipo === 'ETAPA_RECUSADA' && awaited !== undefined && event.dados.comando === awaited;
    if (!answers && !refused)
      return ignore(
        `${event.tipo}${event.tipo === 'ETAPA_RECUSADA' ? ` (${event.dados.comando})` : ''} does not answer the compensation in flight (${awaited ?? 'none'})`,
      );
    const rest: Compensacao = { ...owed, pendentes: owed.pendentes.slice(1) };
    if (event.tipo === 'ETAPA_RECUSADA') {
      const what =
        event.dados.comando === 'ESTORNAR_PAGAMENTO' ? 'estorno recusado' : 'liberação de estoque recusada';
      const motivo = `${owed.motivo}; ${what}: ${event.dados.detalhe}`;
      return runCompensation(
        { ...rest, motivo },
        {
          operacao: 'compensacao_recusada',
          mensagem: `Compensação do pedido ${id}: ${what} (${event.dados.codigo}: ${event.dados.detalhe}); seguindo com a próxima ação`,
        },
        { recusado: event.dados.comando, codigo: event.dados.codigo },
      );
    }
    const done =
      event.tipo === 'PAGAMENTO_ESTORNADO'
        ? { operacao: 'pagamento_estornado', mensagem: `Pagamento do pedido ${id} estornado` }
        : { operacao: 'estoque_liberado', mensagem: `Estoque do pedido ${id} liberado` };
    return runCompensation(rest, done, {});
  }

  const awaited = AWAITED[state.status] ?? [];
  const waitsFor = (tipo: CommandType) => awaited.includes(tipo);
  const misfit = () =>
    ignore(
      `${event.tipo} does not fit an order that is ${state.status} (waiting for ${awaited.join(' or ') || 'nothing'})`,
    );

  switch (event.tipo) {
    case 'PEDIDO_CRIADO':
      if (state.status !== 'pendente') return misfit();
      return advance(event.tipo, `Verificação de estoque solicitada para o pedido ${id}`);

    case 'ESTOQUE_VERIFICADO':
      if (!waitsFor('VERIFICAR_ESTOQUE')) return misfit();
      if (!event.dados.disponivel)
        return cancel(`estoque indisponível: ${describeFaltas(event.dados.faltas)}`, {
          faltas: event.dados.faltas,
        });
      return advance(event.tipo, `Estoque disponível para o pedido ${id}; pagamento solicitado`);

    case 'PAGAMENTO_PROCESSADO': {
      if (!waitsFor('PROCESSAR_PAGAMENTO')) return misfit();
      const pagamento = event.dados.pagamento;
      if (!pagamento.sucesso)
        return compensate('payment-rejected', `pagamento rejeitado: ${pagamento.mensagem}`, {
          pagamento_status: pagamento.status,
        });
      return advance(event.tipo, `Pagamento aprovado para o pedido ${id}`);
    }

    case 'ESTOQUE_SEPARADO':
      if (!waitsFor('SEPARAR_ESTOQUE')) return misfit();
      return advance(event.tipo, `Estoque separado para o pedido ${id}`);

    case 'ESTOQUE_INSUFICIENTE':
      if (!waitsFor('SEPARAR_ESTOQUE')) return misfit();
      return compensate('stock-unavailable', `estoque insuficiente: ${describeFaltas(event.dados.faltas)}`, {
        faltas: event.dados.faltas,
      });

    case 'NOTA_FISCAL_EMITIDA': {
      if (!waitsFor('EMITIR_NOTA_FISCAL')) return misfit();
      const nota = event.dados.nota;
      return advance(event.tipo, `Nota fiscal ${nota.numero} emitida para o pedido ${id}`, {
        nota_fiscal_id: nota.nota_fiscal_id,
        numero_nota_fiscal: nota.numero,
      });
    }

    case 'ENVIO_AGENDADO': {
      if (!waitsFor('AGENDAR_ENVIO')) return misfit();
      const codigo = event.dados.envio.codigo_rastreamento;
      return advance(event.tipo, `Pedido ${id} enviado: ${codigo}`, { codigo_rastreamento: codigo });
    }

    case 'PAGAMENTO_ESTORNADO':
    case 'ESTOQUE_LIBERADO':
      return ignore(`${event.tipo}: the order owes no compensation`);

    case 'ETAPA_RECUSADA': {
      const { comando, codigo, detalhe } = event.dados;
      if (!waitsFor(comando))
        return ignore(`ETAPA_RECUSADA (${comando}) does not fit an order that is ${state.status}`);
      const why = `${codigo}: ${detalhe}`;
      const detalhes = { recusado: comando, codigo };
      switch (comando) {
        case 'VERIFICAR_ESTOQUE':
          return cancel(`verificação de estoque recusada: ${why}`, detalhes);
        case 'PROCESSAR_PAGAMENTO':
          return compensate('payment-rejected', `pagamento recusado: ${why}`, detalhes);
        case 'SEPARAR_ESTOQUE':
          return compensate('stock-unavailable', `estoque não separado: ${why}`, detalhes);
        case 'EMITIR_NOTA_FISCAL':
          return compensate('invoice-failed', `nota fiscal não emitida: ${why}`, detalhes);
        case 'AGENDAR_ENVIO': {
          // The nota fiscal is issued: the sale stands, the dispatch waits for an operator.
          const motivo = `envio recusado, aguardando intervenção: ${why}`;
          return apply({
            fields: { motivo },
            history: {
              operacao: 'envio_recusado',
              mensagem: `Pedido ${id}: ${motivo}`,
              detalhes: { evento: event.tipo, ...detalhes },
            },
            level: 'error',
          });
        }
        default:
          return ignore(`ETAPA_RECUSADA (${comando}) is not a forward step`);
      }
    }
  }
}
