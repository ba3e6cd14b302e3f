/**
 * The asynchronous checkout's orchestrator (seed 004): the consumer of pedidos' event queue that
 * walks each order through the saga (domain/saga.ts), one step at a time.
 *
 * Per event, ONE transaction (retried on transient failures): the inbox row
 * (`markProcessed('pedidos', messageId)`: a redelivery finds it and changes nothing), the order
 * read (locked on PostgreSQL), the saga's decision applied — status and fields, the history row
 * (`operacoes`) and the next commands in the outbox. After the commit the relay is woken to
 * publish them, and the history line is logged. An event for an order that does not exist, a
 * body that is not a checkout event, or a command on this queue can never succeed: they are
 * dead-lettered at once (PoisonMessageError).
 *
 * Every `sweepIntervalMs` (from start() to stop()) it also looks for stalled orders and sends
 * again the command each waits for (application/redrive.ts): a lost message never leaves an
 * order where it is. Whenever the saga moves an order on, `tentativas` (the re-sends of the
 * current step) goes back to 0.
 */
import type { CallContext } from '@dslab/checkout-contracts';
import {
  destinationOf,
  isCommand,
  messageIdOf,
  parseMessage,
  queueOf,
  type Event,
} from '@dslab/checkout-contracts/messages';
import {
  DEFAULT_QUEUE_PREFIX,
  DEFAULT_WORKER_MAX_ATTEMPTS,
  DEFAULT_WORKER_PREFETCH,
  recordOperation,
  runTransaction,
  type Worker,
} from '@dslab/checkout-kit';
import type { Database } from '@dslab/db';
import { AppError, isAppError } from '@dslab/errors';
import type { Logger } from '@dslab/logging';
import {
  PoisonMessageError,
  type MessageBus,
  type ReceivedMessage,
  type Subscription,
} from '@dslab/messaging';
import { enqueue, markProcessed, type OutboxRelay } from '@dslab/outbox';
import type { Transaction } from 'kysely';
import { createSagaStore, ORCHESTRATOR_CONSUMER, sagaStateOf } from '../adapters/saga-store.js';
import type { PedidosTables } from '../adapters/schema.js';
import type { StepFields } from '../adapters/store.js';
import { decideSaga, type SagaDecision, type SagaFields } from '../domain/saga.js';
import {
  createRedriver,
  DEFAULT_STALL_AFTER_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  DEFAULT_SWEEP_LIMIT,
  type RedriveOptions,
  type RedriveResult,
} from './redrive.js';

export { ORCHESTRATOR_CONSUMER };

export interface OrchestratorDeps {
  readonly database: Database<PedidosTables>;
  readonly bus: MessageBus;
  /** The relay of pedidos' outbox (started by the caller): woken after each commit that enqueued. */
  readonly relay: OutboxRelay;
  readonly logger: Logger;
  /** Namespace of the queues (default `checkout`). */
  readonly queuePrefix?: string;
  /** Events in flight at once (default 16). */
  readonly prefetch?: number;
  /** Deliveries of a failing event before it is dead-lettered (default 8). */
  readonly maxAttempts?: number;
  /** Wall clock, epoch ms (default Date.now). */
  readonly now?: () => number;
  /** Budget of one event's transaction, its retries included (default 30 000 ms). */
  readonly transactionTimeoutMs?: number;
  /** How often stalled orders are looked for while started (default 30 000 ms; 0: never). */
  readonly sweepIntervalMs?: number;
  /** An order untouched this long (× 2^min(tentativas, 6)) is stalled (default 120 000 ms). */
  readonly stallAfterMs?: number;
  /** Re-sends of one step before the order is left to an operator (default 10). */
  readonly maxRedrives?: number;
}

/** What one delivery did. */
export type EventOutcome =
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'applied'; readonly decision: Extract<SagaDecision, { kind: 'apply' }> };

function describeError(error: unknown): string {
  if (isAppError(error)) return `${error.code}: ${error.detail}`;
  return error instanceof Error ? error.message : String(error);
}

/** The decision's fields as columns (the compensation as its JSON). */
function columnsOf(fields: SagaFields): StepFields {
  const { compensacao, ...rest } = fields;
  return {
    ...rest,
    ...(compensacao === undefined
      ? {}
      : { compensacao: compensacao === null ? null : JSON.stringify(compensacao) }),
  };
}

/** The event the bytes carry, or a PoisonMessageError saying why they cannot be one. */
export function eventOf(message: Pick<ReceivedMessage, 'content'>): Event {
  const parsed = parseMessage(message.content);
  if (!parsed.ok) throw new PoisonMessageError(parsed.reason);
  if (isCommand(parsed.message))
    throw new PoisonMessageError(`${parsed.message.tipo} is a command; pedidos consumes events`);
  return parsed.message;
}

export interface Orchestrator extends Worker {
  /** Applies one event as a delivery would (tests, replays): the outcome, after the commit. */
  readonly process: (messageId: string, event: Event) => Promise<EventOutcome>;
  /**
   * One sweep for stalled orders now (the periodic one uses `stallAfterMs`; the embedded mode
   * runs one with `olderThanMs: 0` at start-up, its in-memory queues having died with the last
   * process).
   */
  readonly redriveStalled: (options: RedriveOptions) => Promise<RedriveResult>;
}

export function createOrchestrator(deps: OrchestratorDeps): Orchestrator {
  const { database, bus, relay, logger } = deps;
  const prefix = deps.queuePrefix ?? DEFAULT_QUEUE_PREFIX;
  const queue = queueOf('pedidos', prefix);
  const prefetch = deps.prefetch ?? DEFAULT_WORKER_PREFETCH;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_WORKER_MAX_ATTEMPTS;
  const now = deps.now ?? Date.now;
  const budgetMs = deps.transactionTimeoutMs ?? 30_000;
  const sagaStore = createSagaStore(database.engine);
  const sweepIntervalMs = deps.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  const stallAfterMs = deps.stallAfterMs ?? DEFAULT_STALL_AFTER_MS;
  const redriver = createRedriver({
    database,
    relay,
    logger,
    queuePrefix: prefix,
    now,
    transactionTimeoutMs: budgetMs,
    ...(deps.maxRedrives === undefined ? {} : { maxRedrives: deps.maxRedrives }),
  });
  let subscription: Subscription | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;
  let sweepAbort: AbortController | undefined;

  /** One periodic sweep, unless the last one is still running; failures are logged, not thrown. */
  function sweep(): void {
    if (sweeping !== undefined) return;
    const abort = new AbortController();
    sweepAbort = abort;
    sweeping = redriver
      .redriveStalled({ olderThanMs: stallAfterMs, limit: DEFAULT_SWEEP_LIMIT, signal: abort.signal })
      .then(
        () => undefined,
        (error: unknown) => {
          logger.warn(`Falha ao procurar pedidos parados: ${describeError(error)}`, { err: error });
        },
      )
      .finally(() => {
        sweeping = undefined;
      });
  }

  async function applyIn(
    trx: Transaction<PedidosTables>,
    messageId: string,
    event: Event,
  ): Promise<EventOutcome> {
    const at = new Date(now()).toISOString();
    if (!(await markProcessed(trx, ORCHESTRATOR_CONSUMER, messageId, at))) return { kind: 'duplicate' };
    const loaded = await sagaStore.load(trx, event.pedido_id);
    if (loaded === undefined)
      throw new PoisonMessageError(`${event.tipo}: o pedido ${event.pedido_id} não existe`);
    const { row, itens } = loaded;
    if (row.origem !== 'checkout')
      return { kind: 'ignored', reason: `order ${row.id} is imported history, not driven by the saga` };
    const state = sagaStateOf(row, itens);
    if ('invalid' in state) throw new Error(state.invalid);
    const decision = decideSaga(state, event, { at });
    if (decision.kind === 'ignore') return { kind: 'ignored', reason: decision.reason };
    // Moving on (a new status, or the next command sent) starts the new step's re-sends from 0; a
    // note without either (a refused dispatch) keeps the count, so a re-send id is never reused.
    const movedOn = decision.to !== undefined || decision.commands.length > 0;
    const changed = await sagaStore.change(
      trx,
      row.id,
      row.status,
      decision.to,
      { ...columnsOf(decision.fields), ...(movedOn ? { tentativas: 0 } : {}) },
      at,
    );
    // The row is locked (PostgreSQL) or the writer is alone (SQLite): a miss is a bug, not a race.
    if (!changed) throw new Error(`pedido ${row.id} changed under the orchestrator's transaction`);
    await recordOperation(trx, {
      operacao: decision.history.operacao,
      pedido_id: row.id,
      mensagem: decision.history.mensagem,
      detalhes: decision.history.detalhes,
      traceId: event.trace_id,
      at,
    });
    if (decision.commands.length > 0)
      await enqueue(
        trx,
        decision.commands.map((command) => ({
          queue: destinationOf(command, prefix),
          messageId: messageIdOf('pedidos', command),
          body: command,
        })),
        at,
      );
    return { kind: 'applied', decision };
  }

  async function process(messageId: string, event: Event): Promise<EventOutcome> {
    const ctx: CallContext = { deadline: Date.now() + budgetMs, traceId: event.trace_id };
    const outcome = await runTransaction(database, ctx, (trx) => applyIn(trx, messageId, event), {
      timeout: () =>
        new AppError(
          'timeout',
          `o evento ${event.tipo} do pedido ${event.pedido_id} não foi aplicado a tempo`,
        ),
    });
    const log = logger.withTrace(event.trace_id);
    switch (outcome.kind) {
      case 'duplicate':
        log.info(
          `Evento ${event.tipo} do pedido ${event.pedido_id} já processado; entrega repetida ignorada`,
        );
        break;
      case 'ignored':
        log.warn(`Evento ${event.tipo} ignorado para o pedido ${event.pedido_id}: ${outcome.reason}`);
        break;
      case 'applied': {
        if (outcome.decision.commands.length > 0) relay.wake();
        log[outcome.decision.level](outcome.decision.history.mensagem);
        break;
      }
    }
    return outcome;
  }

  async function onMessage(message: ReceivedMessage): Promise<void> {
    let event: Event;
    try {
      event = eventOf(message);
    } catch (error) {
      logger.warn(
        `Mensagem ${message.messageId} de ${queue} não é um evento do checkout: ${describeError(error)}`,
      );
      throw error;
    }
    try {
      if (message.messageId === '') throw new PoisonMessageError(`${event.tipo} has no message id`);
      await process(message.messageId, event);
    } catch (error) {
      const log = logger.withTrace(event.trace_id);
      if (error instanceof PoisonMessageError)
        log.error(`Evento ${event.tipo} descartado (fila de mensagens mortas): ${error.message}`);
      else
        log.warn(
          `Falha ao aplicar o evento ${event.tipo} do pedido ${event.pedido_id} (tentativa ${message.attempt} de ${maxAttempts}): ${describeError(error)}`,
          { err: error },
        );
      throw error;
    }
  }

  return {
    process,
    redriveStalled: (options) => redriver.redriveStalled(options),
    async start() {
      if (subscription !== undefined) return;
      subscription = await bus.consume(queue, onMessage, { prefetch, maxAttempts });
      logger.info(`Orquestrando pedidos a partir de ${queue} (${prefetch} por vez)`);
      if (sweepIntervalMs > 0 && sweepTimer === undefined) {
        sweepTimer = setInterval(sweep, sweepIntervalMs);
        sweepTimer.unref();
      }
    },
    async stop() {
      clearInterval(sweepTimer);
      sweepTimer = undefined;
      sweepAbort?.abort();
      await sweeping;
      const current = subscription;
      subscription = undefined;
      if (current !== undefined) await current.cancel();
    },
  };
}
