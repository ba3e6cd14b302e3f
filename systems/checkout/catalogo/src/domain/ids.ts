/**
 * The ids of a pricing query (`POST /produtos/consulta {ids}`, gRPC ObterProdutos): what pedidos
 * asks before it prices an order. At least one id, at most MAX_IDS, each a positive int32 (the
 * proto's type). Repeats are allowed and answered once.
 */

import {
  collectIds,
  describe,
  MAX_ID,
  type FieldError,
  type Validated,
} from '@dslab/checkout-contracts/validation';

export const MAX_IDS = 1000;
/** int32, as the proto declares ids. */
export const MAX_PRODUTO_ID = MAX_ID;

export type IdsError = FieldError;

export type IdsValidation = Validated<readonly number[]>;

/** Validates `ids`; answers them deduplicated and ascending (the answer's order). */
export function validateProdutoIds(input: unknown, field = 'ids'): IdsValidation {
  if (!Array.isArray(input) || input.length < 1 || input.length > MAX_IDS)
    return {
      ok: false,
      errors: [
        {
          field,
          reason: `${field} must be an array of 1 to ${MAX_IDS} product ids (got ${Array.isArray(input) ? `${input.length} ids` : describe(input, 20)})`,
        },
      ],
    };
  const errors: IdsError[] = [];
  const ids = collectIds(input as readonly unknown[], field, errors);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: ids };
}
