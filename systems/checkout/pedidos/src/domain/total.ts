/**
 * The order total in integer centavos (DESIGN §3: money is never a float). Unit prices come
 * from the catalogue at checkout time and are copied onto each line, so a later price change
 * does not alter an order already placed.
 *
 * Overflow: a total past Number.MAX_SAFE_INTEGER centavos (≈ 90 trillion reais) cannot be
 * represented exactly in a JS number and would be stored wrong without any error. It cannot
 * happen with sane prices, which is exactly why it is checked: a corrupt price must be refused,
 * not summed.
 */
import type { FieldError, ItemPedido } from './checkout-request.js';

export interface LinhaPrecificada {
  readonly produto_id: number;
  readonly quantidade: number;
  readonly preco_unitario_centavos: number;
  readonly subtotal_centavos: number;
}

export interface TotalPedido {
  readonly itens: readonly LinhaPrecificada[];
  readonly valor_total_centavos: number;
}

export type TotalResult =
  | { readonly ok: true; readonly value: TotalPedido }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/** A price a line may carry: a whole, non-negative number of centavos that is exactly representable. */
export function isCentavos(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/**
 * Prices every line from `precos` (produto_id → unit price in centavos) and sums them.
 * Every unknown product and every bad price is reported; overflow is reported once, naming the
 * first line at which the running total (or the line itself) left the safe-integer range.
 */
export function computeTotal(itens: readonly ItemPedido[], precos: ReadonlyMap<number, number>): TotalResult {
  const errors: FieldError[] = [];
  const linhas: LinhaPrecificada[] = [];
  let total = 0;
  let overflowed = false;
  itens.forEach((item, i) => {
    const field = `itens[${i}].produto_id`;
    const preco = precos.get(item.produto_id);
    if (preco === undefined) {
      errors.push({ field, reason: `produto_id ${item.produto_id} is not in the catalogue` });
      return;
    }
    if (!isCentavos(preco)) {
      errors.push({
        field,
        reason: `produto_id ${item.produto_id} has an invalid unit price ${preco} (expected whole centavos ≥ 0)`,
      });
      return;
    }
    const subtotal = item.quantidade * preco;
    // Both operands are safe integers, so an exact result above MAX_SAFE_INTEGER rounds to a
    // value that is still above it: the checks below cannot be fooled by rounding.
    if (!overflowed && (!Number.isSafeInteger(subtotal) || !Number.isSafeInteger(total + subtotal))) {
      overflowed = true;
      errors.push({
        field: 'itens',
        reason: `the order total exceeds ${Number.MAX_SAFE_INTEGER} centavos at itens[${i}]`,
      });
    }
    if (!overflowed) total += subtotal;
    linhas.push({
      produto_id: item.produto_id,
      quantidade: item.quantidade,
      preco_unitario_centavos: preco,
      subtotal_centavos: subtotal,
    });
  });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { itens: linhas, valor_total_centavos: total } };
}
