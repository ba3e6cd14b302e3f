/**
 * What the asynchronous checkout's tests share: pedidos' database in a namespace of its own with
 * three customers, the async app listening on free ports over a catalogue of two products, the
 * real outbox relay (not started unless asked: the tests read the outbox, then drain it), and a
 * bus (in-process, or RabbitMQ) with a queue prefix of its own. For the orchestrator's tests:
 * stand-ins for the step services whose answers the test steers, and the orchestrator running
 * over them (startOrchestrated).
 */
import assert from 'node:assert/strict';
import { hashPassword } from '@dslab/auth';
import {
  COMMAND_TARGET,
  messageIdOf,
  messageOf,
  parseMessage,
  queueOf,
  type AsyncService,
  type Command,
  type CommandType,
  type Event,
  type EventType,
  type Message,
} from '@dslab/checkout-contracts/messages';
import { openTestServiceDatabase, startTestService, type TestService } from '@dslab/checkout-kit/testing';
import type { Database, Engine } from '@dslab/db';
import { createLogger, type Logger } from '@dslab/logging';
import { createInProcessBus, type MessageBus, type Subscription } from '@dslab/messaging';
import { uniqueQueue } from '@dslab/messaging/testing';
import { createOutboxRelay, type OutboxRelay } from '@dslab/outbox';
import { call } from '@dslab/testing';
import type { Kysely } from 'kysely';
import { createCredentialsStore } from '../src/adapters/credentials.js';
import { pedidosMigrations } from '../src/adapters/migrations.js';
import type { PedidosTables } from '../src/adapters/schema.js';
import { buildAsyncApp, type PedidosAsyncApp } from '../src/app-async.js';
import type { PedidoDetalhe } from '../src/application/async-checkout.js';
import {
  createOrchestrator,
  type Orchestrator,
  type OrchestratorDeps,
} from '../src/application/orchestrator.js';
import { createNeighbours } from './neighbours.js';

export const JWT_SECRET = 'a-test-secret-for-the-checkout-0123456789';
export const SENHA_PADRAO = 'senha-padrao-dev';
/** Carla chose her own password before the start-up: the default does not replace it. */
export const SENHA_CARLA = 'senha-da-carla-123';

export const CLIENTES = [
  { id: 1, nome: 'Ana', email: 'ana@exemplo.com' },
  { id: 2, nome: 'Bruno', email: 'Bruno@Exemplo.com' },
  { id: 3, nome: 'Carla', email: 'carla@exemplo.com' },
] as const;

export const PRECOS = { 1: 1000, 2: 2550 } as const;

/** A fresh pedidos database (migrated) holding the three customers. */
export async function openPedidosDatabase(
  engine: Engine,
): Promise<{ readonly database: Database<PedidosTables>; readonly dispose: () => Promise<void> }> {
  const opened = await openTestServiceDatabase<PedidosTables>(engine, 'pedidos', pedidosMigrations);
  await opened.database.db
    .insertInto('clientes')
    .values(CLIENTES.map((c) => ({ ...c })))
    .execute();
  return opened;
}

export interface AsyncHarness {
  readonly service: TestService<PedidosAsyncApp>;
  readonly url: string;
  readonly database: Database<PedidosTables>;
  readonly db: Kysely<PedidosTables>;
  readonly bus: MessageBus;
  readonly relay: OutboxRelay;
  readonly prefix: string;
  readonly logger: Logger;
  readonly lines: string[];
  /** An access token of customer `id` (1 and 2 have the default password, 3 has hers). */
  token(id: 1 | 2 | 3): Promise<string>;
  close(): Promise<void>;
}

/** The async app over a fresh database, listening on free ports. */
export async function startAsyncPedidos(
  engine: Engine,
  options: { readonly bus?: MessageBus; readonly bodyLimitBytes?: number } = {},
): Promise<AsyncHarness> {
  const { database, dispose } = await openPedidosDatabase(engine);
  await createCredentialsStore(database.db).setPassword(3, await hashPassword(SENHA_CARLA));
  const lines: string[] = [];
  const logger = createLogger({ service: 'pedidos', console: false, onLine: (line) => lines.push(line) });
  const bus = options.bus ?? createInProcessBus();
  const prefix = uniqueQueue('co');
  const relay = createOutboxRelay({ database, bus, logger, idlePollMs: 20 });
  const fake = createNeighbours({ precos: { ...PRECOS }, estoque: { 1: 10, 2: 10 } });
  const service = await startTestService(
    'pedidos',
    () =>
      buildAsyncApp({
        database,
        logger,
        catalogo: fake.neighbours.catalogo,
        relay,
        queuePrefix: prefix,
        auth: { jwtSecret: JWT_SECRET, tokenTtlSeconds: 600, senhaPadrao: SENHA_PADRAO },
        ...(options.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: options.bodyLimitBytes }),
      }),
    { logger, onClose: dispose },
  );
  const tokens = new Map<number, string>();
  return {
    service,
    url: service.httpUrl,
    database,
    db: database.db,
    bus,
    relay,
    prefix,
    logger,
    lines,
    async token(id) {
      const known = tokens.get(id);
      if (known !== undefined) return known;
      const cliente = CLIENTES[id - 1];
      const res = await call<{ access_token: string }>(service.httpUrl, 'POST', '/auth/login', {
        body: { email: cliente?.email ?? '', senha: id === 3 ? SENHA_CARLA : SENHA_PADRAO },
      });
      if (res.status !== 200) throw new Error(`login of ${id}: ${res.status} ${res.text}`);
      tokens.set(id, res.body.access_token);
      return res.body.access_token;
    },
    async close() {
      await relay.stop();
      await service.close();
      if (options.bus === undefined) await bus.close();
      else
        for (const queue of ['pedidos', 'estoque', 'pagamentos', 'fiscal', 'logistica'] as const)
          await bus.deleteQueue(queueOf(queue, prefix));
    },
  };
}

/** The outbox's rows, oldest first, with their bodies parsed. */
export async function outboxOf(
  db: Kysely<PedidosTables>,
): Promise<{ readonly mensagem_id: string; readonly fila: string; readonly body: Message }[]> {
  const rows = await db.selectFrom('outbox').select(['mensagem_id', 'fila', 'corpo']).orderBy('id').execute();
  return rows.map((r) => ({
    mensagem_id: r.mensagem_id,
    fila: r.fila,
    body: JSON.parse(r.corpo) as Message,
  }));
}

/** Polls `check` until it answers true (or fails after `timeoutMs`). */
export async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// ---------------------------------------------------------------------------------------------
// Standing in for the step services

export const STEP_SERVICES = ['estoque', 'pagamentos', 'fiscal', 'logistica'] as const;

/** Which service sends each event (the message id's sender). */
const SENDER: Readonly<Record<EventType, AsyncService>> = {
  PEDIDO_CRIADO: 'pedidos',
  ESTOQUE_VERIFICADO: 'estoque',
  PAGAMENTO_PROCESSADO: 'pagamentos',
  ESTOQUE_SEPARADO: 'estoque',
  ESTOQUE_INSUFICIENTE: 'estoque',
  NOTA_FISCAL_EMITIDA: 'fiscal',
  ENVIO_AGENDADO: 'logistica',
  PAGAMENTO_ESTORNADO: 'pagamentos',
  ESTOQUE_LIBERADO: 'estoque',
  ETAPA_RECUSADA: 'estoque',
};

export const senderOf = (event: Event): AsyncService =>
  event.tipo === 'ETAPA_RECUSADA' ? COMMAND_TARGET[event.dados.comando] : SENDER[event.tipo];

/** The answers a step service would give, well-formed for parseMessage. */
export function answer(command: Command, tipo: EventType, overrides: Record<string, unknown> = {}): Event {
  const at = new Date().toISOString();
  const id = command.pedido_id;
  const separacao = (status: 'separado' | 'liberado') => ({
    pedido_id: id,
    status,
    itens: [{ produto_id: 1, quantidade: 2 }],
    mensagem: status,
  });
  const dados: Record<EventType, unknown> = {
    PEDIDO_CRIADO: {},
    ESTOQUE_VERIFICADO: { disponivel: true, faltas: [] },
    PAGAMENTO_PROCESSADO: {
      pagamento: {
        pagamento_id: id,
        pedido_id: id,
        sucesso: true,
        status: 'aprovado',
        mensagem: 'Pagamento aprovado',
        valor_centavos: 4550,
        metodo: 'pix',
        data_processamento: at,
      },
    },
    ESTOQUE_SEPARADO: { separacao: separacao('separado') },
    ESTOQUE_INSUFICIENTE: { faltas: [{ produto_id: 2, solicitado: 1, disponivel: 0 }] },
    NOTA_FISCAL_EMITIDA: {
      nota: {
        nota_fiscal_id: 1000 + id,
        pedido_id: id,
        numero: `NF${1000 + id}-${id}`,
        chave_acesso: '1'.repeat(44),
        data_emissao: at,
        valor_centavos: 4550,
      },
    },
    ENVIO_AGENDADO: {
      envio: {
        envio_id: id,
        pedido_id: id,
        nota_fiscal_id: 1000 + id,
        codigo_rastreamento: `BR${String(id).padStart(9, '0')}PY`,
        status: 'enviado',
        data_despacho: at,
      },
    },
    PAGAMENTO_ESTORNADO: { estorno: { pedido_id: id, status: 'estornado', mensagem: 'estornado' } },
    ESTOQUE_LIBERADO: { separacao: separacao('liberado') },
    ETAPA_RECUSADA: { comando: command.tipo, codigo: 'validation-failed', detalhe: 'recusado pelo teste' },
  };
  return messageOf(tipo, id, { ...(dados[tipo] as object), ...overrides } as never, {
    traceId: command.trace_id,
    at,
  }) as Event;
}

/** The normal answer to each command (the happy path). */
export const HAPPY: Readonly<Record<CommandType, EventType>> = {
  VERIFICAR_ESTOQUE: 'ESTOQUE_VERIFICADO',
  PROCESSAR_PAGAMENTO: 'PAGAMENTO_PROCESSADO',
  SEPARAR_ESTOQUE: 'ESTOQUE_SEPARADO',
  EMITIR_NOTA_FISCAL: 'NOTA_FISCAL_EMITIDA',
  AGENDAR_ENVIO: 'ENVIO_AGENDADO',
  ESTORNAR_PAGAMENTO: 'PAGAMENTO_ESTORNADO',
  LIBERAR_ESTOQUE: 'ESTOQUE_LIBERADO',
};

/** What a stand-in step service does with one delivery of a command. */
export type Reaction =
  /** Answered with `tipo` (default: the happy answer), published `copies` times (default 1). */
  | { readonly kind: 'answer'; readonly tipo?: EventType; readonly copies?: number }
  /** Acknowledged and forgotten: the command is lost. */
  | { readonly kind: 'drop' }
  /** Answered, but the answer is kept back (delayed) until the test releases it. */
  | { readonly kind: 'hold' };

export interface Delivery {
  readonly messageId: string;
  readonly command: Command;
}

/** The step services, stood in for by one consumer of every command queue. */
export interface StepServices {
  /** Every command delivered, in order of arrival. */
  readonly deliveries: Delivery[];
  /** The answers kept back (`hold`), to publish when the test wants. */
  readonly held: { readonly messageId: string; readonly event: Event }[];
  /** How the next deliveries are handled (`nth`: the delivery's rank among those of its order and tipo). */
  react: (delivery: Delivery, nth: number) => Reaction;
  /** The deliveries of order `id`'s commands (of `tipo`). */
  of(id: number, tipo?: CommandType): Delivery[];
  /** Publishes `event` to pedidos' queue under its deterministic id (or `messageId`), and answers the id. */
  publish(event: Event, messageId?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startStepServices(
  bus: MessageBus,
  prefix: string,
  react: StepServices['react'] = () => ({ kind: 'answer' }),
): Promise<StepServices> {
  const subscriptions: Subscription[] = [];
  const self: StepServices = {
    deliveries: [],
    held: [],
    react,
    of: (id, tipo) =>
      self.deliveries.filter(
        (d) => d.command.pedido_id === id && (tipo === undefined || d.command.tipo === tipo),
      ),
    async publish(event, messageId = messageIdOf(senderOf(event), event)) {
      await bus.publish(queueOf('pedidos', prefix), { messageId, body: event });
      return messageId;
    },
    async stop() {
      for (const s of subscriptions) await s.cancel();
    },
  };
  for (const service of STEP_SERVICES)
    subscriptions.push(
      await bus.consume(queueOf(service, prefix), async (message) => {
        const parsed = parseMessage(message.content);
        assert.ok(parsed.ok);
        const delivery = { messageId: message.messageId, command: parsed.message as Command };
        self.deliveries.push(delivery);
        const nth = self.of(delivery.command.pedido_id, delivery.command.tipo).length;
        const reaction = self.react(delivery, nth);
        if (reaction.kind === 'drop') return;
        const event = answer(
          delivery.command,
          (reaction.kind === 'answer' ? reaction.tipo : undefined) ?? HAPPY[delivery.command.tipo],
        );
        if (reaction.kind === 'hold') {
          self.held.push({ messageId: messageIdOf(senderOf(event), event), event });
          return;
        }
        for (let i = 0; i < (reaction.copies ?? 1); i++) await self.publish(event);
      }),
    );
  return self;
}

/** The async app, the step services' stand-ins and pedidos' orchestrator over them. */
export interface Orchestrated {
  readonly h: AsyncHarness;
  readonly steps: StepServices;
  readonly orchestrator: Orchestrator;
  /** Places an order of customer 1 over HTTP (products 1 × 2 and 2 × 1, pix) and answers its id. */
  place(): Promise<number>;
  /** Order `id` as customer 1 reads it. */
  pedido(id: number): Promise<PedidoDetalhe>;
  close(): Promise<void>;
}

export async function startOrchestrated(
  engine: Engine,
  options: {
    readonly bus?: MessageBus;
    /** How the step services answer (default: the happy answer; settable later on `steps`). */
    readonly react?: StepServices['react'];
    /** false: the relay's loop is not started (the test publishes pedidos' outbox itself). */
    readonly startRelay?: boolean;
    /** The orchestrator's settings (default: 3 attempts, the defaults otherwise). */
    readonly orchestrator?: Omit<OrchestratorDeps, 'database' | 'bus' | 'relay' | 'logger' | 'queuePrefix'>;
  } = {},
): Promise<Orchestrated> {
  const h = await startAsyncPedidos(engine, options.bus === undefined ? {} : { bus: options.bus });
  if (options.startRelay !== false) h.relay.start();
  const steps = await startStepServices(h.bus, h.prefix, options.react);
  const orchestrator = createOrchestrator({
    database: h.database,
    bus: h.bus,
    relay: h.relay,
    logger: h.logger,
    queuePrefix: h.prefix,
    maxAttempts: 3,
    ...options.orchestrator,
  });
  await orchestrator.start();
  const token = await h.token(1);
  return {
    h,
    steps,
    orchestrator,
    async place() {
      const res = await call<PedidoDetalhe>(h.url, 'POST', '/pedidos', {
        token,
        body: {
          itens: [
            { produto_id: 1, quantidade: 2 },
            { produto_id: 2, quantidade: 1 },
          ],
          metodo_pagamento: 'pix',
        },
      });
      assert.equal(res.status, 202, res.text);
      return res.body.id;
    },
    async pedido(id) {
      const res = await call<PedidoDetalhe>(h.url, 'GET', `/pedidos/${id}`, { token });
      assert.equal(res.status, 200, res.text);
      return res.body;
    },
    async close() {
      await orchestrator.stop();
      await steps.stop();
      await h.close();
    },
  };
}
