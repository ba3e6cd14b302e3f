/**
 * The SepararEstoque request as the estoque entry points receive it, validated before any
 * stock rule runs; every problem is listed at once. Lines for the same product are allowed
 * (they are summed by aggregate): the stock does not care how the order was typed.
 */
import type { ItemEstoque } from './reserva.js';

export const MAX_ITENS = 50;
export const MAX_QUANTIDADE = 1000;
/** int32, as the seed's proto declares ids. */
export const MAX_ID = 2_147_483_647;

export interface SepararRequest {
  readonly pedido_id: number;
  readonly itens: readonly ItemEstoque[];
}

export interface FieldError {
  readonly field: string;
  readonly reason: string;
}

export type Validated<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly FieldError[] };

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

export function validateSepararRequest(input: unknown): Validated<SepararRequest> {
  if (!isRecord(input))
    return {
      ok: false,
      errors: [{ field: '', reason: `the request must be an object (got ${shown(input)})` }],
    };
  const errors: FieldError[] = [];
  const pedido_id = input['pedido_id'];
  if (!isIntIn(pedido_id, 1, MAX_ID))
    errors.push({
      field: 'pedido_id',
      reason: `pedido_id must be an integer from 1 to ${MAX_ID} (got ${shown(pedido_id)})`,
    });
  const raw = input['itens'];
  const itens: ItemEstoque[] = [];
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > MAX_ITENS)
    errors.push({
      field: 'itens',
      reason: `itens must be an array of 1 to ${MAX_ITENS} items (got ${Array.isArray(raw) ? `${raw.length} items` : shown(raw)})`,
    });
  else
    (raw as readonly unknown[]).forEach((item, i) => {
      const at = `itens[${i}]`;
      if (!isRecord(item)) {
        errors.push({ field: at, reason: `${at} must be an object (got ${shown(item)})` });
        return;
      }
      const { produto_id, quantidade } = item;
      if (!isIntIn(produto_id, 1, MAX_ID))
        errors.push({
          field: `${at}.produto_id`,
          reason: `${at}.produto_id must be an integer from 1 to ${MAX_ID} (got ${shown(produto_id)})`,
        });
      if (!isIntIn(quantidade, 1, MAX_QUANTIDADE))
        errors.push({
          field: `${at}.quantidade`,
          reason: `${at}.quantidade must be an integer from 1 to ${MAX_QUANTIDADE} (got ${shown(quantidade)})`,
        });
      if (isIntIn(produto_id, 1, MAX_ID) && isIntIn(quantidade, 1, MAX_QUANTIDADE))
        itens.push({ produto_id, quantidade });
    });
  if (errors.length > 0 || !isIntIn(pedido_id, 1, MAX_ID)) return { ok: false, errors };
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
  if (!isRecord(input))
    return {
      ok: false,
      errors: [{ field: '', reason: `the request must be an object (got ${shown(input)})` }],
    };
  const errors: FieldError[] = [];
  const pedido_id = input['pedido_id'];
  if (!isIntIn(pedido_id, 1, MAX_ID))
    errors.push({
      field: 'pedido_id',
      reason: `pedido_id must be an integer from 1 to ${MAX_ID} (got ${shown(pedido_id)})`,
    });
  const raw = input['motivo'] ?? '';
  let motivo = '';
  if (typeof raw !== 'string')
    errors.push({ field: 'motivo', reason: `motivo must be a string (got ${shown(raw)})` });
  else if (raw.trim().length > MAX_MOTIVO)
    errors.push({
      field: 'motivo',
      reason: `motivo must have at most ${MAX_MOTIVO} characters (got ${raw.trim().length})`,
    });
  else motivo = raw.trim();
  if (errors.length > 0 || !isIntIn(pedido_id, 1, MAX_ID)) return { ok: false, errors };
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
    return { ok: false, errors: [{ field, reason: `${field} must be an array (got ${shown(input)})` }] };
  const list = input as readonly unknown[];
  if (list.length > MAX_CONSULTA_IDS)
    return {
      ok: false,
      errors: [
        { field, reason: `${field} may name at most ${MAX_CONSULTA_IDS} products (got ${list.length})` },
      ],
    };
  const errors: FieldError[] = [];
  const ids = new Set<number>();
  list.forEach((id, i) => {
    if (isIntIn(id, 1, MAX_ID)) ids.add(id);
    else
      errors.push({
        field: `${field}[${i}]`,
        reason: `${field}[${i}] must be an integer from 1 to ${MAX_ID} (got ${shown(id)})`,
      });
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: [...ids].sort((a, b) => a - b) };
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
        reason: `produto_ids[${i}] must be an integer from 1 to ${MAX_ID} (got ${shown(part)})`,
      });
    return n;
  });
  if (errors.length > 0) return { ok: false, errors };
  return validateProdutoIds(ids);
}
