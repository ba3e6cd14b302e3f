/**
 * Payment statuses (the seed's `pagamentos.status` values) and the one legal change: an
 * approved payment may be refunded (`estornado`) as a checkout compensation. A rejection is
 * final, and a refund cannot be undone: a new charge would be a new payment.
 */

export const PAGAMENTO_STATUSES = ['aprovado', 'rejeitado', 'estornado'] as const;
export type PagamentoStatus = (typeof PAGAMENTO_STATUSES)[number];

/** The seed's data generator's payment methods. */
export const METODOS_PAGAMENTO = ['cartao_credito', 'boleto', 'pix'] as const;
export type MetodoPagamento = (typeof METODOS_PAGAMENTO)[number];

export function isPagamentoStatus(value: unknown): value is PagamentoStatus {
  return typeof value === 'string' && (PAGAMENTO_STATUSES as readonly string[]).includes(value);
}

export function isMetodoPagamento(value: unknown): value is MetodoPagamento {
  return typeof value === 'string' && (METODOS_PAGAMENTO as readonly string[]).includes(value);
}

export type PagamentoTransition =
  | { readonly ok: true; readonly from: PagamentoStatus; readonly to: PagamentoStatus }
  | { readonly ok: false; readonly reason: string };

export function transitionPagamento(from: PagamentoStatus, to: PagamentoStatus): PagamentoTransition {
  if (from === 'aprovado' && to === 'estornado') return { ok: true, from, to };
  if (from === to) return { ok: false, reason: `the payment is already ${from}` };
  return { ok: false, reason: `a payment that is ${from} cannot become ${to} (only aprovado → estornado)` };
}

/**
 * What a refund request (a compensation, retried until it succeeds) does given the payment's
 * current status, `undefined` when no payment exists for the order:
 * - `refund`: aprovado → estornado.
 * - `already-refunded`: a retry; answer success again, change nothing.
 * - `nothing-to-refund`: rejected or never recorded; nothing was charged, answer success.
 *
 * All three are successes for the caller: a compensation must converge, not fail on a retry.
 * A charge still in flight when the refund arrives: the adapter stores each charge's decision
 * before the simulated wait, so the refund finds it (`refund` when approved); and when no
 * payment exists yet (`undefined`), it records a void for the order, so a delayed charge that
 * arrives later is answered with the void instead of taking the money.
 */
export type EstornoDecision = 'refund' | 'already-refunded' | 'nothing-to-refund';

export function planEstorno(current: PagamentoStatus | undefined): EstornoDecision {
  if (current === 'aprovado') return 'refund';
  if (current === 'estornado') return 'already-refunded';
  return 'nothing-to-refund';
}
