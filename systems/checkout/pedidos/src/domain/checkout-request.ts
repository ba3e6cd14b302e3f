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

/** At most this many lines per order: bounds the work (and the answer) for one request. */
export const MAX_ITENS = 50;
/** Per line. With MAX_ITENS this caps one order at 50 000 units. */
export const MAX_QUANTIDADE = 1000;
/**
 * Ids are positive and fit in a signed 32-bit integer: the seed's proto messages use `int32`
 * for ids, so an id outside that range could not cross the gRPC wire anyway.
 */
export const MAX_ID = 2_147_483_647;

export interface ItemPedido {
  readonly produto_id: number;
  readonly quantidade: number;
}

export interface CheckoutRequest {
  readonly cliente_id: number;
  readonly itens: readonly ItemPedido[];
}

/** One problem with one field of the input. `field` is a path such as `itens[0].produto_id`. */
export interface FieldError {
  readonly field: string;
  readonly reason: string;
}

export type Validated<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly FieldError[] };

/** A positive integer id within MAX_ID. */
export function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= MAX_ID;
}

export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short rendering of a received value for error messages (never the whole of a big value). */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return JSON.stringify(shown);
  }
  return typeof value;
}

function checkId(value: unknown, field: string, errors: FieldError[]): void {
  if (value === undefined) errors.push({ field, reason: `${field} is required` });
  else if (!isId(value))
    errors.push({
      field,
      reason: `${field} must be an integer from 1 to ${MAX_ID} (got ${describe(value)})`,
    });
}

/**
 * Validates a decoded checkout request. On success the value holds only the known fields, in
 * the order the client sent the lines (the order is kept: it is the order shown on the invoice).
 *
 * When `itens` has more than MAX_ITENS lines its lines are not inspected one by one, so an
 * oversized request cannot produce an oversized error document.
 */
export function validateCheckoutRequest(input: unknown): Validated<CheckoutRequest> {
  if (!isRecord(input))
    return {
      ok: false,
      errors: [{ field: '', reason: `the request must be an object (got ${describe(input)})` }],
    };
  const errors: FieldError[] = [];
  checkId(input['cliente_id'], 'cliente_id', errors);

  const rawItens = input['itens'];
  const itens: ItemPedido[] = [];
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
    (rawItens as readonly unknown[]).forEach((raw, i) => {
      const at = `itens[${i}]`;
      if (!isRecord(raw)) {
        errors.push({ field: at, reason: `${at} must be an object (got ${describe(raw)})` });
        return;
      }
      const produto = raw['produto_id'];
      const quantidade = raw['quantidade'];
      const before = errors.length;
      checkId(produto, `${at}.produto_id`, errors);
      if (quantidade === undefined)
        errors.push({ field: `${at}.quantidade`, reason: `${at}.quantidade is required` });
      else if (
        typeof quantidade !== 'number' ||
        !Number.isInteger(quantidade) ||
        quantidade < 1 ||
        quantidade > MAX_QUANTIDADE
      )
        errors.push({
          field: `${at}.quantidade`,
          reason: `${at}.quantidade must be an integer from 1 to ${MAX_QUANTIDADE} (got ${describe(quantidade)})`,
        });
      if (isId(produto)) {
        const first = firstLineOf.get(produto);
        if (first === undefined) firstLineOf.set(produto, i);
        else
          errors.push({
            field: `${at}.produto_id`,
            reason: `${at}.produto_id repeats produto_id ${produto} of itens[${first}]: send one line per product with the total quantidade`,
          });
      }
      if (errors.length === before && isId(produto) && typeof quantidade === 'number')
        itens.push({ produto_id: produto, quantidade });
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { cliente_id: input['cliente_id'] as number, itens } };
}
