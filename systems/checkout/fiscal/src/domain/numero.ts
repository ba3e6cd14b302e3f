/**
 * The nota fiscal's `numero` as stored in the seed's `notas_fiscais.numero` (TEXT UNIQUE): the
 * seed writes `NF<5 random digits>-<pedido_id>`. We keep that shape but use the real invoice
 * number (nNF, the one inside the chave de acesso) instead of random digits, so the displayed
 * number and the key agree: `NF<nNF>-<pedido_id>`, nNF without leading zeros. Values written by
 * the seed's generator match the same pattern.
 *
 * nNF is a sequence per série (1..999 999 999) that the adapter allocates in a transaction;
 * nextNumeroNf is the rule it applies.
 */
import { MAX_NUMERO_NF } from './chave-acesso.js';

export const NUMERO_NF_PATTERN = /^NF([1-9][0-9]{0,8})-([1-9][0-9]{0,9})$/;

export function formatNumeroNf(nNF: number, pedido_id: number): string {
  if (!Number.isInteger(nNF) || nNF < 1 || nNF > MAX_NUMERO_NF)
    throw new RangeError(`nNF out of range: ${nNF}`);
  if (!Number.isSafeInteger(pedido_id) || pedido_id < 1)
    throw new RangeError(`pedido_id out of range: ${pedido_id}`);
  return `NF${nNF}-${pedido_id}`;
}

export function parseNumeroNf(
  text: string,
): { readonly nNF: number; readonly pedido_id: number } | undefined {
  const m = NUMERO_NF_PATTERN.exec(text);
  if (m === null) return undefined;
  return { nNF: Number(m[1]), pedido_id: Number(m[2]) };
}

/**
 * The number after `last` in a série (`undefined` when the série has none yet). When the série
 * is exhausted, issuing must move to another série: that is an operator's decision, so it is
 * reported, not wrapped around (a repeated number would be a duplicate invoice).
 */
export function nextNumeroNf(
  last: number | undefined,
): { readonly ok: true; readonly nNF: number } | { readonly ok: false; readonly reason: string } {
  const next = (last ?? 0) + 1;
  if (next > MAX_NUMERO_NF)
    return {
      ok: false,
      reason: `the série has used every number up to ${MAX_NUMERO_NF}; issue on another série`,
    };
  return { ok: true, nNF: next };
}
