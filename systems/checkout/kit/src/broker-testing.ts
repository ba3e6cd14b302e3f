/**
 * What the step workers' tests share (kit's worker test and each step service's broker test): a
 * command worker over a real database and a real bus (RabbitMQ or the in-process one) in a queue
 * namespace of its own, the service's outbox relay, and pedidos' side of the conversation — the
 * commands it sends and the answers it gets on its queue.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  COMMAND_TARGET,
  messageIdOf,
  messageOf,
  parseMessage,
  queueOf,
  type Command,
  type CommandData,
  type CommandType,
  type Event,
} from '@dslab/checkout-contracts/messages';
import type { Database } from '@dslab/db';
import { AppError } from '@dslab/errors';
import { createLogger, newTraceId, type Logger } from '@dslab/logging';
import { createInProcessBus, type DeadLetter, type MessageBus, type Subscription } from '@dslab/messaging';
import { openTestAmqpBus, uniqueQueue } from '@dslab/messaging/testing';
import { createOutboxRelay, type OutboxRelay } from '@dslab/outbox';
import type { Kysely } from 'kysely';
import type { CommonTables } from './database.js';
import { createCommandWorker, type CommandHandler, type StepService, type Worker } from './worker.js';

export type BusKind = 'in-process' | 'amqp';
export const BUS_KINDS: readonly BusKind[] = ['in-process', 'amqp'];

/** One answer pedidos received: the bus's message id and the parsed event. */
export interface Answer {
  readonly messageId: string;
  readonly event: Event;
}

export interface StepHarnessOptions<DB extends CommonTables> {
  readonly service: StepService;
  readonly bus: BusKind;
  readonly database: Database<DB>;
  readonly handle: CommandHandler;
  /** The worker's database, when it must differ from the relay's (fault injection). */
  readonly workerDatabase?: Database<DB>;
  readonly prefetch?: number;
  readonly maxAttempts?: number;
  readonly stepTimeoutMs?: number;
  /** The logger (and its captured lines) to use, e.g. the one the service was built with. */
  readonly log?: CapturedLog;
}

export interface CapturedLog {
  readonly logger: Logger;
  readonly lines: string[];
}

/** A logger that writes nothing to the console and keeps every line. */
export function capturedLog(service: string): CapturedLog {
  const lines: string[] = [];
  return { logger: createLogger({ service, console: false, onLine: (line) => lines.push(line) }), lines };
}

export interface StepHarness {
  readonly prefix: string;
  /** The worker's command queue. */
  readonly queue: string;
  readonly bus: MessageBus;
  readonly relay: OutboxRelay;
  readonly worker: Worker;
  readonly logger: Logger;
  /** Every log line of the worker, the relay and the bus. */
  readonly lines: string[];
  /** What pedidos received on its queue, in arrival order. */
  readonly answers: Answer[];
  /** Publishes `command` to its service's queue (message id: pedidos' deterministic one). */
  send(command: Command, messageId?: string): Promise<string>;
  /** Publishes any body to the worker's queue. */
  sendRaw(body: unknown, messageId: string): Promise<void>;
  /** The answers about one order. */
  answersOf(pedidoId: number): Answer[];
  /** Waits until `n` answers about the order arrived (and checks no more came meanwhile). */
  waitForAnswers(pedidoId: number, n: number, timeoutMs?: number): Promise<Answer[]>;
  /**
   * Waits until `n` deliveries about the order ended in the worker (each one logs exactly one of:
   * processed, answered by a twin, skipped as processed) and the relay published what they wrote.
   */
  waitForDeliveries(pedidoId: number, n: number, timeoutMs?: number): Promise<void>;
  /** Waits for the message's dead letter on the worker's queue. */
  waitForDeadLetter(messageId: string, timeoutMs?: number): Promise<DeadLetter>;
  /** Stops the worker, the relay and the collector; deletes the queues; closes the bus. */
  close(): Promise<void>;
}

/** Polls `check` until it answers a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A command as pedidos would send it (a fresh trace id, stamped now). */
export function commandOf<T extends CommandType>(
  tipo: T,
  pedidoId: number,
  dados: CommandData[T],
  traceId: string = newTraceId(),
): Extract<Command, { tipo: T }> {
  return messageOf<CommandType>(tipo, pedidoId, dados, {
    traceId,
    at: new Date().toISOString(),
  }) as Extract<Command, { tipo: T }>;
}

/** The event of an answer, narrowed to its tipo (fails the test on another tipo). */
export function eventOfType<T extends Event['tipo']>(
  answer: Answer | undefined,
  tipo: T,
): Extract<Event, { tipo: T }> {
  assert.ok(answer !== undefined, `expected a ${tipo} answer`);
  assert.equal(answer.event.tipo, tipo, JSON.stringify(answer.event));
  return answer.event as Extract<Event, { tipo: T }>;
}

/** A real handler the tests steer: fail an order's next run, make an order's runs overlap, count runs. */
export interface SteerableHandler {
  readonly handle: CommandHandler;
  /** The next run for the order fails with `unavailable` (transient: the bus retries it). */
  failNext(pedidoId: number): void;
  /** The order's runs wait until `n` of them started, so they really run at once. */
  overlap(pedidoId: number, n: number): void;
  /** How many times the handler ran for the order. */
  runs(pedidoId: number): number;
}

export function steerable(handle: CommandHandler): SteerableHandler {
  const failing = new Set<number>();
  const together = new Map<number, number>();
  const runs = new Map<number, number>();
  const runsOf = (pedidoId: number) => runs.get(pedidoId) ?? 0;
  return {
    handle: async (command, ctx) => {
      const id = command.pedido_id;
      runs.set(id, runsOf(id) + 1);
      const n = together.get(id);
      if (n !== undefined)
        await eventually(`${n} runs of order ${id} started`, () => (runsOf(id) >= n ? true : undefined));
      if (failing.delete(id)) throw new AppError('unavailable', `falha simulada no pedido ${id}`);
      return handle(command, ctx);
    },
    failNext: (pedidoId) => failing.add(pedidoId),
    overlap: (pedidoId, n) => together.set(pedidoId, n),
    runs: runsOf,
  };
}

/** Rows of a table in the database (the inbox, the outbox, a service's effects). */
export async function countRows<DB>(
  database: Database<DB>,
  table: 'outbox' | 'mensagens_processadas' | 'operacoes',
): Promise<number> {
  const row = await (database.db as unknown as Kysely<Record<string, { id: number }>>)
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const TERMINAL = [
  ' processado: ',
  'já respondido por outra entrega',
  'já processado; entrega repetida ignorada',
];

/** Starts the worker, its relay and pedidos' collector on a fresh queue namespace. */
export async function startStepHarness<DB extends CommonTables>(
  options: StepHarnessOptions<DB>,
): Promise<StepHarness> {
  const { service, database } = options;
  const { logger, lines } = options.log ?? capturedLog(service);
  const bus = options.bus === 'amqp' ? await openTestAmqpBus(logger) : createInProcessBus({ logger });
  const prefix = uniqueQueue('ck');
  const queue = queueOf(service, prefix);
  const pedidosQueue = queueOf('pedidos', prefix);
  const answers: Answer[] = [];
  const relay = createOutboxRelay({ database, bus, logger, idlePollMs: 50, name: service });
  const worker = createCommandWorker({
    service,
    database: options.workerDatabase ?? database,
    bus,
    relay,
    logger,
    handle: options.handle,
    queuePrefix: prefix,
    ...(options.prefetch === undefined ? {} : { prefetch: options.prefetch }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: options.stepTimeoutMs }),
  });
  let collector: Subscription;
  try {
    collector = await bus.consume(pedidosQueue, async (message) => {
      const parsed = parseMessage(message.content);
      assert.ok(parsed.ok, `pedidos received an invalid message: ${message.content.toString('utf8')}`);
      answers.push({ messageId: message.messageId, event: parsed.message as Event });
    });
  } catch (error) {
    await bus.close();
    throw error;
  }
  try {
    relay.start();
    await worker.start();
  } catch (error) {
    await collector.cancel();
    await relay.stop();
    await bus.close();
    throw error;
  }

  const answersOf = (pedidoId: number) => answers.filter((a) => a.event.pedido_id === pedidoId);
  const endedDeliveries = (pedidoId: number) =>
    lines.filter((l) => l.includes(`do pedido ${pedidoId} `) && TERMINAL.some((t) => l.includes(t))).length;

  return {
    prefix,
    queue,
    bus,
    relay,
    worker,
    logger,
    lines,
    answers,
    async send(command, messageId = messageIdOf('pedidos', command)) {
      await bus.publish(queueOf(COMMAND_TARGET[command.tipo], prefix), { messageId, body: command });
      return messageId;
    },
    async sendRaw(body, messageId) {
      await bus.publish(queue, { messageId, body });
    },
    answersOf,
    async waitForAnswers(pedidoId, n, timeoutMs = 15_000) {
      const got = await eventually(
        `${n} answer(s) about order ${pedidoId}`,
        () => {
          const list = answersOf(pedidoId);
          return list.length >= n ? list : undefined;
        },
        timeoutMs,
      );
      assert.equal(got.length, n, `answers about order ${pedidoId}: ${JSON.stringify(got)}`);
      return got;
    },
    async waitForDeliveries(pedidoId, n, timeoutMs = 15_000) {
      await eventually(
        `${n} ended deliveries about order ${pedidoId}`,
        () => (endedDeliveries(pedidoId) >= n ? true : undefined),
        timeoutMs,
      );
      assert.equal(endedDeliveries(pedidoId), n);
      await eventually('the outbox to be published', async () =>
        (await relay.pending()) === 0 ? true : undefined,
      );
      // The last publish is confirmed; give its delivery to the collector a moment.
      await sleep(100);
    },
    async waitForDeadLetter(messageId, timeoutMs = 15_000) {
      return eventually(
        `the dead letter of ${messageId}`,
        async () => (await bus.peekDeadLetters(queue)).find((d) => d.messageId === messageId),
        timeoutMs,
      );
    },
    async close() {
      await worker.stop();
      await collector.cancel();
      await relay.stop();
      if (options.bus === 'amqp') {
        await bus.deleteQueue(queue);
        await bus.deleteQueue(pedidosQueue);
      }
      await bus.close();
    },
  };
}

/**
 * Checks that what can never be the worker's command is dead-lettered on its first delivery with
 * the reason, and never answered: a body that is not JSON, a command missing its envelope, and
 * `foreign` (a well-formed command for another service).
 */
export async function expectDeadLetteredAtOnce(h: StepHarness, foreign: Command): Promise<void> {
  const malformed = uniqueQueue('malformado');
  const incomplete = uniqueQueue('incompleto');
  const foreignId = uniqueQueue('outro');
  await h.bus.publish(h.queue, { messageId: malformed, body: 'isto não é um comando' });
  await h.sendRaw({ tipo: foreign.tipo, pedido_id: foreign.pedido_id, dados: foreign.dados }, incomplete);
  await h.sendRaw(foreign, foreignId);
  const first = await h.waitForDeadLetter(malformed);
  assert.match(first.reason, /not a JSON object/);
  assert.equal(first.attempts, 1);
  assert.match((await h.waitForDeadLetter(incomplete)).reason, /trace_id is missing/);
  const wrong = await h.waitForDeadLetter(foreignId);
  assert.match(wrong.reason, new RegExp(`${foreign.tipo} is a command for \\w+, not for`));
  assert.equal(wrong.attempts, 1);
  assert.equal(h.answersOf(foreign.pedido_id).length, 0);
}
