/**
 * The request to issue an order's nota fiscal, as fiscal receives it over REST or gRPC: decoded
 * but not yet trusted. Validation lists every problem at once, each under the path the client
 * sent (`itens[2].quantidade`), and checks what a JSON schema cannot: that the total is exactly
 * Σ quantidade × preco_unitario_centavos of the lines, computed without leaving the safe-integer
 * range, so an invoice never states a total its own lines contradict.
 */

/** Ids are positive int32: the protos declare them `int32`. */
export const MAX_ID = 2_147_483_647;
/** Lines per invoice: the same bound pedidos puts on an order. */
export const MAX_ITENS = 50;
/** Units per line: int32, the proto's type of `quantidade`. */
export const MAX_QUANTIDADE = 2_147_483_647;

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

export interface FieldError {
  readonly field: string;
  readonly reason: string;
}

export type Validated<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly FieldError[] };

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short rendering of a received value for error messages (never the whole of a big value). */
function shown(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value;
}

export function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_ID;
}

function isCentavos(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkId(value: unknown, field: string, errors: FieldError[]): void {
  if (!isId(value))
    errors.push({ field, reason: `${field} must be an integer from 1 to ${MAX_ID} (got ${shown(value)})` });
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
  if (!isRecord(input))
    return {
      ok: false,
      errors: [{ field: '', reason: `the request must be an object (got ${shown(input)})` }],
    };
  const errors: FieldError[] = [];
  const { pedido_id, valor_centavos, itens } = input;
  checkId(pedido_id, 'pedido_id', errors);
  if (!isCentavos(valor_centavos))
    errors.push({
      field: 'valor_centavos',
      reason: `valor_centavos must be a whole number of centavos from 0 to ${Number.MAX_SAFE_INTEGER} (got ${shown(valor_centavos)})`,
    });
  const lines: ItemNota[] = [];
  let linesOk = false;
  if (!Array.isArray(itens)) {
    errors.push({ field: 'itens', reason: `itens must be a list of lines (got ${shown(itens)})` });
  } else if (itens.length < 1 || itens.length > MAX_ITENS) {
    errors.push({
      field: 'itens',
      reason: `itens must have from 1 to ${MAX_ITENS} lines (got ${itens.length})`,
    });
  } else {
    const before = errors.length;
    (itens as readonly unknown[]).forEach((item, i) => {
      const at = `itens[${i}]`;
      if (!isRecord(item)) {
        errors.push({ field: at, reason: `${at} must be an object (got ${shown(item)})` });
        return;
      }
      const { produto_id, quantidade, preco_unitario_centavos } = item;
      checkId(produto_id, `${at}.produto_id`, errors);
      if (
        typeof quantidade !== 'number' ||
        !Number.isInteger(quantidade) ||
        quantidade < 1 ||
        quantidade > MAX_QUANTIDADE
      )
        errors.push({
          field: `${at}.quantidade`,
          reason: `${at}.quantidade must be an integer from 1 to ${MAX_QUANTIDADE} (got ${shown(quantidade)})`,
        });
      if (!isCentavos(preco_unitario_centavos))
        errors.push({
          field: `${at}.preco_unitario_centavos`,
          reason: `${at}.preco_unitario_centavos must be a whole number of centavos ≥ 0 (got ${shown(preco_unitario_centavos)})`,
        });
      if (isId(produto_id) && typeof quantidade === 'number' && isCentavos(preco_unitario_centavos))
        lines.push({ produto_id, quantidade, preco_unitario_centavos });
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
