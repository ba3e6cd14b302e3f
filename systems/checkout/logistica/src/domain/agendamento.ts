/**
 * The request to dispatch an invoiced order, as logistica receives it over REST or gRPC: decoded
 * but not yet trusted. Every problem is listed at once, each under its field name.
 *
 * The invoice number is checked here rather than by importing fiscal's package (each service owns
 * its rules and deploys alone): it must read `NF<nNF>-<pedido_id>` — nNF 1..999 999 999 without
 * leading zeros, as fiscal numbers its invoices and the seed's generator wrote them — and its
 * pedido part must be this order, so a label never carries another order's invoice.
 */

import {
  checkId,
  describe,
  isId,
  isRecord,
  notAnObject,
  type FieldError,
  type Validated,
} from '@dslab/checkout-contracts/validation';

export { isId, MAX_ID, type FieldError, type Validated } from '@dslab/checkout-contracts/validation';

export const NUMERO_NOTA_FISCAL_PATTERN = /^NF([1-9][0-9]{0,8})-([1-9][0-9]{0,9})$/;

export interface AgendamentoRequest {
  readonly pedido_id: number;
  readonly nota_fiscal_id: number;
  readonly numero_nota_fiscal: string;
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
  if (!isRecord(input)) return notAnObject(input);
  const { pedido_id, nota_fiscal_id, numero_nota_fiscal } = input;
  const errors: FieldError[] = [];
  checkId(pedido_id, 'pedido_id', errors);
  checkId(nota_fiscal_id, 'nota_fiscal_id', errors);
  if (typeof numero_nota_fiscal !== 'string') {
    errors.push({
      field: 'numero_nota_fiscal',
      reason: `numero_nota_fiscal must be a text such as NF12-42 (got ${describe(numero_nota_fiscal)})`,
    });
  } else {
    const parsed = parseNumeroNotaFiscal(numero_nota_fiscal);
    if (parsed === undefined)
      errors.push({
        field: 'numero_nota_fiscal',
        reason: `numero_nota_fiscal must read NF<número>-<pedido_id>, e.g. NF12-42 (got ${describe(numero_nota_fiscal)})`,
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
