/**
 * The checkout request as the pedidos service receives it: a REST body or a gRPC message,
 * already decoded into plain data but not yet trusted. Validation reports every problem at once,
 * each under the path the client sent (`itens[2].quantidade`), so a client fixes its request in
 * one round trip instead of one error per attempt.
 *
 * Duplicate `produto_id` lines are refused, not merged. Merging would silently change what the
 * client asked for (two lines of 600 would become one line of 1200, past the per-line limit, or
 * would need a second limit on the merged sum), and an idempotent retry would be compared
 * against a request that is not the one stored. A client that wants 5 of a product sends one
 * line with quantidade 5; the error names both lines so the fix is obvious.
 */

import {
  checkId,
  checkIntIn,
  describe,
  isId,
  isRecord,
  MAX_ITENS,
  MAX_QUANTIDADE,
  notAnObject,
  validateLines,
  type FieldError,
  type Validated,
} from '@dslab/checkout-contracts/validation';

export {
  describe,
  isId,
  isRecord,
  MAX_ID,
  MAX_ITENS,
  MAX_QUANTIDADE,
  type FieldError,
  type Validated,
} from '@dslab/checkout-contracts/validation';

export interface ItemPedido {
  readonly produto_id: number;
  readonly quantidade: number;
}

export interface CheckoutRequest {
  readonly cliente_id: number;
  readonly itens: readonly ItemPedido[];
}

/** A required id: absent is `<field> is required`, anything but an id is refused with its range. */
function checkRequiredId(value: unknown, field: string, errors: FieldError[]): void {
  if (value === undefined) errors.push({ field, reason: `${field} is required` });
  else checkId(value, field, errors);
}

/**
 * Validates a decoded checkout request. On success the value holds only the known fields, in
 * the order the client sent the lines (the order is kept: it is the order shown on the invoice).
 *
 * When `itens` has more than MAX_ITENS lines its lines are not inspected one by one, so an
 * oversized request cannot produce an oversized error document.
 */
export function validateCheckoutRequest(input: unknown): Validated<CheckoutRequest> {
  if (!isRecord(input)) return notAnObject(input);
  const errors: FieldError[] = [];
  checkRequiredId(input['cliente_id'], 'cliente_id', errors);

  const rawItens = input['itens'];
  let itens: ItemPedido[] = [];
  if (rawItens === undefined) errors.push({ field: 'itens', reason: 'itens is required' });
  else if (!Array.isArray(rawItens))
    errors.push({ field: 'itens', reason: `itens must be an array (got ${describe(rawItens)})` });
  else if (rawItens.length === 0) errors.push({ field: 'itens', reason: 'itens must have at least 1 item' });
  else if (rawItens.length > MAX_ITENS)
    errors.push({
      field: 'itens',
      reason: `itens must have at most ${MAX_ITENS} items (it has ${rawItens.length})`,
    });
  else {
    const firstLineOf = new Map<number, number>();
    itens = validateLines(rawItens as readonly unknown[], 'itens', errors, (raw, at, i) => {
      const produto = raw['produto_id'];
      const quantidade = raw['quantidade'];
      const before = errors.length;
      checkRequiredId(produto, `${at}.produto_id`, errors);
      if (quantidade === undefined)
        errors.push({ field: `${at}.quantidade`, reason: `${at}.quantidade is required` });
      else checkIntIn(quantidade, `${at}.quantidade`, 1, MAX_QUANTIDADE, errors);
      if (isId(produto)) {
        const first = firstLineOf.get(produto);
        if (first === undefined) firstLineOf.set(produto, i);
        else
          errors.push({
            field: `${at}.produto_id`,
            reason: `${at}.produto_id repeats produto_id ${produto} of itens[${first}]: send one line per product with the total quantidade`,
          });
      }
      return errors.length === before && isId(produto) && typeof quantidade === 'number'
        ? { produto_id: produto, quantidade }
        : undefined;
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { cliente_id: input['cliente_id'] as number, itens } };
}
