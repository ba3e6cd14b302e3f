/**
 * A payment request (seed: `PagamentoRequest { pedido_id, valor }`, with the value in integer
 * centavos instead of the seed's float reais: DESIGN §3) and its validation, every problem
 * listed at once.
 */
import { isMetodoPagamento, METODOS_PAGAMENTO, type MetodoPagamento } from './status.js';

/** int32, as the seed's proto declares `pedido_id`. */
export const MAX_ID = 2_147_483_647;

export interface PagamentoRequest {
  readonly pedido_id: number;
  readonly valor_centavos: number;
  readonly metodo: MetodoPagamento;
}

export interface FieldError {
  readonly field: string;
  readonly reason: string;
}

export type Validated<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly FieldError[] };

function shown(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * pedido_id: integer 1..2^31−1; valor_centavos: integer ≥ 1 and a safe integer (a payment of
 * zero is not a payment); metodo: one of the seed's methods, `cartao_credito` when absent.
 */
export function validatePagamentoRequest(input: unknown): Validated<PagamentoRequest> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return {
      ok: false,
      errors: [{ field: '', reason: `the request must be an object (got ${shown(input)})` }],
    };
  const body = input as Readonly<Record<string, unknown>>;
  const errors: FieldError[] = [];
  const { pedido_id, valor_centavos } = body;
  const metodo = body['metodo'] ?? 'cartao_credito';
  if (typeof pedido_id !== 'number' || !Number.isInteger(pedido_id) || pedido_id < 1 || pedido_id > MAX_ID)
    errors.push({
      field: 'pedido_id',
      reason: `pedido_id must be an integer from 1 to ${MAX_ID} (got ${shown(pedido_id)})`,
    });
  if (typeof valor_centavos !== 'number' || !Number.isSafeInteger(valor_centavos) || valor_centavos < 1)
    errors.push({
      field: 'valor_centavos',
      reason: `valor_centavos must be a whole number of centavos ≥ 1 (got ${shown(valor_centavos)})`,
    });
  if (!isMetodoPagamento(metodo))
    errors.push({
      field: 'metodo',
      reason: `metodo must be one of ${METODOS_PAGAMENTO.join(', ')} (got ${shown(metodo)})`,
    });
  if (errors.length > 0 || !isMetodoPagamento(metodo)) return { ok: false, errors };
  return {
    ok: true,
    value: { pedido_id: pedido_id as number, valor_centavos: valor_centavos as number, metodo },
  };
}

/** A refund request (the checkout's compensation for a payment). */
export interface EstornoRequest {
  readonly pedido_id: number;
  readonly motivo: string;
}

/** Longest accepted refund reason: it is stored and logged, not a document. */
export const MAX_MOTIVO_LENGTH = 1000;

/**
 * pedido_id: integer 1..2^31−1; motivo: a non-blank text of at most 1000 characters (kept with
 * the refund and in the log; surrounding whitespace is trimmed).
 */
export function validateEstornoRequest(input: unknown): Validated<EstornoRequest> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return {
      ok: false,
      errors: [{ field: '', reason: `the request must be an object (got ${shown(input)})` }],
    };
  const { pedido_id, motivo } = input as Readonly<Record<string, unknown>>;
  const errors: FieldError[] = [];
  if (typeof pedido_id !== 'number' || !Number.isInteger(pedido_id) || pedido_id < 1 || pedido_id > MAX_ID)
    errors.push({
      field: 'pedido_id',
      reason: `pedido_id must be an integer from 1 to ${MAX_ID} (got ${shown(pedido_id)})`,
    });
  const trimmed = typeof motivo === 'string' ? motivo.trim() : '';
  if (trimmed.length === 0 || trimmed.length > MAX_MOTIVO_LENGTH)
    errors.push({
      field: 'motivo',
      reason: `motivo must be a text of 1 to ${MAX_MOTIVO_LENGTH} characters (got ${shown(motivo)})`,
    });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { pedido_id: pedido_id as number, motivo: trimmed } };
}
