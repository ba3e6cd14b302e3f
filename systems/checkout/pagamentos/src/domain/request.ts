/**
 * A payment request (seed: `PagamentoRequest { pedido_id, valor }`, with the value in integer
 * centavos instead of the seed's float reais: DESIGN §3) and its validation, every problem
 * listed at once.
 */
import {
  checkId,
  describe,
  isRecord,
  notAnObject,
  type FieldError,
  type Validated,
} from '@dslab/checkout-contracts/validation';
import { isMetodoPagamento, METODOS_PAGAMENTO, type MetodoPagamento } from './status.js';

export { MAX_ID, type FieldError, type Validated } from '@dslab/checkout-contracts/validation';

export interface PagamentoRequest {
  readonly pedido_id: number;
  readonly valor_centavos: number;
  readonly metodo: MetodoPagamento;
}

/**
 * pedido_id: integer 1..2^31−1; valor_centavos: integer ≥ 1 and a safe integer (a payment of
 * zero is not a payment); metodo: one of the seed's methods, `cartao_credito` when absent.
 */
export function validatePagamentoRequest(input: unknown): Validated<PagamentoRequest> {
  if (!isRecord(input)) return notAnObject(input);
  const errors: FieldError[] = [];
  const { pedido_id, valor_centavos } = input;
  const metodo = input['metodo'] ?? 'cartao_credito';
  checkId(pedido_id, 'pedido_id', errors);
  if (typeof valor_centavos !== 'number' || !Number.isSafeInteger(valor_centavos) || valor_centavos < 1)
    errors.push({
      field: 'valor_centavos',
      reason: `valor_centavos must be a whole number of centavos ≥ 1 (got ${describe(valor_centavos)})`,
    });
  if (!isMetodoPagamento(metodo))
    errors.push({
      field: 'metodo',
      reason: `metodo must be one of ${METODOS_PAGAMENTO.join(', ')} (got ${describe(metodo)})`,
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
  if (!isRecord(input)) return notAnObject(input);
  const { pedido_id, motivo } = input;
  const errors: FieldError[] = [];
  checkId(pedido_id, 'pedido_id', errors);
  const trimmed = typeof motivo === 'string' ? motivo.trim() : '';
  if (trimmed.length === 0 || trimmed.length > MAX_MOTIVO_LENGTH)
    errors.push({
      field: 'motivo',
      reason: `motivo must be a text of 1 to ${MAX_MOTIVO_LENGTH} characters (got ${describe(motivo)})`,
    });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { pedido_id: pedido_id as number, motivo: trimmed } };
}
