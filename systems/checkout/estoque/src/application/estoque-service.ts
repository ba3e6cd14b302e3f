import type {
  CallContext,
  EstoquePort,
  ItemQuantidade,
  SaldoValue,
  SeparacaoValue,
} from '@dslab/checkout-contracts';
import {
  beforeDeadline,
  DEFAULT_ATTEMPTS,
  recordOperation,
  runTransaction,
  validationFailed,
  type Outcome,
} from '@dslab/checkout-kit';
import type { Database } from '@dslab/db';
import { AppError, isAppError } from '@dslab/errors';
import type { Logger } from '@dslab/logging';
import type { Transaction } from 'kysely';
import type { EstoqueTables } from '../adapters/schema.js';
import { estoqueStore as store, type ReservaRow } from '../adapters/store.js';
import { validateLiberarRequest, validateProdutoIds, validateSepararRequest } from '../domain/request.js';
import {
  aggregate,
  liberar as planRelease,
  separar as decideSeparar,
  type Falta,
  type ItemEstoque,
} from '../domain/reserva.js';

export interface EstoqueServiceDeps {
  readonly database: Database<EstoqueTables>;
  readonly logger: Logger;
  /** Wall clock of the records (epoch ms); deadlines always run on Date.now, their own scale. */
  readonly now?: () => number;
  /** Attempts of a transaction that PostgreSQL aborted as a deadlock or serialization failure. */
  readonly maxAttempts?: number;
}

/** An answer and whether it was a replay of an earlier call (REST answers 200 instead of 201). */
export type { Outcome } from '@dslab/checkout-kit';

/**
 * The estoque port plus the entry points' view of it: `reserve` and `release` take the raw
 * request (validated here with the domain's validators) and say whether the call was a replay.
 */
export interface EstoqueService extends EstoquePort {
  reserve(input: unknown, ctx: CallContext): Promise<Outcome<SeparacaoValue>>;
  release(input: unknown, ctx: CallContext): Promise<Outcome<SeparacaoValue>>;
}

/** A reservation refused for want of stock; thrown inside the transaction to roll it back. */
class Shortage extends Error {
  constructor(readonly faltas: readonly Falta[]) {
    super('insufficient stock');
  }
}

/**
 * A refused take whose product, read right after, has enough units: a release committed in
 * between. The whole transaction is tried again instead of reporting a shortage that is gone.
 */
class StockMoved extends Error {}

function units(itens: readonly ItemEstoque[]): number {
  return itens.reduce((sum, i) => sum + i.quantidade, 0);
}

function copy(itens: readonly ItemEstoque[]): ItemQuantidade[] {
  return itens.map(({ produto_id, quantidade }) => ({ produto_id, quantidade }));
}

function motivoText(motivo: string): string {
  return motivo === '' ? '' : ` (motivo: ${motivo})`;
}

function separadoMensagem(pedidoId: number, itens: readonly ItemEstoque[]): string {
  return `Estoque separado para o pedido ${pedidoId}: ${itens.length} produto(s), ${units(itens)} unidade(s)`;
}

function faltasText(faltas: readonly Falta[]): string {
  return faltas
    .map((f) => `produto ${f.produto_id} (solicitado ${f.solicitado}, disponível ${f.disponivel})`)
    .join('; ');
}

function timeoutError(what: string): AppError {
  return new AppError('timeout', `o prazo da requisição terminou antes de ${what}`);
}

/**
 * estoque's application layer: reserves an order's items all or nothing, gives them back (the
 * checkout's compensation), and reads the stock. Every change is one transaction holding the
 * stock update, the reservation and its `operacoes` row; the log line follows the commit.
 *
 * Concurrency: the stock is taken with `UPDATE … SET quantidade = quantidade - q WHERE … AND
 * quantidade >= q`, one product at a time in ascending produto_id (every transaction locks rows in
 * the same order, so two reservations cannot deadlock), and the CHECK (quantidade >= 0) is the
 * last line. One order, one reservation: the reservation row is claimed first (INSERT … ON
 * CONFLICT DO NOTHING on its primary key), so a racing retry of the same order waits for the
 * first call and then replays it.
 */
export function createEstoqueService(deps: EstoqueServiceDeps): EstoqueService {
  const { database, logger } = deps;
  const db = database.db;
  const now = deps.now ?? Date.now;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_ATTEMPTS;
  const isoNow = () => new Date(now()).toISOString();

  /**
   * Runs `work` in one transaction bounded by the request's deadline (runTransaction: on
   * PostgreSQL the remaining budget becomes the transaction's statement_timeout, so no lock wait
   * outlives the request), retrying deadlocks, serialization failures and moved stock.
   */
  async function transact<T>(
    ctx: CallContext,
    what: string,
    work: (trx: Transaction<EstoqueTables>) => Promise<T>,
  ): Promise<T> {
    return runTransaction(database, ctx, work, {
      timeout: () => timeoutError(what),
      maxAttempts,
      retryIf: (error) => error instanceof StockMoved,
      exhausted: (error) =>
        error instanceof StockMoved
          ? new AppError('conflict', `o estoque mudou durante a separação; tente de novo`)
          : error,
    });
  }

  /** After a take failed on `linhas[failedAt]`: every short line of the order, as it stands now. */
  async function shortagesFrom(
    trx: Transaction<EstoqueTables>,
    linhas: readonly ItemEstoque[],
    failedAt: number,
  ): Promise<Falta[]> {
    const rest = linhas.slice(failedAt);
    const onHand = new Map(
      (
        await store.saldos(
          trx,
          rest.map((l) => l.produto_id),
        )
      ).map((s) => [s.produto_id, s.quantidade]),
    );
    const faltas: Falta[] = [];
    rest.forEach((linha, i) => {
      const disponivel = onHand.get(linha.produto_id) ?? 0;
      if (linha.quantidade > disponivel)
        faltas.push({ produto_id: linha.produto_id, solicitado: linha.quantidade, disponivel });
      else if (i === 0) throw new StockMoved();
    });
    return faltas;
  }

  function existingOutcome(
    existing: ReservaRow,
    pedidoId: number,
    itens: readonly ItemEstoque[],
  ): Outcome<SeparacaoValue> {
    if (existing.status === 'liberado')
      throw new AppError(
        'reservation-conflict',
        `o pedido ${pedidoId} já teve o estoque liberado${motivoText(existing.motivo ?? '')}; não é possível separá-lo de novo`,
      );
    const decision = decideSeparar(new Map(), existing, pedidoId, itens);
    if (decision.kind === 'already-separated') {
      const held = decision.reserva.linhas.map((l) => ({
        produto_id: l.produto_id,
        quantidade: l.reservado,
      }));
      return {
        replayed: true,
        value: {
          pedido_id: pedidoId,
          status: 'separado',
          itens: copy(held),
          mensagem: separadoMensagem(pedidoId, held),
        },
      };
    }
    // 'conflict' (other items) or 'released' (lines given back while still marked separado,
    // which the release never leaves behind): either way this order cannot take these items.
    throw new AppError(
      'reservation-conflict',
      `o pedido ${pedidoId} já tem uma reserva de estoque com outros itens (${existing.linhas
        .map((l) => `produto ${l.produto_id}: ${l.reservado}`)
        .join(', ')})`,
    );
  }

  async function reserve(input: unknown, ctx: CallContext): Promise<Outcome<SeparacaoValue>> {
    const checked = validateSepararRequest(input);
    if (!checked.ok) throw validationFailed(checked.errors);
    const pedidoId = checked.value.pedido_id;
    const linhas = aggregate(checked.value.itens);
    const log = logger.withTrace(ctx.traceId);
    const mensagem = separadoMensagem(pedidoId, linhas);
    try {
      const result = await transact(ctx, 'separar o estoque', async (trx) => {
        const at = isoNow();
        const claimed = await store.claimReserva(trx, {
          pedido_id: pedidoId,
          status: 'separado',
          motivo: null,
          at,
        });
        if (!claimed) {
          const existing = await store.findReserva(trx, pedidoId);
          if (existing === undefined)
            throw new AppError('internal', `a reserva do pedido ${pedidoId} sumiu durante a separação`);
          return existing;
        }
        for (const [i, linha] of linhas.entries())
          if (!(await store.take(trx, linha, at))) throw new Shortage(await shortagesFrom(trx, linhas, i));
        await store.insertLinhas(trx, pedidoId, linhas);
        await recordOperation(trx, {
          operacao: 'estoque_separado',
          pedido_id: pedidoId,
          mensagem,
          detalhes: { itens: linhas, unidades: units(linhas) },
          traceId: ctx.traceId,
          at,
        });
        return undefined;
      });
      if (result !== undefined) return existingOutcome(result, pedidoId, linhas);
    } catch (error) {
      if (error instanceof Shortage) throw await refuse(pedidoId, linhas, error.faltas, ctx);
      if (isAppError(error) && error.code === 'reservation-conflict')
        log.warn(`Separação recusada: ${error.detail}`);
      throw error;
    }
    log.info(mensagem);
    return {
      replayed: false,
      value: { pedido_id: pedidoId, status: 'separado', itens: copy(linhas), mensagem },
    };
  }

  /** Records a refusal for want of stock (its own small transaction, after the rollback). */
  async function refuse(
    pedidoId: number,
    linhas: readonly ItemEstoque[],
    faltas: readonly Falta[],
    ctx: CallContext,
  ): Promise<AppError> {
    const mensagem = `Estoque insuficiente para o pedido ${pedidoId}: ${faltasText(faltas)}`;
    const log = logger.withTrace(ctx.traceId);
    try {
      await db.transaction().execute((trx) =>
        recordOperation(trx, {
          operacao: 'estoque_insuficiente',
          pedido_id: pedidoId,
          mensagem,
          detalhes: { itens: linhas, faltas },
          traceId: ctx.traceId,
          at: isoNow(),
        }),
      );
    } catch (error) {
      log.error(`Falha ao registrar a recusa de estoque do pedido ${pedidoId}: ${String(error)}`, {
        err: error,
      });
    }
    log.warn(mensagem);
    return new AppError(
      'insufficient-stock',
      `estoque insuficiente para o pedido ${pedidoId}: ${faltasText(faltas)}`,
      {
        extensions: { faltas: faltas.map((f) => ({ ...f })) },
      },
    );
  }

  async function release(input: unknown, ctx: CallContext): Promise<Outcome<SeparacaoValue>> {
    const checked = validateLiberarRequest(input);
    if (!checked.ok) throw validationFailed(checked.errors);
    const { pedido_id: pedidoId, motivo } = checked.value;
    const result = await transact(ctx, 'liberar o estoque', async (trx) => {
      const at = isoNow();
      const tombstone = await store.claimReserva(trx, {
        pedido_id: pedidoId,
        status: 'liberado',
        motivo: motivo === '' ? null : motivo,
        at,
      });
      if (tombstone) {
        const mensagem = `Liberação registrada para o pedido ${pedidoId}, que não tinha estoque separado${motivoText(motivo)}`;
        await recordOperation(trx, {
          operacao: 'estoque_liberado',
          pedido_id: pedidoId,
          mensagem,
          detalhes: { itens: [], motivo, sem_reserva: true },
          traceId: ctx.traceId,
          at,
        });
        return { replayed: false, mensagem, devolucoes: [] as ItemEstoque[] };
      }
      if (!(await store.markReleased(trx, pedidoId, motivo === '' ? null : motivo, at)))
        return {
          replayed: true,
          mensagem: `O estoque do pedido ${pedidoId} já estava liberado; nada a devolver`,
          devolucoes: [] as ItemEstoque[],
        };
      const reserva = await store.findReserva(trx, pedidoId);
      if (reserva === undefined)
        throw new AppError('internal', `a reserva do pedido ${pedidoId} sumiu durante a liberação`);
      const plan = planRelease(reserva);
      if (!plan.ok) throw new AppError('internal', `a reserva do pedido ${pedidoId} está inconsistente`);
      for (const devolucao of plan.devolucoes) await store.giveBack(trx, devolucao, at);
      for (const linha of plan.reserva.linhas)
        if (plan.devolucoes.some((d) => d.produto_id === linha.produto_id))
          await store.setLiberado(trx, pedidoId, linha.produto_id, linha.liberado);
      const mensagem = `Estoque liberado para o pedido ${pedidoId}: ${plan.devolucoes.length} produto(s), ${units(plan.devolucoes)} unidade(s) devolvida(s)${motivoText(motivo)}`;
      await recordOperation(trx, {
        operacao: 'estoque_liberado',
        pedido_id: pedidoId,
        mensagem,
        detalhes: { itens: plan.devolucoes, motivo },
        traceId: ctx.traceId,
        at,
      });
      return { replayed: false, mensagem, devolucoes: plan.devolucoes };
    });
    if (!result.replayed) logger.withTrace(ctx.traceId).info(result.mensagem);
    return {
      replayed: result.replayed,
      value: {
        pedido_id: pedidoId,
        status: 'liberado',
        itens: copy(result.devolucoes),
        mensagem: result.mensagem,
      },
    };
  }

  async function consultar(produtoIds: readonly number[], ctx: CallContext): Promise<SaldoValue[]> {
    const checked = validateProdutoIds(produtoIds);
    if (!checked.ok) throw validationFailed(checked.errors);
    const rows = await beforeDeadline(
      ctx,
      () => timeoutError('consultar o estoque'),
      () => store.saldos(db, checked.value),
    );
    return rows.map((r) => ({ produto_id: r.produto_id, quantidade_disponivel: r.quantidade }));
  }

  return {
    reserve,
    release,
    consultar,
    async separar(req, ctx) {
      return (await reserve(req, ctx)).value;
    },
    async liberar(req, ctx) {
      return (await release(req, ctx)).value;
    },
  };
}
