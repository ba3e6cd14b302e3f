/**
 * The SepararEstoque request as the estoque entry points receive it, validated before any
 * stock rule runs; every problem is listed at once. Lines for the same product are allowed
 * (they are summed by aggregate): the stock does not care how the order was typed.
 */
import {
  checkId,
  checkIntIn,
  collectIds,
  describe,
  isId,
  isRecord,
  MAX_ID,
  MAX_ITENS,
  MAX_QUANTIDADE,
  notAnObject,
  validateLines,
  type FieldError,
  type Validated,
} from '@dslab/checkout-contracts/validation';
import type { ItemEstoque } from './reserva.js';

export {
  MAX_ID,
  MAX_ITENS,
  MAX_QUANTIDADE,
  type FieldError,
  type Validated,
} from '@dslab/checkout-contracts/validation';

export interface SepararRequest {
  readonly pedido_id: number;
  readonly itens: readonly ItemEstoque[];
}

export function validateSepararRequest(input: unknown): Validated<SepararRequest> {
  if (!isRecord(input)) return notAnObject(input);
  const errors: FieldError[] = [];
  const pedido_id = input['pedido_id'];
  checkId(pedido_id, 'pedido_id', errors);
  const raw = input['itens'];
  let itens: ItemEstoque[] = [];
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > MAX_ITENS)
    errors.push({
      field: 'itens',
      reason: `itens must be an array of 1 to ${MAX_ITENS} items (got ${Array.isArray(raw) ? `${raw.length} items` : describe(raw)})`,
    });
  else
    itens = validateLines(raw as readonly unknown[], 'itens', errors, (item, at) => {
      const { produto_id, quantidade } = item;
      const produtoOk = checkId(produto_id, `${at}.produto_id`, errors);
      const quantidadeOk = checkIntIn(quantidade, `${at}.quantidade`, 1, MAX_QUANTIDADE, errors);
      return produtoOk && quantidadeOk ? { produto_id, quantidade } : undefined;
    });
  if (errors.length > 0 || !isId(pedido_id)) return { ok: false, errors };
  return { ok: true, value: { pedido_id, itens } };
}

/** Longest `motivo` kept with a release (it is a note for people, not a document). */
export const MAX_MOTIVO = 500;

export interface LiberarRequest {
  readonly pedido_id: number;
  /** Trimmed; may be empty (a compensation is never refused for a missing note). */
  readonly motivo: string;
}

/**
 * The LiberarEstoque request. A release is a compensation, so only what would corrupt the record
 * is refused: a bad pedido_id, a motivo that is not a string or is longer than MAX_MOTIVO
 * characters. An absent motivo reads as empty.
 */
export function validateLiberarRequest(input: unknown): Validated<LiberarRequest> {
  if (!isRecord(input)) return notAnObject(input);
  const errors: FieldError[] = [];
  const pedido_id = input['pedido_id'];
  checkId(pedido_id, 'pedido_id', errors);
  const raw = input['motivo'] ?? '';
  let motivo = '';
  if (typeof raw !== 'string')
    errors.push({ field: 'motivo', reason: `motivo must be a string (got ${describe(raw)})` });
  else if (raw.trim().length > MAX_MOTIVO)
    errors.push({
      field: 'motivo',
      reason: `motivo must have at most ${MAX_MOTIVO} characters (got ${raw.trim().length})`,
    });
  else motivo = raw.trim();
  if (errors.length > 0 || !isId(pedido_id)) return { ok: false, errors };
  return { ok: true, value: { pedido_id, motivo } };
}

/** Most products one ConsultarEstoque call may name. */
export const MAX_CONSULTA_IDS = 1000;

/**
 * The product ids of a stock query: 0 to MAX_CONSULTA_IDS ids, each an integer from 1 to MAX_ID.
 * Answers them deduplicated in ascending order; an empty list means every product.
 */
export function validateProdutoIds(input: unknown, field = 'produto_ids'): Validated<number[]> {
  if (!Array.isArray(input))
    return { ok: false, errors: [{ field, reason: `${field} must be an array (got ${describe(input)})` }] };
  const list = input as readonly unknown[];
  if (list.length > MAX_CONSULTA_IDS)
    return {
      ok: false,
      errors: [
        { field, reason: `${field} may name at most ${MAX_CONSULTA_IDS} products (got ${list.length})` },
      ],
    };
  const errors: FieldError[] = [];
  const ids = collectIds(list, field, errors);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: ids };
}

const DECIMAL_ID = /^[1-9][0-9]{0,9}$/;

/**
 * `?produto_ids=3,1,2` as the REST query carries it: a comma-separated list of decimal ids (no
 * signs, spaces, exponents or leading zeros). Absent or empty means every product.
 */
export function parseProdutoIdsParam(text: string | undefined): Validated<number[]> {
  if (text === undefined || text === '') return { ok: true, value: [] };
  const parts = text.split(',');
  if (parts.length > MAX_CONSULTA_IDS)
    return {
      ok: false,
      errors: [
        {
          field: 'produto_ids',
          reason: `produto_ids may name at most ${MAX_CONSULTA_IDS} products (got ${parts.length})`,
        },
      ],
    };
  const errors: FieldError[] = [];
  const ids = parts.map((part, i) => {
    const n = DECIMAL_ID.test(part) ? Number(part) : Number.NaN;
    if (!(n <= MAX_ID))
      errors.push({
        field: `produto_ids[${i}]`,
        reason: `produto_ids[${i}] must be an integer from 1 to ${MAX_ID} (got ${describe(part)})`,
      });
    return n;
  });
  if (errors.length > 0) return { ok: false, errors };
  return validateProdutoIds(ids);
}
