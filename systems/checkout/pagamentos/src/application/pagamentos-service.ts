import { setTimeout as sleep } from 'node:timers/promises';
import type {
  CallContext,
  EstornoValue,
  MetodoPagamentoValue,
  PagamentosPort,
  PagamentoStatusValue,
  PagamentoValue,
} from '@dslab/checkout-contracts';
import { formatReais, validationFailed, withRetries, type Operacao, type Outcome } from '@dslab/checkout-kit';
import { isUniqueViolation, type Database } from '@dslab/db';
import { AppError } from '@dslab/errors';
import type { Logger } from '@dslab/logging';
import type { PagamentosTables } from '../adapters/schema.js';
import { createPagamentosStore, type PagamentoRow } from '../adapters/store.js';
import { canonicalJson, isIdempotencyKey } from '../domain/idempotency.js';
import { MAX_ID, validateEstornoRequest, validatePagamentoRequest } from '../domain/request.js';
import { decidePayment, validateSimulatorConfig, type SimulatorConfig } from '../domain/simulator.js';
import { planEstorno } from '../domain/status.js';

/** The stored message of a void (a refund that arrived before any charge). */
export const MENSAGEM_ANULADO = 'pagamento anulado antes do processamento';
/** The method recorded on a void: it charges nothing, any method would do. */
const METODO_ANULADO: MetodoPagamentoValue = 'cartao_credito';
/** Attempts of one step on transient database failures (serialization, deadlock, a racing twin). */
const MAX_ATTEMPTS = 8;

export interface PagamentosServiceDeps {
  readonly database: Database<PagamentosTables>;
  readonly logger: Logger;
  /** Wall clock, epoch ms (injected so tests control time). */
  readonly now: () => number;
  /** The simulator's configuration (validated here too). */
  readonly simulator: SimulatorConfig;
  /** Uniform in [0, 1): a seeded generator (PAGAMENTO_SEED) or Math.random. */
  readonly random: () => number;
}

/** A charge request as the entry points hand it over (metodo absent = cartao_credito). */
export interface ProcessarInput {
  readonly pedido_id: number;
  readonly valor_centavos: number;
  /** One of METODO_PAGAMENTO_VALUES; anything else is refused by the validator. */
  readonly metodo?: string | undefined;
  readonly idempotency_key?: string | undefined;
}

/** An answer and whether it was a replay of an earlier call (REST answers 200 instead of 201). */
export type { Outcome } from '@dslab/checkout-kit';

export interface PagamentosService extends PagamentosPort {
  /** processar, telling a replay from a new payment. */
  processarPagamento(input: ProcessarInput, ctx: CallContext): Promise<Outcome<PagamentoValue>>;
  /** estornar, telling a replay (nothing changed) from a refund or a void. */
  estornarPagamento(
    input: { readonly pedido_id: number; readonly motivo: string },
    ctx: CallContext,
  ): Promise<Outcome<EstornoValue>>;
  /** The order's payment; `not-found` when it has none. */
  obter(pedidoId: number, ctx: CallContext): Promise<PagamentoValue>;
}

/** The port's value of a stored payment. */
export function toPagamentoValue(row: PagamentoRow): PagamentoValue {
  const status = row.status as PagamentoStatusValue;
  return {
    pagamento_id: row.id,
    pedido_id: row.pedido_id,
    sucesso: status === 'aprovado',
    status,
    mensagem: row.mensagem,
    valor_centavos: row.valor_centavos,
    metodo: row.metodo as MetodoPagamentoValue,
    data_processamento: row.data_processamento,
  };
}

function keyReused(detail: string, extensions: Record<string, unknown>): AppError {
  return new AppError('idempotency-key-reused', detail, { extensions });
}

/**
 * Payments (seed 003's Pagamento service) with the simulator's decision stored before anyone
 * waits for it: a charge draws its latency and outcome once and records them with the payment
 * in one transaction, then waits out the simulated processing. A crash during the wait loses
 * nothing, a retry (or a racing twin) finds the stored payment and waits for the same instant,
 * and nothing is ever charged twice. A refund of an order never charged records a void, so a
 * delayed charge cannot take the money afterwards.
 */
export function createPagamentosService(deps: PagamentosServiceDeps): PagamentosService {
  const { logger, now, random } = deps;
  const checked = validateSimulatorConfig(deps.simulator);
  if (!checked.ok)
    throw new Error(`invalid payment simulator: ${checked.errors.map((e) => e.reason).join('; ')}`);
  const simulator = checked.value;
  const store = createPagamentosStore(deps.database.db);
  const iso = (ms: number) => new Date(ms).toISOString();

  function requireTime(ctx: CallContext, what: string): void {
    if (now() >= ctx.deadline) throw new AppError('timeout', `prazo da requisição esgotado antes de ${what}`);
  }

  /**
   * Runs one step again on transient database failures (kit's withRetries; here a unique
   * violation is one too: a racing twin took the key, and a re-read sees its row), never past the
   * deadline; when they persist, `unavailable`.
   */
  async function retrying<T>(ctx: CallContext, step: () => Promise<T>): Promise<T> {
    return withRetries(ctx, step, {
      maxAttempts: MAX_ATTEMPTS,
      retryIf: isUniqueViolation,
      exhausted: (error) =>
        new AppError('unavailable', 'o banco de dados está sobrecarregado; tente de novo', { cause: error }),
    });
  }

  function operation(
    operacao: string,
    pedidoId: number,
    mensagem: string,
    detalhes: Record<string, unknown>,
    ctx: CallContext,
    at: number,
  ): Operacao {
    return { operacao, pedido_id: pedidoId, mensagem, detalhes, traceId: ctx.traceId, at: iso(at) };
  }

  /**
   * Finds the order's payment or records a new one with a fresh decision. A key held by
   * another order is refused; a twin that inserted first wins and this request reads its row.
   */
  async function findOrCharge(
    req: {
      readonly pedido_id: number;
      readonly valor_centavos: number;
      readonly metodo: MetodoPagamentoValue;
    },
    key: string | undefined,
    fingerprint: string,
    ctx: CallContext,
  ): Promise<{ readonly row: PagamentoRow; readonly created: boolean }> {
    return retrying(ctx, async () => {
      if (key !== undefined) {
        const holder = await store.findByKey(key);
        if (holder !== undefined && holder.pedido_id !== req.pedido_id)
          throw keyReused(`a Idempotency-Key já foi usada para o pagamento de outro pedido`, {
            pedido_id: req.pedido_id,
          });
      }
      const existing = await store.findByPedido(req.pedido_id);
      if (existing !== undefined) return { row: existing, created: false };
      // Drawn once per recorded payment: a replay never draws, so a seeded run reproduces.
      const decision = decidePayment(simulator, random);
      const at = now();
      const prontoEm = iso(at + decision.latencyMs);
      const mensagem = `Pagamento ${decision.status} para o pedido ${req.pedido_id} (${formatReais(req.valor_centavos)}, ${req.metodo})`;
      const inserted = await store.insertIfAbsent(
        {
          pedido_id: req.pedido_id,
          data_processamento: prontoEm,
          status: decision.status,
          metodo: req.metodo,
          valor_centavos: req.valor_centavos,
          mensagem,
          idempotency_key: key ?? null,
          fingerprint,
          latencia_ms: decision.latencyMs,
          pronto_em: prontoEm,
          anulado: 0,
          estornado_em: null,
          motivo_estorno: null,
        },
        operation(
          decision.status === 'aprovado' ? 'pagamento_aprovado' : 'pagamento_rejeitado',
          req.pedido_id,
          mensagem,
          {
            valor_centavos: req.valor_centavos,
            metodo: req.metodo,
            latencia_ms: decision.latencyMs,
            pronto_em: prontoEm,
            ...(key === undefined ? {} : { idempotency_key: key }),
          },
          ctx,
          at,
        ),
      );
      if (inserted !== undefined) {
        logger.withTrace(ctx.traceId).info(mensagem);
        return { row: inserted, created: true };
      }
      const raced = await store.findByPedido(req.pedido_id);
      if (raced === undefined) throw new AppError('internal', `o pagamento do pedido ${req.pedido_id} sumiu`);
      return { row: raced, created: false };
    });
  }

  /**
   * Waits until the simulated processing ends, unless that is after the request's deadline
   * (then `timeout` at once: the payment stays recorded and a retry answers it), and answers
   * the row as it is then (a refund that landed meanwhile is visible).
   */
  async function settle(row: PagamentoRow, ctx: CallContext): Promise<PagamentoRow> {
    const readyAt = Date.parse(row.pronto_em);
    const remaining = readyAt - now();
    if (remaining <= 0) return row;
    if (readyAt > ctx.deadline) {
      logger
        .withTrace(ctx.traceId)
        .warn(
          `Prazo da requisição termina antes do processamento do pagamento do pedido ${row.pedido_id} (pronto em ${row.pronto_em})`,
        );
      throw new AppError(
        'timeout',
        `o processamento do pagamento do pedido ${row.pedido_id} termina em ${remaining} ms, depois do prazo da requisição; repita a requisição para obter o resultado`,
        { extensions: { pedido_id: row.pedido_id, pronto_em: row.pronto_em } },
      );
    }
    await sleep(remaining);
    return (await retrying(ctx, () => store.findByPedido(row.pedido_id))) ?? row;
  }

  async function processarPagamento(
    input: ProcessarInput,
    ctx: CallContext,
  ): Promise<Outcome<PagamentoValue>> {
    const validated = validatePagamentoRequest(input);
    const key = input.idempotency_key;
    const errors = validated.ok ? [] : [...validated.errors];
    if (key !== undefined && !isIdempotencyKey(key))
      errors.push({
        field: 'idempotency_key',
        reason: 'idempotency_key must be 1 to 255 visible ASCII characters without spaces',
      });
    if (!validated.ok || errors.length > 0) throw validationFailed(errors);
    const req = validated.value;
    requireTime(ctx, `registrar o pagamento do pedido ${req.pedido_id}`);
    const fingerprint = canonicalJson({
      pedido_id: req.pedido_id,
      valor_centavos: req.valor_centavos,
      metodo: req.metodo,
    });
    const { row, created } = await findOrCharge(req, key, fingerprint, ctx);
    if (!created) {
      // A void answers every later charge: the order was cancelled before it was charged.
      if (row.anulado === 1) return { value: toPagamentoValue(row), replayed: true };
      if (row.fingerprint !== fingerprint)
        throw keyReused(
          `o pedido ${req.pedido_id} já tem um pagamento com outros dados (${formatReais(row.valor_centavos)}, ${row.metodo})`,
          { pedido_id: req.pedido_id },
        );
    }
    const settled = await settle(row, ctx);
    return { value: toPagamentoValue(settled), replayed: !created };
  }

  async function estornarPagamento(
    input: { readonly pedido_id: number; readonly motivo: string },
    ctx: CallContext,
  ): Promise<Outcome<EstornoValue>> {
    const validated = validateEstornoRequest(input);
    if (!validated.ok) throw validationFailed(validated.errors);
    const { pedido_id, motivo } = validated.value;
    requireTime(ctx, `estornar o pagamento do pedido ${pedido_id}`);
    const log = logger.withTrace(ctx.traceId);
    return retrying(ctx, async () => {
      // Each lost conditional write means the payment moved on (none → charged or void →
      // refunded), so this converges in at most three rounds.
      for (let round = 0; round < 4; round++) {
        const row = await store.findByPedido(pedido_id);
        if (row === undefined) {
          const at = now();
          const mensagem = `Pagamento do pedido ${pedido_id} anulado antes do processamento: ${motivo}`;
          const voided = await store.insertIfAbsent(
            {
              pedido_id,
              data_processamento: iso(at),
              status: 'rejeitado',
              metodo: METODO_ANULADO,
              valor_centavos: 0,
              mensagem: MENSAGEM_ANULADO,
              idempotency_key: null,
              fingerprint: null,
              latencia_ms: null,
              pronto_em: iso(at),
              anulado: 1,
              estornado_em: null,
              motivo_estorno: motivo,
            },
            operation('pagamento_anulado', pedido_id, mensagem, { motivo }, ctx, at),
          );
          if (voided === undefined) continue;
          log.info(mensagem);
          return { value: { pedido_id, status: 'rejeitado', mensagem: MENSAGEM_ANULADO }, replayed: false };
        }
        const plan = planEstorno(row.status as PagamentoStatusValue);
        if (plan === 'refund') {
          const at = now();
          const valor = formatReais(row.valor_centavos);
          const mensagem = `Pagamento do pedido ${pedido_id} estornado (${valor}, ${row.metodo}): ${motivo}`;
          const refunded = await store.refundApproved(
            pedido_id,
            { estornado_em: iso(at), motivo_estorno: motivo, mensagem },
            operation(
              'pagamento_estornado',
              pedido_id,
              mensagem,
              { motivo, valor_centavos: row.valor_centavos, metodo: row.metodo },
              ctx,
              at,
            ),
          );
          if (refunded === undefined) continue;
          log.info(mensagem);
          return { value: { pedido_id, status: 'estornado', mensagem }, replayed: false };
        }
        if (plan === 'already-refunded')
          return { value: { pedido_id, status: 'estornado', mensagem: row.mensagem }, replayed: true };
        const mensagem =
          row.anulado === 1
            ? row.mensagem
            : `Nada a estornar: o pagamento do pedido ${pedido_id} foi rejeitado`;
        return { value: { pedido_id, status: 'rejeitado', mensagem }, replayed: true };
      }
      throw new AppError('unavailable', `o estorno do pedido ${pedido_id} não convergiu; tente de novo`);
    });
  }

  return {
    processarPagamento,
    estornarPagamento,
    async processar(req, ctx) {
      return (await processarPagamento(req, ctx)).value;
    },
    async estornar(req, ctx) {
      return (await estornarPagamento(req, ctx)).value;
    },
    async obter(pedidoId, ctx) {
      if (!Number.isInteger(pedidoId) || pedidoId < 1 || pedidoId > MAX_ID)
        throw validationFailed([
          {
            field: 'pedido_id',
            reason: `pedido_id must be an integer from 1 to ${MAX_ID} (got ${pedidoId})`,
          },
        ]);
      const row = await retrying(ctx, () => store.findByPedido(pedidoId));
      if (row === undefined) throw new AppError('not-found', `o pedido ${pedidoId} não tem pagamento`);
      return toPagamentoValue(row);
    },
  };
}
