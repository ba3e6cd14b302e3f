/**
 * What the step workers' tests share (kit's worker test and each step service's broker test): a
 * command worker over a real database and a real bus (RabbitMQ or the in-process one) in a queue
 * namespace of its own, the service's outbox relay, and pedidos' side of the conversation — the
 * commands it sends and the answers it gets on its queue; the suite that runs a service's worker
 * on every engine and bus kind, and the scenarios every step service passes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  COMMAND_TARGET,
  messageIdOf,
  messageOf,
  parseMessage,
  queueOf,
  type Command,
  type CommandData,
  type CommandOf,
  type CommandType,
  type Event,
  type EventType,
} from '@dslab/checkout-contracts/messages';
import type { Database, Engine } from '@dslab/db';
import { AppError } from '@dslab/errors';
import { createLogger, newTraceId, type Logger } from '@dslab/logging';
import type { DeadLetter, MessageBus, Subscription } from '@dslab/messaging';
import { BUS_KINDS, openTestBus, uniqueQueue, type BusKind } from '@dslab/messaging/testing';
import { createOutboxRelay, type OutboxRelay } from '@dslab/outbox';
import { ENGINES } from '@dslab/testing';
import type { Kysely, Migration } from 'kysely';
import { operationsOf, type CommonTables } from './database.js';
import { openTestServiceDatabase, type TestServiceDatabase } from './testing.js';
import {
  createCommandWorker,
  DEFAULT_WORKER_MAX_ATTEMPTS,
  eventFor,
  type CommandHandler,
  type StepService,
  type Worker,
} from './worker.js';

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
  readonly service: StepService;
  readonly prefix: string;
  /** The worker's command queue. */
  readonly queue: string;
  readonly bus: MessageBus;
  readonly relay: OutboxRelay;
  readonly worker: Worker;
  /** Deliveries of a failing command before it is dead-lettered. */
  readonly maxAttempts: number;
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
): CommandOf<T> {
  return messageOf<CommandType>(tipo, pedidoId, dados, {
    traceId,
    at: new Date().toISOString(),
  }) as CommandOf<T>;
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

/** A real handler the tests steer: fail an order's next runs, make an order's runs overlap, count runs. */
export interface SteerableHandler {
  readonly handle: CommandHandler;
  /** The next `times` runs for the order fail with `unavailable` (transient: the bus retries them). */
  failNext(pedidoId: number, times?: number): void;
  /** The order's runs wait until `n` of them started, so they really run at once. */
  overlap(pedidoId: number, n: number): void;
  /** How many times the handler ran for the order. */
  runs(pedidoId: number): number;
}

export function steerable(handle: CommandHandler): SteerableHandler {
  const failing = new Map<number, number>();
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
      const failures = failing.get(id) ?? 0;
      if (failures > 0) {
        failing.set(id, failures - 1);
        throw new AppError('unavailable', `falha simulada no pedido ${id}`);
      }
      return handle(command, ctx);
    },
    failNext: (pedidoId, times = 1) => failing.set(pedidoId, times),
    overlap: (pedidoId, n) => together.set(pedidoId, n),
    runs: runsOf,
  };
}

/**
 * Rows of a table in the database (the inbox, the outbox, a service's effects); with `pedidoId`,
 * only the order's (the table must have a `pedido_id` column).
 */
export async function countRows<DB>(
  database: Database<DB>,
  table: keyof DB & string,
  pedidoId?: number,
): Promise<number> {
  // Any table: Kysely's view of it is a table named `rows` with the one column the filter needs.
  const db = database.db as unknown as Kysely<{ rows: { pedido_id: number } }>;
  let query = db
    .selectFrom(table as 'rows')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'));
  if (pedidoId !== undefined) query = query.where('pedido_id', '=', pedidoId);
  const row = await query.executeTakeFirstOrThrow();
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
  const maxAttempts = options.maxAttempts ?? DEFAULT_WORKER_MAX_ATTEMPTS;
  const { logger, lines } = options.log ?? capturedLog(service);
  const bus = await openTestBus(options.bus, logger);
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
    maxAttempts,
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
    service,
    prefix,
    queue,
    bus,
    relay,
    worker,
    maxAttempts,
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
 * the reason, and never answered: a body that is not JSON, a command missing its envelope,
 * `foreign` (a well-formed command for another service) and an event about its order.
 */
export async function expectDeadLetteredAtOnce(h: StepHarness, foreign: Command): Promise<void> {
  const malformed = uniqueQueue('malformado');
  const incomplete = uniqueQueue('incompleto');
  const foreignId = uniqueQueue('outro');
  const eventId = uniqueQueue('evento');
  await h.bus.publish(h.queue, { messageId: malformed, body: 'isto não é um comando' });
  await h.sendRaw({ tipo: foreign.tipo, pedido_id: foreign.pedido_id, dados: foreign.dados }, incomplete);
  await h.sendRaw(foreign, foreignId);
  await h.sendRaw(eventFor(foreign, 'ESTOQUE_INSUFICIENTE', { faltas: [] }), eventId);
  const first = await h.waitForDeadLetter(malformed);
  assert.match(first.reason, /not a JSON object/);
  assert.equal(first.attempts, 1);
  assert.match((await h.waitForDeadLetter(incomplete)).reason, /trace_id is missing/);
  const wrong = await h.waitForDeadLetter(foreignId);
  assert.equal(
    wrong.reason,
    `${foreign.tipo} is a command for ${COMMAND_TARGET[foreign.tipo]}, not for ${h.service}`,
  );
  assert.equal(wrong.attempts, 1);
  const event = await h.waitForDeadLetter(eventId);
  assert.match(event.reason, /ESTOQUE_INSUFICIENTE is an event, not a command/);
  assert.equal(event.attempts, 1);
  assert.equal(h.answersOf(foreign.pedido_id).length, 0);
}

// ---------------------------------------------------------------------------------------------
// A step service's worker on every engine and bus kind

/** What a suite's `build` makes of the service: its command handler, and what goes with it. */
export interface StepUnderTest<DB> {
  readonly handle: CommandHandler;
  /** The worker's database, when it must differ from the relay's (fault injection). */
  readonly workerDatabase?: Database<DB>;
  /** Ends what `build` started (an app's HTTP server); the database is the suite's. */
  close?(): Promise<unknown>;
}

export interface StepWorkerSuiteOptions<DB extends CommonTables, S extends StepUnderTest<DB>> {
  readonly service: StepService;
  /** The describe title before `(<engine>, <bus kind> bus)`; default `<service> command worker`. */
  readonly title?: string;
  /** The service's migrations: the suite opens its database in a namespace of its own. */
  readonly migrations: (engine: Engine) => Record<string, Migration>;
  /** Connections of the database (default 10: the tests race deliveries). */
  readonly poolSize?: number;
  /** The service over the database (filled first, if the tests need), logging to `logger`. */
  build(database: Database<DB>, logger: Logger): S | Promise<S>;
  readonly maxAttempts?: number;
  readonly stepTimeoutMs?: number;
}

/** One engine × bus kind of a suite; everything but the names exists from its `before` on. */
export interface StepSuite<DB, S extends StepUnderTest<DB>> {
  readonly engine: Engine;
  readonly busKind: BusKind;
  readonly database: Database<DB>;
  /** What `build` answered. */
  readonly subject: S;
  /** The service's handler as the worker runs it, steered by the tests. */
  readonly step: SteerableHandler;
  /** The worker, its relay and pedidos' side of the queues. */
  readonly h: StepHarness;
}

/**
 * A describe per engine × bus kind: before its tests, the service's database is opened, the
 * service built over it and its worker started (`steerable`, in a harness of its own); after
 * them, all of it is closed. `tests` registers the tests of one suite.
 */
export function describeStepWorker<DB extends CommonTables, S extends StepUnderTest<DB>>(
  options: StepWorkerSuiteOptions<DB, S>,
  tests: (suite: StepSuite<DB, S>) => void,
): void {
  const { service } = options;
  for (const engine of ENGINES)
    for (const busKind of BUS_KINDS)
      describe(`${options.title ?? `${service} command worker`} (${engine}, ${busKind} bus)`, () => {
        let opened: TestServiceDatabase<DB> | undefined;
        let subject: S | undefined;
        let step: SteerableHandler | undefined;
        let h: StepHarness | undefined;

        before(async () => {
          opened = await openTestServiceDatabase<DB>(engine, service, options.migrations, {
            poolSize: options.poolSize ?? 10,
          });
          const log = capturedLog(service);
          subject = await options.build(opened.database, log.logger);
          step = steerable(subject.handle);
          h = await startStepHarness({
            service,
            bus: busKind,
            database: opened.database,
            handle: step.handle,
            log,
            ...(subject.workerDatabase === undefined ? {} : { workerDatabase: subject.workerDatabase }),
            ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
            ...(options.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: options.stepTimeoutMs }),
          });
        });
        after(async () => {
          try {
            await h?.close();
            await subject?.close?.();
          } finally {
            await opened?.dispose();
          }
        });

        tests({
          engine,
          busKind,
          get database() {
            return ready(opened, 'database').database;
          },
          get subject() {
            return ready(subject, 'subject');
          },
          get step() {
            return ready(step, 'step');
          },
          get h() {
            return ready(h, 'h');
          },
        });
      });
}

function ready<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the suite's ${what} is used before its before hook ran`);
  return value;
}

/** What the scenarios every step service passes need to know of it. */
export interface StepScenarios<DB, T extends CommandType> {
  /**
   * A command the step carries out, on an order no other test uses (called once per suite): it
   * is delivered twice at once and again after it was answered.
   */
  readonly redelivered: () => CommandOf<T>;
  /** Another such command: its first run fails transiently. */
  readonly retried: () => CommandOf<T>;
  /** The event answering them. */
  readonly answer: EventType;
  /** The operacoes row their effect records. */
  readonly operacao: string;
  /** Fails unless the command's effect is there exactly once (the service's own rows). */
  expectOneEffect(database: Database<DB>, command: CommandOf<T>): Promise<void>;
  /** A well-formed command for another service. */
  readonly foreign: () => Command;
}

/**
 * The tests every step service passes, in its suite: a command delivered twice at once and once
 * more is carried out once and answered once; a transient failure is retried and then answered;
 * what cannot be its command is dead-lettered at once and never runs the step.
 */
export function testStepScenarios<DB extends CommonTables, T extends CommandType>(
  s: StepSuite<DB, StepUnderTest<DB>>,
  scenarios: StepScenarios<DB, T>,
): void {
  test('when one command is delivered twice at once and again later, then it is carried out once and answered once', async () => {
    const { h, step } = s;
    const command = scenarios.redelivered();
    const id = command.pedido_id;
    step.overlap(id, 2);
    await Promise.all([h.send(command), h.send(command)]);
    await h.waitForDeliveries(id, 2);
    assert.equal(step.runs(id), 2, 'both deliveries ran the step');
    const operacoes = await operationsOf(s.database.db, id);
    assert.deepEqual(
      operacoes.map((o) => o.operacao),
      [scenarios.operacao],
    );

    await h.send(command);
    await h.waitForDeliveries(id, 3);
    assert.equal(step.runs(id), 2, 'the late redelivery was skipped');
    await scenarios.expectOneEffect(s.database, command);
    assert.deepEqual(await operationsOf(s.database.db, id), operacoes);
    const answers = h.answersOf(id);
    assert.equal(answers.length, 1);
    eventOfType(answers[0], scenarios.answer);
  });

  test('when the step fails transiently, then the command is retried and then answered', async () => {
    const { h, step } = s;
    const command = scenarios.retried();
    const id = command.pedido_id;
    step.failNext(id);
    await h.send(command);
    const [answer] = await h.waitForAnswers(id, 1);
    eventOfType(answer, scenarios.answer);
    assert.equal(step.runs(id), 2);
    await scenarios.expectOneEffect(s.database, command);
    const failure = `${command.tipo} do pedido ${id} (tentativa 1 de ${h.maxAttempts})`;
    assert.ok(
      h.lines.some((l) => l.includes(failure)),
      h.lines.join('\n'),
    );
  });

  test('when a message is malformed, an event or a command for another service, then it is dead-lettered at once', async () => {
    const foreign = scenarios.foreign();
    await expectDeadLetteredAtOnce(s.h, foreign);
    assert.equal(s.step.runs(foreign.pedido_id), 0);
  });
}
