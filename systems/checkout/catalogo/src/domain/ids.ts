/**
 * The ids of a pricing query (`POST /produtos/consulta {ids}`, gRPC ObterProdutos): what pedidos
 * asks before it prices an order. At least one id, at most MAX_IDS, each a positive int32 (the
 * proto's type). Repeats are allowed and answered once.
 */

export const MAX_IDS = 1000;
/** int32, as the proto declares ids. */
export const MAX_PRODUTO_ID = 2_147_483_647;

export interface IdsError {
  readonly field: string;
  readonly reason: string;
}

export type IdsValidation =
  | { readonly ok: true; readonly value: readonly number[] }
  | { readonly ok: false; readonly errors: readonly IdsError[] };

function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

/** Validates `ids`; answers them deduplicated and ascending (the answer's order). */
export function validateProdutoIds(input: unknown, field = 'ids'): IdsValidation {
  if (!Array.isArray(input) || input.length < 1 || input.length > MAX_IDS)
    return {
      ok: false,
      errors: [
        {
          field,
          reason: `${field} must be an array of 1 to ${MAX_IDS} product ids (got ${Array.isArray(input) ? `${input.length} ids` : shown(input)})`,
        },
      ],
    };
  const errors: IdsError[] = [];
  const ids = new Set<number>();
  (input as readonly unknown[]).forEach((id, i) => {
    if (typeof id === 'number' && Number.isInteger(id) && id >= 1 && id <= MAX_PRODUTO_ID) ids.add(id);
    else
      errors.push({
        field: `${field}[${i}]`,
        reason: `${field}[${i}] must be an integer from 1 to ${MAX_PRODUTO_ID} (got ${shown(id)})`,
      });
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: [...ids].sort((a, b) => a - b) };
}
