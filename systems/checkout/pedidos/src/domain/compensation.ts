/**
 * What to undo when the synchronous checkout chain fails part-way (a saga's compensations).
 * The chain runs pedido → pagamento → estoque → fiscal → logística; undo actions run in the
 * reverse order of the steps that succeeded (stock released before the payment is refunded,
 * the order cancelled last, so the order only reads `cancelado` once nothing is held).
 *
 * Choices:
 * - payment rejected: nothing was charged or held; the order is cancelled.
 * - payment outcome unknown (timeout, connection lost): the charge may have happened, so a
 *   refund is requested anyway. This is safe because a refund of a payment that is not
 *   `aprovado` is a no-op in pagamentos (see its planEstorno), keyed by pedido_id.
 * - stock unavailable: the payment is refunded and the order cancelled (the seed's rule).
 * - stock outcome unknown (timeout, connection lost after sending): the reservation may exist, so
 *   it is released as well; estoque records a release for an order it never saw, so a reserve
 *   call still in flight is refused when it lands.
 * - invoice failure: stock is released, the payment refunded, the order cancelled. The order is
 *   em_separacao at that point, from which cancelado is allowed.
 * - dispatch failure: nothing is undone. The nota fiscal is already issued (order nf_emitida),
 *   a fiscal fact the state machine does not let us cancel (status.ts); the goods and the money
 *   stay where they are and the dispatch is retried until it succeeds or an operator steps in.
 *   A failing carrier is a reason to wait, not a reason to unsell.
 */
import { transitionPedido, type PedidoStatus } from './status.js';

export const FALHAS = [
  'payment-rejected',
  'payment-unknown',
  'stock-unavailable',
  'stock-unknown',
  'invoice-failed',
  'dispatch-failed',
] as const;
/** Where the chain broke. */
export type Falha = (typeof FALHAS)[number];

export type CompensationAction = 'release-stock' | 'refund-payment' | 'cancel-order';

export interface CompensationPlan {
  /** The order's status when this failure can happen. */
  readonly statusAtFailure: PedidoStatus;
  /** Undo actions, in the order to run them. Each must be idempotent (compensations are retried). */
  readonly undo: readonly CompensationAction[];
  /** The order's status once the plan has run. */
  readonly finalStatus: PedidoStatus;
  /** True when the failed step should be retried instead of compensated. */
  readonly retry: boolean;
}

const PLANS: Readonly<Record<Falha, CompensationPlan>> = {
  'payment-rejected': {
    statusAtFailure: 'pendente',
    undo: ['cancel-order'],
    finalStatus: 'cancelado',
    retry: false,
  },
  'payment-unknown': {
    statusAtFailure: 'pendente',
    undo: ['refund-payment', 'cancel-order'],
    finalStatus: 'cancelado',
    retry: false,
  },
  'stock-unavailable': {
    statusAtFailure: 'pagamento_aprovado',
    undo: ['refund-payment', 'cancel-order'],
    finalStatus: 'cancelado',
    retry: false,
  },
  'stock-unknown': {
    statusAtFailure: 'pagamento_aprovado',
    undo: ['release-stock', 'refund-payment', 'cancel-order'],
    finalStatus: 'cancelado',
    retry: false,
  },
  'invoice-failed': {
    statusAtFailure: 'em_separacao',
    undo: ['release-stock', 'refund-payment', 'cancel-order'],
    finalStatus: 'cancelado',
    retry: false,
  },
  'dispatch-failed': { statusAtFailure: 'nf_emitida', undo: [], finalStatus: 'nf_emitida', retry: true },
};

export function isFalha(value: unknown): value is Falha {
  return typeof value === 'string' && (FALHAS as readonly string[]).includes(value);
}

export function planCompensation(falha: Falha): CompensationPlan {
  return PLANS[falha];
}

/**
 * The plan for a failure seen while the order is `status`, or a refusal when that failure
 * cannot happen in that status (e.g. a payment answer for an order already em_separacao: a late
 * or duplicated message that must not cancel anything).
 */
export function planCompensationAt(
  falha: Falha,
  status: PedidoStatus,
): { readonly ok: true; readonly plan: CompensationPlan } | { readonly ok: false; readonly reason: string } {
  const plan = PLANS[falha];
  if (plan.statusAtFailure !== status)
    return {
      ok: false,
      reason: `${falha} is handled while the order is ${plan.statusAtFailure}, but it is ${status}`,
    };
  if (plan.undo.includes('cancel-order') && !transitionPedido(status, 'cancelado').ok)
    return { ok: false, reason: `an order that is ${status} cannot be cancelled` };
  return { ok: true, plan };
}
