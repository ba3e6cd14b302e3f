/**
 * Stalled orders (seed 004): what an order of the asynchronous checkout is waiting for, so that a
 * message lost on the way (the embedded mode's in-memory queues die with the process, a dead-letter
 * queue is deleted, a bug) can be sent again instead of leaving the order where it is forever.
 *
 * The saga sends one command at a time and waits for its answer; which command that is follows
 * from the stored order alone, plus one fact the order does not record:
 *
 *   compensation owed         → its head action's command (ESTORNAR_PAGAMENTO / LIBERAR_ESTOQUE);
 *                               a head `cancel-order` is done by the saga itself: nothing owed
 *   pendente                  → VERIFICAR_ESTOQUE until the availability answer was processed,
 *                               then PROCESSAR_PAGAMENTO (the fact: `stockChecked`)
 *   pagamento_aprovado        → SEPARAR_ESTOQUE
 *   em_separacao              → EMITIR_NOTA_FISCAL
 *   nf_emitida                → AGENDAR_ENVIO (also after a refusal: the dispatch is retried
 *                               until it succeeds or an operator steps in, see compensation.ts)
 *   enviado, entregue, cancelado → nothing
 *
 * The command is built exactly as the saga builds it (forwardCommandOf, compensationCommandOf),
 * so the step service gets the same request it would have got the first time. Sending it again is
 * safe because every step is idempotent per order and every answer has a deterministic id the
 * orchestrator's inbox recognises (docs/checkout-async.md, "Stalled orders").
 *
 * Pure: no I/O, no clock.
 */
import type { Command, CommandType } from '@dslab/checkout-contracts/messages';
import {
  compensationCommandOf,
  forwardCommandOf,
  UNDO_COMMAND,
  type CommandEnvelope,
  type ForwardCommandType,
  type SagaState,
} from './saga.js';
import { CHAIN_DONE, type PedidoStatus } from './status.js';

/** What the order itself does not record, looked up by the caller. */
export interface OwedFacts {
  /**
   * The orchestrator has processed estoque's answer to VERIFICAR_ESTOQUE (its inbox holds
   * `estoque:<id>:ESTOQUE_VERIFICADO`). Only read while the order is pendente.
   */
  readonly stockChecked: boolean;
}

/** The forward step each status waits for (pendente: see owedStepOf). */
const FORWARD_STEP: Partial<Readonly<Record<PedidoStatus, ForwardCommandType>>> = {
  pagamento_aprovado: 'SEPARAR_ESTOQUE',
  em_separacao: 'EMITIR_NOTA_FISCAL',
  nf_emitida: 'AGENDAR_ENVIO',
};

/** The command type the order waits an answer for, or undefined when it waits for none. */
export function owedStepOf(state: SagaState, facts: OwedFacts): CommandType | undefined {
  if (CHAIN_DONE.includes(state.status)) return undefined;
  if (state.compensacao !== null) {
    const head = state.compensacao.pendentes[0];
    return head === undefined || head === 'cancel-order' ? undefined : UNDO_COMMAND[head];
  }
  if (state.status === 'pendente') return facts.stockChecked ? 'PROCESSAR_PAGAMENTO' : 'VERIFICAR_ESTOQUE';
  return FORWARD_STEP[state.status];
}

/**
 * The command the order is waiting for, built as the saga builds it, or undefined when it waits
 * for none (a final status, a compensation whose head is the cancel, an nf_emitida order without
 * its nota fiscal: nothing a re-send could fix).
 */
export function owedCommandOf(
  state: SagaState,
  facts: OwedFacts,
  envelope: CommandEnvelope,
): Command | undefined {
  const tipo = owedStepOf(state, facts);
  if (tipo === undefined) return undefined;
  if (state.compensacao !== null) return compensationCommandOf(state.id, state.compensacao, envelope);
  if (tipo === 'AGENDAR_ENVIO' && (state.nota_fiscal_id === null || state.numero_nota_fiscal === null))
    return undefined;
  return forwardCommandOf(state, tipo as ForwardCommandType, envelope);
}

/** The back-off exponent stops growing here: the wait is at most 2^6 = 64 × the threshold. */
export const MAX_BACKOFF_EXPONENT = 6;

/**
 * How long an order that was already redriven `tentativas` times must stay untouched before it
 * is redriven again: `stallAfterMs × 2^min(tentativas, 6)`.
 */
export function stallThresholdMs(stallAfterMs: number, tentativas: number): number {
  return stallAfterMs * 2 ** Math.min(Math.max(tentativas, 0), MAX_BACKOFF_EXPONENT);
}

/** The id of the n-th re-send of `command`: new, so the step worker's inbox does not skip it. */
export function redriveMessageId(command: Pick<Command, 'pedido_id' | 'tipo'>, attempt: number): string {
  return `pedidos:${command.pedido_id}:${command.tipo}:reenvio-${attempt}`;
}

/** Where the order stands, for the history: `pagamento_aprovado` or `pagamento_aprovado (compensação: …)`. */
function where(state: SagaState): string {
  return state.compensacao === null
    ? state.status
    : `${state.status} (compensação: ${state.compensacao.motivo})`;
}

/** The history line of a re-send (an `operacoes` row `etapa_reenviada`, logged at warn). */
export function redriveMessage(state: SagaState, command: Command, since: string, attempt: number): string {
  return `Pedido ${state.id} parado em ${where(state)} desde ${since}; ${command.tipo} reenviado (tentativa ${attempt})`;
}

/** The history line when the re-sends are used up (an `operacoes` row `reenvio_esgotado`, logged at error). */
export function exhaustedMessage(
  state: SagaState,
  tipo: CommandType,
  since: string,
  maxRedrives: number,
): string {
  return (
    `Pedido ${state.id} parado em ${where(state)} desde ${since}: ${tipo} já reenviado ${maxRedrives} vez(es) sem resposta; ` +
    'reenvio automático encerrado, aguardando intervenção (veja as filas de mensagens mortas: npm run checkout -- dlq)'
  );
}
