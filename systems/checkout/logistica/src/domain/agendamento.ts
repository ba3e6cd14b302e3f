/**
 * The request to dispatch an invoiced order, as logistica receives it over REST or gRPC: decoded
 * but not yet trusted. Every problem is listed at once, each under its field name.
 *
 * The invoice number is checked here rather than by importing fiscal's package (each service owns
 * its rules and deploys alone): it must read `NF<nNF>-<pedido_id>` — nNF 1..999 999 999 without
 * leading zeros, as fiscal numbers its invoices and the seed's generator wrote them — and its
 * pedido part must be this order, so a label never carries another order's invoice.
 */

/** Ids are positive int32: the protos declare them `int32`. */
export const MAX_ID = 2_147_483_647;

export const NUMERO_NOTA_FISCAL_PATTERN = /^NF([1-9][0-9]{0,8})-([1-9][0-9]{0,9})$/;

export interface AgendamentoRequest {
  readonly pedido_id: number;
  readonly nota_fiscal_id: number;
  readonly numero_nota_fiscal: string;
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

/** The parts of an invoice number, or undefined when it does not have the shape. */
export function parseNumeroNotaFiscal(
  text: string,
): { readonly nNF: number; readonly pedido_id: number } | undefined {
  const m = NUMERO_NOTA_FISCAL_PATTERN.exec(text);
  if (m === null) return undefined;
  return { nNF: Number(m[1]), pedido_id: Number(m[2]) };
}

export function validateAgendamentoRequest(input: unknown): Validated<AgendamentoRequest> {
  if (!isRecord(input))
    return {
      ok: false,
      errors: [{ field: '', reason: `the request must be an object (got ${shown(input)})` }],
    };
  const { pedido_id, nota_fiscal_id, numero_nota_fiscal } = input;
  const errors: FieldError[] = [];
  for (const [field, value] of [
    ['pedido_id', pedido_id],
    ['nota_fiscal_id', nota_fiscal_id],
  ] as const)
    if (!isId(value))
      errors.push({ field, reason: `${field} must be an integer from 1 to ${MAX_ID} (got ${shown(value)})` });
  if (typeof numero_nota_fiscal !== 'string') {
    errors.push({
      field: 'numero_nota_fiscal',
      reason: `numero_nota_fiscal must be a text such as NF12-42 (got ${shown(numero_nota_fiscal)})`,
    });
  } else {
    const parsed = parseNumeroNotaFiscal(numero_nota_fiscal);
    if (parsed === undefined)
      errors.push({
        field: 'numero_nota_fiscal',
        reason: `numero_nota_fiscal must read NF<número>-<pedido_id>, e.g. NF12-42 (got ${shown(numero_nota_fiscal)})`,
      });
    else if (isId(pedido_id) && parsed.pedido_id !== pedido_id)
      errors.push({
        field: 'numero_nota_fiscal',
        reason: `numero_nota_fiscal ${numero_nota_fiscal} belongs to pedido ${parsed.pedido_id}, not to pedido ${pedido_id}`,
      });
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      pedido_id: pedido_id as number,
      nota_fiscal_id: nota_fiscal_id as number,
      numero_nota_fiscal: numero_nota_fiscal as string,
    },
  };
}
