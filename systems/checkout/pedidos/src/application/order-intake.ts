/**
 * Taking an order in, whatever runs it afterwards: the synchronous orchestrator (seed 003, which
 * drives it at once) and the asynchronous checkout (seed 004, which commits it with its first
 * message and answers 202) share this path — validation, the Idempotency-Key check, pricing from
 * the catalogue and the insert of the order with its lines and its first operation.
 */
import {
  isIdempotencyKey,
  METODO_PAGAMENTO_VALUES,
  type CallContext,
  type CatalogoPort,
  type MetodoPagamentoValue,
  type PedidoValue,
} from '@dslab/checkout-contracts';
import { formatReais, validationFailed } from '@dslab/checkout-kit';
import { isUniqueViolation } from '@dslab/db';
import { AppError } from '@dslab/errors';
import type { Logger } from '@dslab/logging';
import type { Transaction } from 'kysely';
import type { PedidosTables } from '../adapters/schema.js';
import type { ItemRow, PedidoRow, PedidosStore } from '../adapters/store.js';
import {
  validateCheckoutRequest,
  type CheckoutRequest,
  type FieldError,
} from '../domain/checkout-request.js';
import { isPedidoStatus } from '../domain/status.js';
import { computeTotal, type TotalPedido } from '../domain/total.js';

export interface CriarPedidoInput {
  readonly cliente_id: unknown;
  readonly itens: unknown;
  readonly metodo_pagamento?: unknown;
  readonly idempotency_key?: string | undefined;
}

/** A request that passed validation, with the fingerprint that tells a retry from a reuse of its key. */
export interface ValidatedPedido {
  readonly request: CheckoutRequest;
  readonly metodo: MetodoPagamentoValue;
  readonly key: string | undefined;
  /** Canonical JSON of the request (customer, lines, method). */
  readonly fingerprint: string;
}

/** Validates a creating request, reporting every problem at once (validation-failed). */
export function validateCriarPedido(input: CriarPedidoInput): ValidatedPedido {
  const checked = validateCheckoutRequest({ cliente_id: input.cliente_id, itens: input.itens });
  const errors: FieldError[] = checked.ok ? [] : [...checked.errors];
  const metodo = input.metodo_pagamento ?? 'cartao_credito';
  if (typeof metodo !== 'string' || !(METODO_PAGAMENTO_VALUES as readonly string[]).includes(metodo))
    errors.push({
      field: 'metodo_pagamento',
      reason: `metodo_pagamento must be one of ${METODO_PAGAMENTO_VALUES.join(', ')}`,
    });
  const key = input.idempotency_key;
  if (key !== undefined && !isIdempotencyKey(key))
    errors.push({
      field: 'Idempotency-Key',
      reason: 'Idempotency-Key must be 1 to 255 visible ASCII characters',
    });
  if (!checked.ok || errors.length > 0) throw validationFailed(errors);
  const request = checked.value;
  const fingerprint = JSON.stringify({
    cliente_id: request.cliente_id,
    itens: request.itens.map((i) => [i.produto_id, i.quantidade]),
    metodo,
  });
  return { request, metodo: metodo as MetodoPagamentoValue, key, fingerprint };
}

/** The stored order of a known key, when the request is the same; a 422 when it is not. */
export function sameRequestOrRefuse(existing: PedidoRow, fingerprint: string): PedidoRow {
  if (existing.fingerprint !== fingerprint)
    throw new AppError(
      'idempotency-key-reused',
      `a Idempotency-Key já foi usada para outro pedido (${existing.id}) com outro conteúdo`,
    );
  return existing;
}

/** Prices every line from the catalogue now; unknown products are a 422 naming them. */
export async function pricePedido(
  catalogo: CatalogoPort,
  request: CheckoutRequest,
  ctx: CallContext,
): Promise<TotalPedido> {
  const ids = request.itens.map((i) => i.produto_id);
  const produtos = await catalogo.obterProdutos(ids, ctx);
  const total = computeTotal(request.itens, new Map(produtos.map((p) => [p.id, p.preco_centavos])));
  if (total.ok) return total.value;
  const known = new Set(produtos.map((p) => p.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length === 0) throw validationFailed(total.errors);
  throw new AppError('unknown-product', total.errors.map((e) => e.reason).join('; '), {
    extensions: { produto_ids: missing },
  });
}

export interface IntakeDeps {
  readonly store: PedidosStore;
  readonly catalogo: CatalogoPort;
  readonly logger: Logger;
  readonly now: () => number;
}

export interface IntakeOptions {
  /** Epoch ms until which the caller drives the new order (the synchronous lease; 0 for none). */
  readonly emExecucaoAte: number;
  /**
   * The key as stored for the client's Idempotency-Key (default: as sent). The asynchronous
   * checkout scopes keys per customer, so two customers never share one.
   */
  readonly storedKey?: (key: string, clienteId: number) => string;
  /**
   * Runs inside the order's transaction, after the order, its lines and its operation (the
   * asynchronous checkout enqueues PEDIDO_CRIADO there).
   */
  readonly inTransaction?: (
    trx: Transaction<PedidosTables>,
    pedidoId: number,
    pedido: { readonly itens: readonly ItemRow[]; readonly valor_total_centavos: number },
    at: string,
  ) => Promise<void>;
}

/** A new order, or the stored one of a repeated Idempotency-Key (same request). */
export type Intake =
  | { readonly kind: 'created'; readonly id: number }
  | { readonly kind: 'replay'; readonly existing: PedidoRow };

/**
 * Validates, answers a known key with its order (or 422 when the body differs), checks the
 * customer, prices the lines and inserts the order with its `pedido_criado` operation. A racing
 * twin with the same key that inserted first is answered like a known key.
 */
export async function intakePedido(
  deps: IntakeDeps,
  input: CriarPedidoInput,
  ctx: CallContext,
  options: IntakeOptions,
): Promise<Intake> {
  const { store, logger } = deps;
  const { request, metodo, key, fingerprint } = validateCriarPedido(input);
  const storedKey = key === undefined ? undefined : (options.storedKey?.(key, request.cliente_id) ?? key);
  if (storedKey !== undefined) {
    const existing = await store.findByKey(storedKey);
    if (existing !== undefined)
      return { kind: 'replay', existing: sameRequestOrRefuse(existing, fingerprint) };
  }
  if (!(await store.clienteExists(request.cliente_id)))
    throw new AppError('unknown-customer', `o cliente ${request.cliente_id} não existe`);

  const total = await pricePedido(deps.catalogo, request, ctx);
  const itens = total.itens.map(({ produto_id, quantidade, preco_unitario_centavos }) => ({
    produto_id,
    quantidade,
    preco_unitario_centavos,
  }));
  const at = new Date(deps.now()).toISOString();
  const mensagem = (pedidoId: number) =>
    `Pedido ${pedidoId} criado para o cliente ${request.cliente_id}: ${request.itens.length} item(ns), ${formatReais(total.valor_total_centavos)}`;
  const inTransaction = options.inTransaction;
  let id: number;
  try {
    id = await store.insert(
      {
        cliente_id: request.cliente_id,
        data_criacao: at,
        valor_total_centavos: total.valor_total_centavos,
        metodo_pagamento: metodo,
        idempotency_key: storedKey ?? null,
        fingerprint,
        em_execucao_ate: options.emExecucaoAte,
        itens,
      },
      (pedidoId) => ({
        operacao: 'pedido_criado',
        pedido_id: pedidoId,
        mensagem: mensagem(pedidoId),
        detalhes: {
          cliente_id: request.cliente_id,
          itens: request.itens,
          valor_total_centavos: total.valor_total_centavos,
          metodo,
        },
        traceId: ctx.traceId,
        at,
      }),
      inTransaction === undefined
        ? undefined
        : (trx, pedidoId) =>
            inTransaction(trx, pedidoId, { itens, valor_total_centavos: total.valor_total_centavos }, at),
    );
  } catch (error) {
    // A racing twin with the same Idempotency-Key inserted first: answer its order.
    if (storedKey !== undefined && isUniqueViolation(error)) {
      const twin = await store.findByKey(storedKey);
      if (twin !== undefined) return { kind: 'replay', existing: sameRequestOrRefuse(twin, fingerprint) };
    }
    throw error;
  }
  logger.withTrace(ctx.traceId).info(mensagem(id));
  return { kind: 'created', id };
}

/** The order as the API answers it, from its row and its lines. */
export function pedidoValueOf(row: PedidoRow, itens: readonly ItemRow[]): PedidoValue {
  return {
    id: row.id,
    cliente_id: row.cliente_id,
    status: isPedidoStatus(row.status) ? row.status : 'pendente',
    itens: [...itens],
    valor_total_centavos: row.valor_total_centavos,
    metodo_pagamento: row.metodo_pagamento as MetodoPagamentoValue,
    data_criacao: row.data_criacao,
    atualizado_em: row.atualizado_em,
    ...(row.motivo === null ? {} : { motivo: row.motivo }),
    ...(row.numero_nota_fiscal === null ? {} : { numero_nota_fiscal: row.numero_nota_fiscal }),
    ...(row.codigo_rastreamento === null ? {} : { codigo_rastreamento: row.codigo_rastreamento }),
  };
}
