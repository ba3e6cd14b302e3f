import { setTimeout as sleep } from 'node:timers/promises';
import {
  type CallContext,
  type CatalogoPort,
  type EstoquePort,
  type FiscalPort,
  type LogisticaPort,
  type MetodoPagamentoValue,
  type PagamentosPort,
  type PedidoValue,
  type PedidosPort,
} from '@dslab/checkout-contracts';
import type { Operacao } from '@dslab/checkout-kit';
import { AppError, isAppError } from '@dslab/errors';
import { newTraceId, type Logger } from '@dslab/logging';
import type { PedidosStore, PedidoRow } from '../adapters/store.js';
import { planCompensationAt, type CompensationAction, type Falha } from '../domain/compensation.js';
import { CHAIN_DONE, transitionPedido, type PedidoStatus } from '../domain/status.js';
import { intakePedido, pedidoValueOf, type CriarPedidoInput } from './order-intake.js';

export type { CriarPedidoInput } from './order-intake.js';

/** The services pedidos calls, whatever the transport (ports of contracts/src/ports.ts). */
export interface Neighbours {
  readonly catalogo: CatalogoPort;
  readonly pagamentos: PagamentosPort;
  readonly estoque: EstoquePort;
  readonly fiscal: FiscalPort;
  readonly logistica: LogisticaPort;
}

export interface PedidosServiceOptions {
  /**
   * Part of a request's budget kept back from the forward steps so that, when one of them
   * fails or times out, the compensations still have time to run inside the same request
   * (at most a quarter of the budget).
   */
  readonly compensationReserveMs?: number;
  /** Budget the recovery loop gives one stalled order. */
  readonly recoveryBudgetMs?: number;
  /** How long after its deadline a runner's claim on an order still blocks others (a crashed runner's claim expires). */
  readonly leaseMarginMs?: number;
  /** Longest wait between two background attempts on one order. */
  readonly maxBackoffMs?: number;
}

export interface PedidosServiceDeps extends PedidosServiceOptions {
  readonly store: PedidosStore;
  readonly neighbours: Neighbours;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Where a failed step leaves the order: compensated (falha) or waiting for a retry. */
interface Compensacao {
  readonly falha: Falha;
  readonly motivo: string;
  /** Undo actions still to run; all idempotent, so a repeat after a crash is harmless. */
  readonly pendentes: readonly CompensationAction[];
}

/** Statuses the client gets as a normal answer: the order is settled, or sold with the dispatch pending. */
const SETTLED: readonly PedidoStatus[] = [...CHAIN_DONE, 'nf_emitida'];

function isoAt(ms: number): string {
  return new Date(ms).toISOString();
}

function errorOf(error: unknown): AppError {
  return isAppError(error)
    ? error
    : new AppError('internal', `unexpected failure: ${String(error)}`, { cause: error });
}

/** True when the request certainly never reached the other service (connection refused). */
function notDelivered(error: AppError): boolean {
  return error.extensions['not_delivered'] === true;
}

/** The other service answered "no" (4xx): the step did not happen. */
function isRefusal(error: AppError): boolean {
  return error.status >= 400 && error.status < 500;
}

/**
 * The checkout orchestrator: creates the order and walks it through pagamentos → estoque →
 * fiscal → logística, compensating the steps already done when one fails (domain/compensation.ts).
 *
 * Every step is idempotent on the other side (keyed by pedido_id), so an order can always be
 * driven again from its stored status: after a crash, a timeout or a neighbour that was down,
 * the recovery loop (or a retried request with the same Idempotency-Key) picks it up where it
 * stopped. One runner at a time: `store.claim` is a conditional UPDATE on the order's lease.
 */
export function createPedidosService(deps: PedidosServiceDeps) {
  const { store, neighbours, logger } = deps;
  const now = deps.now ?? Date.now;
  const reserveMs = deps.compensationReserveMs ?? 1500;
  const recoveryBudgetMs = deps.recoveryBudgetMs ?? 10_000;
  const leaseMarginMs = deps.leaseMarginMs ?? 2000;
  const maxBackoffMs = deps.maxBackoffMs ?? 60_000;

  const backoff = (tentativas: number) => Math.min(maxBackoffMs, 1000 * 2 ** Math.min(tentativas, 16));

  function operation(
    pedidoId: number,
    operacao: string,
    mensagem: string,
    detalhes: Record<string, unknown>,
    ctx: CallContext,
  ): Operacao {
    return { operacao, pedido_id: pedidoId, mensagem, detalhes, traceId: ctx.traceId, at: isoAt(now()) };
  }

  async function toValue(row: PedidoRow): Promise<PedidoValue> {
    return pedidoValueOf(row, await store.itensOf(row.id));
  }

  async function load(id: number): Promise<PedidoRow> {
    const row = await store.findById(id);
    if (row === undefined) throw new AppError('not-found', `o pedido ${id} não existe`);
    return row;
  }

  // -------------------------------------------------------------------------------------------
  // Steps

  async function advance(
    row: PedidoRow,
    to: PedidoStatus,
    fields: Parameters<PedidosStore['transition']>[4],
    operacao: string,
    mensagem: string,
    ctx: CallContext,
  ): Promise<void> {
    const from = row.status as PedidoStatus;
    const allowed = transitionPedido(from, to);
    if (!allowed.ok) throw new AppError('internal', `pedido ${row.id}: ${allowed.reason}`);
    const changed = await store.transition(
      row.id,
      from,
      to,
      isoAt(now()),
      { motivo: null, ...fields },
      operation(row.id, operacao, mensagem, { de: from, para: to, ...fields }, ctx),
    );
    if (changed) logger.withTrace(ctx.traceId).info(mensagem);
  }

  /** Records the compensation owed, then runs it; answers the failure that left part of it owed. */
  async function startCompensation(
    row: PedidoRow,
    falha: Falha,
    motivo: string,
    ctx: CallContext,
  ): Promise<AppError | undefined> {
    const plan = planCompensationAt(falha, row.status as PedidoStatus);
    if (!plan.ok) throw new AppError('internal', `pedido ${row.id}: ${plan.reason}`);
    const compensacao: Compensacao = { falha, motivo, pendentes: plan.plan.undo };
    const mensagem = `Compensação iniciada para o pedido ${row.id}: ${motivo}`;
    await store.note(
      row.id,
      { compensacao: JSON.stringify(compensacao), motivo },
      operation(row.id, 'compensacao_iniciada', mensagem, { falha, desfazer: plan.plan.undo }, ctx),
    );
    logger.withTrace(ctx.traceId).warn(mensagem);
    return compensate(await load(row.id), ctx);
  }

  /**
   * Runs the undo actions still owed, in order. Stops at the first that fails and keeps the rest
   * owed (with the reason in `motivo`) for the recovery loop: the order reads `cancelado` only
   * once nothing is held any more.
   */
  async function compensate(row: PedidoRow, ctx: CallContext): Promise<AppError | undefined> {
    const owed = JSON.parse(row.compensacao ?? 'null') as Compensacao | null;
    if (owed === null) return undefined;
    // Compensations get their own small budget when the request's is spent (recovery runs).
    const undoCtx: CallContext = { ...ctx, deadline: Math.max(ctx.deadline, now() + reserveMs) };
    const pendentes = [...owed.pendentes];
    while (pendentes.length > 0) {
      const action = pendentes[0];
      try {
        if (action === 'release-stock')
          await neighbours.estoque.liberar({ pedido_id: row.id, motivo: owed.motivo }, undoCtx);
        else if (action === 'refund-payment')
          await neighbours.pagamentos.estornar({ pedido_id: row.id, motivo: owed.motivo }, undoCtx);
        else {
          await advance(
            row,
            'cancelado',
            { motivo: owed.motivo, compensacao: null },
            'pedido_cancelado',
            `Pedido ${row.id} cancelado: ${owed.motivo}`,
            ctx,
          );
        }
        pendentes.shift();
      } catch (error) {
        const failure = errorOf(error);
        const motivo = `cancelamento pendente (${owed.motivo}): ${failure.detail}`;
        await store.note(
          row.id,
          { compensacao: JSON.stringify({ ...owed, pendentes }), motivo, tentativas: row.tentativas + 1 },
          operation(
            row.id,
            'compensacao_pendente',
            `Compensação do pedido ${row.id} pendente: ${failure.detail}`,
            { acao: action, erro: failure.code },
            ctx,
          ),
        );
        logger
          .withTrace(ctx.traceId)
          .warn(`Compensação do pedido ${row.id} pendente (${action}): ${failure.detail}`);
        return failure;
      }
    }
    return undefined;
  }

  /** The step stays where it is and the recovery loop retries it later. */
  async function postpone(
    row: PedidoRow,
    motivo: string,
    failure: AppError,
    ctx: CallContext,
  ): Promise<AppError> {
    await store.note(
      row.id,
      { motivo, tentativas: row.tentativas + 1 },
      operation(
        row.id,
        'etapa_adiada',
        `Pedido ${row.id}: ${motivo}`,
        { status: row.status, erro: failure.code },
        ctx,
      ),
    );
    logger.withTrace(ctx.traceId).warn(`Pedido ${row.id}: ${motivo}`);
    return failure;
  }

  /**
   * Runs the order from its stored status until it is settled or a step cannot go on now.
   * The caller holds the order's claim. Answers the failure that stopped it, if any.
   */
  async function drive(id: number, ctx: CallContext): Promise<AppError | undefined> {
    // A quarter of a small budget at most, so a short deadline still leaves the steps most of it.
    const reserve = Math.min(reserveMs, Math.max(0, ctx.deadline - now()) / 4);
    const forward: CallContext = { ...ctx, deadline: ctx.deadline - reserve };
    for (;;) {
      const row = await load(id);
      if (row.compensacao !== null) return compensate(row, ctx);
      const status = row.status as PedidoStatus;
      if (CHAIN_DONE.includes(status)) return undefined;
      try {
        if (status === 'pendente') {
          const pagamento = await neighbours.pagamentos.processar(
            {
              pedido_id: id,
              valor_centavos: row.valor_total_centavos,
              metodo: row.metodo_pagamento as MetodoPagamentoValue,
              idempotency_key: `pedido-${id}`,
            },
            forward,
          );
          if (!pagamento.sucesso)
            return await startCompensation(
              row,
              'payment-rejected',
              `pagamento rejeitado: ${pagamento.mensagem}`,
              ctx,
            );
          await advance(
            row,
            'pagamento_aprovado',
            {},
            'pagamento_aprovado',
            `Pagamento aprovado para o pedido ${id}`,
            ctx,
          );
        } else if (status === 'pagamento_aprovado') {
          const itens = await store.itensOf(id);
          await neighbours.estoque.separar(
            { pedido_id: id, itens: itens.map(({ produto_id, quantidade }) => ({ produto_id, quantidade })) },
            forward,
          );
          await advance(
            row,
            'em_separacao',
            {},
            'estoque_separado',
            `Estoque separado para o pedido ${id}`,
            ctx,
          );
        } else if (status === 'em_separacao') {
          const itens = await store.itensOf(id);
          const nota = await neighbours.fiscal.emitir(
            { pedido_id: id, valor_centavos: row.valor_total_centavos, itens },
            forward,
          );
          await advance(
            row,
            'nf_emitida',
            { nota_fiscal_id: nota.nota_fiscal_id, numero_nota_fiscal: nota.numero },
            'nota_fiscal_emitida',
            `Nota fiscal ${nota.numero} emitida para o pedido ${id}`,
            ctx,
          );
        } else if (status === 'nf_emitida') {
          const envio = await neighbours.logistica.agendarEnvio(
            {
              pedido_id: id,
              nota_fiscal_id: row.nota_fiscal_id ?? 0,
              numero_nota_fiscal: row.numero_nota_fiscal ?? '',
            },
            forward,
          );
          await advance(
            row,
            'enviado',
            { codigo_rastreamento: envio.codigo_rastreamento },
            'pedido_enviado',
            `Pedido ${id} enviado: ${envio.codigo_rastreamento}`,
            ctx,
          );
        }
      } catch (error) {
        const failure = errorOf(error);
        if (failure.code === 'internal' && !isAppError(error)) throw error;
        return onStepFailure(row, status, failure, ctx);
      }
    }
  }

  /**
   * Decides what a failed step means (domain/compensation.ts) and acts on it. Answers the
   * failure when the order is left unsettled (a compensation or a step still owed).
   */
  async function onStepFailure(
    row: PedidoRow,
    status: PedidoStatus,
    failure: AppError,
    ctx: CallContext,
  ): Promise<AppError | undefined> {
    const why = failure.detail;
    switch (status) {
      case 'pendente':
        // Refused or never delivered: nothing was charged. Otherwise the charge may have
        // happened: a refund (or a void, if it never arrived) is owed before cancelling.
        if (notDelivered(failure) || (isRefusal(failure) && failure.code !== 'idempotency-key-reused'))
          return (
            (await startCompensation(row, 'payment-rejected', `pagamento não processado: ${why}`, ctx)) ??
            failure
          );
        return (
          (await startCompensation(row, 'payment-unknown', `pagamento sem resposta: ${why}`, ctx)) ?? failure
        );
      case 'pagamento_aprovado':
        if (failure.code === 'insufficient-stock')
          return startCompensation(row, 'stock-unavailable', `estoque insuficiente: ${why}`, ctx);
        if (isRefusal(failure) || notDelivered(failure))
          return startCompensation(row, 'stock-unavailable', `estoque não separado: ${why}`, ctx);
        return (
          (await startCompensation(row, 'stock-unknown', `estoque sem resposta: ${why}`, ctx)) ?? failure
        );
      case 'em_separacao':
        // A refusal or a fiscal service that is down: the invoice certainly does not exist.
        // No answer: it may exist, and cancelling would leave an issued invoice behind, so the
        // step is retried (fiscal returns the same invoice for the order).
        if (isRefusal(failure) || notDelivered(failure))
          return (
            (await startCompensation(row, 'invoice-failed', `nota fiscal não emitida: ${why}`, ctx)) ??
            failure
          );
        return postpone(
          row,
          `nota fiscal sem resposta, nova tentativa em segundo plano: ${why}`,
          failure,
          ctx,
        );
      case 'nf_emitida':
        // The sale is a fiscal fact: a failing carrier is a reason to wait, not to unsell.
        return postpone(row, `envio pendente, nova tentativa em segundo plano: ${why}`, failure, ctx);
      default:
        return failure;
    }
  }

  /** Drives an order this runner has claimed, then gives the claim up (with a back-off if unsettled). */
  async function runClaimed(id: number, ctx: CallContext): Promise<AppError | undefined> {
    let failure: AppError | undefined;
    try {
      failure = await drive(id, ctx);
    } finally {
      const row = await store.findById(id);
      const settledOrFinal = row === undefined || CHAIN_DONE.includes(row.status as PedidoStatus);
      await store.release(id, settledOrFinal ? 0 : now() + backoff(row.tentativas));
    }
    return failure;
  }

  // -------------------------------------------------------------------------------------------
  // Creating

  /** A repeated request with a known Idempotency-Key: the same order, driven on if nobody else is. */
  async function replay(existing: PedidoRow, ctx: CallContext): Promise<PedidoRow> {
    for (;;) {
      const row = await load(existing.id);
      if (CHAIN_DONE.includes(row.status as PedidoStatus) || now() >= ctx.deadline) return row;
      if (await store.claim(row.id, now(), ctx.deadline + leaseMarginMs)) {
        await runClaimed(row.id, ctx);
        return load(row.id);
      }
      // Someone else drives it (the first request, or the recovery loop): wait for them.
      await sleep(Math.max(1, Math.min(50, ctx.deadline - now())));
    }
  }

  async function create(
    input: CriarPedidoInput,
    ctx: CallContext,
  ): Promise<{ readonly pedido: PedidoValue; readonly replayed: boolean }> {
    const intake = await intakePedido({ store, catalogo: neighbours.catalogo, logger, now }, input, ctx, {
      emExecucaoAte: ctx.deadline + leaseMarginMs,
    });
    if (intake.kind === 'replay')
      return { pedido: await toValue(await replay(intake.existing, ctx)), replayed: true };
    const id = intake.id;
    const failure = await runClaimed(id, ctx);
    const row = await load(id);
    if (failure !== undefined && !SETTLED.includes(row.status as PedidoStatus)) {
      // Stuck mid-chain on a neighbour that is slow or down: a clear error now, and the order
      // is finished (or compensated) in the background.
      throw new AppError(
        failure.code === 'timeout' ? 'timeout' : 'unavailable',
        `o pedido ${id} ficou em ${row.status}: ${row.motivo ?? failure.detail}; ele será concluído em segundo plano`,
        {
          extensions: { pedido_id: id, status: row.status, motivo: row.motivo ?? failure.detail },
          cause: failure,
        },
      );
    }
    return { pedido: await toValue(row), replayed: false };
  }

  // -------------------------------------------------------------------------------------------
  // Recovery

  let recovering = false;
  /** Drives every stalled order once (one at a time); answers how many it drove. */
  async function recoverOnce(): Promise<number> {
    if (recovering) return 0;
    recovering = true;
    let driven = 0;
    try {
      for (const id of await store.findStalled(now(), 20)) {
        const deadline = now() + recoveryBudgetMs;
        if (!(await store.claim(id, now(), deadline + leaseMarginMs))) continue;
        const traceId = newTraceId();
        logger.withTrace(traceId).info(`Retomando o pedido ${id} em segundo plano`);
        try {
          await runClaimed(id, { deadline, traceId });
        } catch (error) {
          logger
            .withTrace(traceId)
            .error(`Falha ao retomar o pedido ${id}: ${String(error)}`, { err: error });
        }
        driven++;
      }
    } finally {
      recovering = false;
    }
    return driven;
  }

  const port: PedidosPort = {
    async criarPedido(req, ctx) {
      return (await create(req, ctx)).pedido;
    },
    async obterPedido(id) {
      return toValue(await load(id));
    },
  };

  return { ...port, create, recoverOnce };
}

export type PedidosService = ReturnType<typeof createPedidosService>;
