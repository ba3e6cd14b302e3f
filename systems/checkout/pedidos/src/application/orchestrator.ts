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
import { createSagaStore } from '../adapters/saga-store.js';
import type { PedidosTables } from '../adapters/schema.js';
import type { StepFields } from '../adapters/store.js';
import { decideSaga, parseCompensacao, type SagaDecision, type SagaFields } from '../domain/saga.js';
import { isPedidoStatus } from '../domain/status.js';

/** The orchestrator's name in the inbox (`mensagens_processadas.consumidor`). */
export const ORCHESTRATOR_CONSUMER = 'pedidos';

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

export function createOrchestrator(deps: OrchestratorDeps): Worker & {
  /** Applies one event as a delivery would (tests, replays): the outcome, after the commit. */
  readonly process: (messageId: string, event: Event) => Promise<EventOutcome>;
} {
  const { database, bus, relay, logger } = deps;
  const prefix = deps.queuePrefix ?? DEFAULT_QUEUE_PREFIX;
  const queue = queueOf('pedidos', prefix);
  const prefetch = deps.prefetch ?? DEFAULT_WORKER_PREFETCH;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_WORKER_MAX_ATTEMPTS;
  const now = deps.now ?? Date.now;
  const budgetMs = deps.transactionTimeoutMs ?? 30_000;
  const sagaStore = createSagaStore(database.engine);
  let subscription: Subscription | undefined;

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
    const compensacao = parseCompensacao(row.compensacao);
    if (compensacao !== null && 'invalid' in compensacao)
      throw new Error(`pedido ${row.id}: ${compensacao.invalid}`);
    if (!isPedidoStatus(row.status)) throw new Error(`pedido ${row.id}: unknown status ${row.status}`);
    const decision = decideSaga(
      {
        id: row.id,
        status: row.status,
        compensacao,
        valor_total_centavos: row.valor_total_centavos,
        metodo_pagamento: row.metodo_pagamento as Parameters<typeof decideSaga>[0]['metodo_pagamento'],
        itens,
        nota_fiscal_id: row.nota_fiscal_id,
        numero_nota_fiscal: row.numero_nota_fiscal,
      },
      event,
      { at },
    );
    if (decision.kind === 'ignore') return { kind: 'ignored', reason: decision.reason };
    const changed = await sagaStore.change(
      trx,
      row.id,
      row.status,
      decision.to,
      columnsOf(decision.fields),
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
    async start() {
      if (subscription !== undefined) return;
      subscription = await bus.consume(queue, onMessage, { prefetch, maxAttempts });
      logger.info(`Orquestrando pedidos a partir de ${queue} (${prefetch} por vez)`);
    },
    async stop() {
      const current = subscription;
      subscription = undefined;
      if (current !== undefined) await current.cancel();
    },
  };
}
