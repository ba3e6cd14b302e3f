import type { CallContext } from '@dslab/checkout-contracts';
import {
  COMMAND_TARGET,
  destinationOf,
  isCommand,
  messageIdOf,
  messageOf,
  parseMessage,
  queueOf,
  type Command,
  type CommandType,
  type Event,
  type EventData,
  type EventOf,
  type EventType,
} from '@dslab/checkout-contracts/messages';
import type { Database } from '@dslab/db';
import { isAppError, type AppError } from '@dslab/errors';
import type { Logger } from '@dslab/logging';
import {
  PoisonMessageError,
  type MessageBus,
  type ReceivedMessage,
  type Subscription,
} from '@dslab/messaging';
import { enqueue, markProcessed, wasProcessed, type OutboxRelay } from '@dslab/outbox';
import type { Kysely } from 'kysely';
import type { CommonTables } from './database.js';
import { withRetries } from './transaction.js';

/**
 * The step workers of the asynchronous checkout (seed 004): a competing consumer of one service's
 * command queue that runs the step through the service's own application layer and answers with
 * an event on pedidos' queue, exactly once in effect.
 *
 * Per message: parse it (anything that cannot be this service's command is dead-lettered at
 * once); skip it when the inbox already holds its id (a redelivery after the answer committed);
 * otherwise run the step, which the services make idempotent per order (a redelivery before the
 * answer committed re-runs it and gets the stored result, never a second charge, reservation,
 * invoice or dispatch), and write the inbox row and the answer to the outbox in ONE transaction.
 * The relay publishes the answer afterwards.
 */

/** The services that consume commands (pedidos consumes events). */
export type StepService = 'estoque' | 'pagamentos' | 'fiscal' | 'logistica';

/**
 * Runs one command through a service and answers its event. A refusal is thrown as an AppError
 * with a 4xx status (the worker answers ETAPA_RECUSADA); anything else thrown is retried.
 */
export type CommandHandler = (command: Command, ctx: CallContext) => Promise<Event>;

export interface CommandWorkerDeps<DB extends CommonTables> {
  readonly service: StepService;
  readonly database: Database<DB>;
  readonly bus: MessageBus;
  /** The relay of `database`'s outbox: woken after each answer commits (started by the caller). */
  readonly relay: OutboxRelay;
  readonly logger: Logger;
  readonly handle: CommandHandler;
  /** Namespace of the queues (default `checkout`). */
  readonly queuePrefix?: string;
  /** Commands in flight at once (default 16). */
  readonly prefetch?: number;
  /** Deliveries of a failing command before it is dead-lettered (default 8). */
  readonly maxAttempts?: number;
  /** The deadline of one step (its CallContext), from when it starts; default 30 000 ms. */
  readonly stepTimeoutMs?: number;
}

export interface Worker {
  /** Starts consuming (the queue is declared if missing). */
  start(): Promise<void>;
  /** Stops taking messages and waits for the ones in flight (bounded by the bus). */
  stop(): Promise<void>;
}

export const DEFAULT_QUEUE_PREFIX = 'checkout';
export const DEFAULT_WORKER_PREFETCH = 16;
export const DEFAULT_WORKER_MAX_ATTEMPTS = 8;
export const DEFAULT_STEP_TIMEOUT_MS = 30_000;

/**
 * 4xx codes that say "not now" rather than "no": a retry may succeed, so they are retried like
 * any transient failure instead of being answered as a refusal.
 */
const TRANSIENT_CLIENT_CODES: ReadonlySet<string> = new Set([
  'idempotency-in-progress',
  'version-not-visible',
  'rate-limited',
]);

/** An AppError that refuses the step for good: a 4xx other than 408 and the transient ones. */
export function isRefusal(error: unknown): error is AppError {
  return (
    isAppError(error) &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 408 &&
    !TRANSIENT_CLIENT_CODES.has(error.code)
  );
}

/** The answer to `command`: an event of the same order and trace, stamped now. */
export function eventFor<T extends EventType>(
  command: Pick<Command, 'pedido_id' | 'trace_id'>,
  tipo: T,
  dados: EventData[T],
  at: string = new Date().toISOString(),
): EventOf<T> {
  return messageOf<EventType>(tipo, command.pedido_id, dados, {
    traceId: command.trace_id,
    at,
  }) as EventOf<T>;
}

/** The ETAPA_RECUSADA answering a command the service refused. */
export function refusalOf(command: Command, error: AppError): EventOf<'ETAPA_RECUSADA'> {
  return eventFor(command, 'ETAPA_RECUSADA', {
    comando: command.tipo,
    codigo: error.code,
    detalhe: error.detail,
  });
}

/** A command for another service reached `service`'s handler: it can never succeed here. */
export function notForService(service: StepService, tipo: CommandType): PoisonMessageError {
  return new PoisonMessageError(`${tipo} is a command for ${COMMAND_TARGET[tipo]}, not for ${service}`);
}

/** An error as a log line says it: `code: detail` for an AppError, else its message. */
export function describeError(error: unknown): string {
  if (isAppError(error)) return `${error.code}: ${error.detail}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The command worker of one step service: `bus.consume(queueOf(service, prefix), …)`. The relay
 * is the caller's (one per database, shared with anything else that writes that outbox): the
 * worker only wakes it.
 */
export function createCommandWorker<DB extends CommonTables>(deps: CommandWorkerDeps<DB>): Worker {
  const { service, database, bus, relay, logger, handle } = deps;
  const prefix = deps.queuePrefix ?? DEFAULT_QUEUE_PREFIX;
  const queue = queueOf(service, prefix);
  const prefetch = deps.prefetch ?? DEFAULT_WORKER_PREFETCH;
  const maxAttempts = deps.maxAttempts ?? DEFAULT_WORKER_MAX_ATTEMPTS;
  const stepTimeoutMs = deps.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const db = database.db as unknown as Kysely<CommonTables>;
  let subscription: Subscription | undefined;

  /** The command the bytes carry, or a PoisonMessageError saying why they cannot be one for us. */
  function commandOf(message: ReceivedMessage): Command {
    const parsed = parseMessage(message.content);
    if (!parsed.ok) throw new PoisonMessageError(parsed.reason);
    const received = parsed.message;
    if (!isCommand(received))
      throw new PoisonMessageError(`${received.tipo} is an event, not a command for ${service}`);
    if (COMMAND_TARGET[received.tipo] !== service) throw notForService(service, received.tipo);
    return received;
  }

  /**
   * The inbox row and the answer in one transaction, retried on transient failures; when the
   * inbox already had the message (a twin delivery answered first), nothing is enqueued.
   * Answers whether this delivery's answer was the one recorded.
   */
  async function reply(messageId: string, event: Event, traceId: string): Promise<boolean> {
    const ctx: CallContext = { deadline: Date.now() + stepTimeoutMs, traceId };
    return withRetries(ctx, () =>
      db.transaction().execute(async (trx) => {
        const at = new Date().toISOString();
        if (!(await markProcessed(trx, service, messageId, at))) return false;
        await enqueue(
          trx,
          [{ queue: destinationOf(event, prefix), messageId: messageIdOf(service, event), body: event }],
          at,
        );
        return true;
      }),
    );
  }

  async function onMessage(message: ReceivedMessage): Promise<void> {
    let command: Command;
    try {
      command = commandOf(message);
    } catch (error) {
      logger.warn(
        `Mensagem ${message.messageId} de ${queue} não é um comando para ${service}: ${describeError(error)}`,
      );
      throw error;
    }
    const { tipo, pedido_id: pedidoId } = command;
    const log = logger.withTrace(command.trace_id);
    try {
      if (await wasProcessed(db, service, message.messageId)) {
        log.info(`Comando ${tipo} do pedido ${pedidoId} já processado; entrega repetida ignorada`);
        return;
      }
      const ctx: CallContext = { deadline: Date.now() + stepTimeoutMs, traceId: command.trace_id };
      let event: Event;
      try {
        event = await handle(command, ctx);
      } catch (error) {
        if (!isRefusal(error)) throw error;
        log.warn(`Comando ${tipo} do pedido ${pedidoId} recusado: ${describeError(error)}`);
        event = refusalOf(command, error);
      }
      if (event.pedido_id !== pedidoId || event.trace_id !== command.trace_id)
        throw new Error(
          `the handler answered ${event.tipo} of order ${event.pedido_id} to ${tipo} of order ${pedidoId}`,
        );
      const recorded = await reply(message.messageId, event, command.trace_id);
      relay.wake();
      if (recorded) log.info(`Comando ${tipo} do pedido ${pedidoId} processado: ${event.tipo}`);
      else log.info(`Comando ${tipo} do pedido ${pedidoId} já respondido por outra entrega`);
    } catch (error) {
      log.warn(
        `Falha ao processar o comando ${tipo} do pedido ${pedidoId} (tentativa ${message.attempt} de ${maxAttempts}): ${describeError(error)}`,
        { err: error },
      );
      throw error;
    }
  }

  return {
    async start() {
      if (subscription !== undefined) return;
      subscription = await bus.consume(queue, onMessage, { prefetch, maxAttempts });
      logger.info(`Processando comandos de ${queue} (${prefetch} por vez)`);
    },
    async stop() {
      const current = subscription;
      subscription = undefined;
      if (current !== undefined) await current.cancel();
    },
  };
}
