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
