/**
 * The order's life as the seed's `pedidos.status` column records it:
 *
 *   pendente → pagamento_aprovado → em_separacao → nf_emitida → enviado → entregue
 *
 * `entregue` is not in the seed's column comment, but the seed's data generator copies the
 * shipment status `entregue` onto the order, so stored orders can carry it; it is accepted as
 * the last forward step so that such data is valid.
 *
 * `cancelado` is the compensation end state, reachable only from pendente, pagamento_aprovado
 * and em_separacao. Once the nota fiscal is issued the sale is a fiscal fact: undoing it would
 * need an NF-e cancellation at SEFAZ, which this system does not model, so from nf_emitida on an
 * order can only move forward (see compensation.ts for what a late failure does instead).
 *
 * Every step moves one place forward; nothing skips a step and nothing moves back.
 */

import { PEDIDO_STATUS_VALUES, type PedidoStatusValue } from '@dslab/checkout-contracts/ports';

// The list is part of the wire contract (contracts/src/ports.ts); the domain gives it its rules.
export const PEDIDO_STATUSES = PEDIDO_STATUS_VALUES;
export type PedidoStatus = PedidoStatusValue;

const NEXT: Readonly<Record<PedidoStatus, readonly PedidoStatus[]>> = {
  pendente: ['pagamento_aprovado', 'cancelado'],
  pagamento_aprovado: ['em_separacao', 'cancelado'],
  em_separacao: ['nf_emitida', 'cancelado'],
  nf_emitida: ['enviado'],
  enviado: ['entregue'],
  entregue: [],
  cancelado: [],
};

export function isPedidoStatus(value: unknown): value is PedidoStatus {
  return typeof value === 'string' && (PEDIDO_STATUSES as readonly string[]).includes(value);
}

/** The statuses `from` may move to, in chain order. */
export function nextStatuses(from: PedidoStatus): readonly PedidoStatus[] {
  return NEXT[from];
}

/** No transition leaves a terminal status. */
export function isTerminal(status: PedidoStatus): boolean {
  return NEXT[status].length === 0;
}

export function canCancelPedido(status: PedidoStatus): boolean {
  return NEXT[status].includes('cancelado');
}

export type PedidoTransition =
  | { readonly ok: true; readonly from: PedidoStatus; readonly to: PedidoStatus }
  | {
      readonly ok: false;
      /** `same-status`: a retry of a step already done; callers may treat it as a no-op. */
      readonly refusal: 'same-status' | 'terminal' | 'not-allowed';
      readonly reason: string;
    };

/** Decides whether an order may move from `from` to `to`; a refusal says why in plain English. */
export function transitionPedido(from: PedidoStatus, to: PedidoStatus): PedidoTransition {
  if (from === to) return { ok: false, refusal: 'same-status', reason: `the order is already ${from}` };
  if (isTerminal(from))
    return {
      ok: false,
      refusal: 'terminal',
      reason: `the order is ${from}, a final status: it cannot become ${to}`,
    };
  if (!NEXT[from].includes(to))
    return {
      ok: false,
      refusal: 'not-allowed',
      reason: `an order that is ${from} cannot become ${to} (allowed: ${NEXT[from].join(', ')})`,
    };
  return { ok: true, from, to };
}

/**
 * Where the checkout chain ends: the order is shipped (or later delivered) or cancelled, and the
 * orchestrator never drives it again. `enviado` is not terminal for the state machine (it may
 * still become `entregue`), but nothing in the chain moves it.
 */
export const CHAIN_DONE: readonly PedidoStatus[] = ['enviado', 'entregue', 'cancelado'];
