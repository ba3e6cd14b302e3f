/**
 * The request to issue an order's nota fiscal, as fiscal receives it over REST or gRPC: decoded
 * but not yet trusted. Validation lists every problem at once, each under the path the client
 * sent (`itens[2].quantidade`), and checks what a JSON schema cannot: that the total is exactly
 * Σ quantidade × preco_unitario_centavos of the lines, computed without leaving the safe-integer
 * range, so an invoice never states a total its own lines contradict.
 */

import {
  checkId,
  checkIntIn,
  describe,
  isCentavos,
  isId,
  isRecord,
  MAX_INT32,
  MAX_ITENS,
  notAnObject,
  validateLines,
  type FieldError,
  type Validated,
} from '@dslab/checkout-contracts/validation';

export {
  isId,
  MAX_ID,
  MAX_ITENS,
  type FieldError,
  type Validated,
} from '@dslab/checkout-contracts/validation';

/** Units per line: int32, the proto's type of `quantidade`. */
export const MAX_QUANTIDADE = MAX_INT32;

export interface ItemNota {
  readonly produto_id: number;
  readonly quantidade: number;
  readonly preco_unitario_centavos: number;
}

export interface EmissaoRequest {
  readonly pedido_id: number;
  readonly valor_centavos: number;
  readonly itens: readonly ItemNota[];
}

/**
 * Σ quantidade × preco_unitario_centavos, or undefined when a product or the sum leaves the
 * safe-integer range (the lines must already be valid).
 */
export function totalCentavos(itens: readonly ItemNota[]): number | undefined {
  let total = 0;
  for (const item of itens) {
    const line = item.quantidade * item.preco_unitario_centavos;
    total += line;
    if (!Number.isSafeInteger(line) || !Number.isSafeInteger(total)) return undefined;
  }
  return total;
}

/**
 * pedido_id: an id; valor_centavos: a non-negative safe integer equal to the lines' total;
 * itens: 1 to MAX_ITENS lines of { produto_id id, quantidade 1..MAX_QUANTIDADE,
 * preco_unitario_centavos non-negative safe integer }. Lines keep the client's order (the order
 * printed on the invoice); a product listed twice is kept as sent (the seed's orders do that).
 */
export function validateEmissaoRequest(input: unknown): Validated<EmissaoRequest> {
  if (!isRecord(input)) return notAnObject(input);
  const errors: FieldError[] = [];
  const { pedido_id, valor_centavos, itens } = input;
  checkId(pedido_id, 'pedido_id', errors);
  if (!isCentavos(valor_centavos))
    errors.push({
      field: 'valor_centavos',
      reason: `valor_centavos must be a whole number of centavos from 0 to ${Number.MAX_SAFE_INTEGER} (got ${describe(valor_centavos)})`,
    });
  let lines: ItemNota[] = [];
  let linesOk = false;
  if (!Array.isArray(itens)) {
    errors.push({ field: 'itens', reason: `itens must be a list of lines (got ${describe(itens)})` });
  } else if (itens.length < 1 || itens.length > MAX_ITENS) {
    errors.push({
      field: 'itens',
      reason: `itens must have from 1 to ${MAX_ITENS} lines (got ${itens.length})`,
    });
  } else {
    const before = errors.length;
    lines = validateLines(itens as readonly unknown[], 'itens', errors, (item, at) => {
      const { produto_id, quantidade, preco_unitario_centavos } = item;
      checkId(produto_id, `${at}.produto_id`, errors);
      checkIntIn(quantidade, `${at}.quantidade`, 1, MAX_QUANTIDADE, errors);
      if (!isCentavos(preco_unitario_centavos))
        errors.push({
          field: `${at}.preco_unitario_centavos`,
          reason: `${at}.preco_unitario_centavos must be a whole number of centavos ≥ 0 (got ${describe(preco_unitario_centavos)})`,
        });
      return isId(produto_id) && typeof quantidade === 'number' && isCentavos(preco_unitario_centavos)
        ? { produto_id, quantidade, preco_unitario_centavos }
        : undefined;
    });
    linesOk = errors.length === before;
  }
  if (linesOk) {
    const total = totalCentavos(lines);
    if (total === undefined)
      errors.push({
        field: 'itens',
        reason: `the lines' total exceeds ${Number.MAX_SAFE_INTEGER} centavos`,
      });
    else if (isCentavos(valor_centavos) && valor_centavos !== total)
      errors.push({
        field: 'valor_centavos',
        reason: `valor_centavos (${valor_centavos}) must equal the sum of quantidade × preco_unitario_centavos of the lines (${total})`,
      });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: { pedido_id: pedido_id as number, valor_centavos: valor_centavos as number, itens: lines },
  };
}
