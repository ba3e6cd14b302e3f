// Stalled orders recover without an operator, with the real step services (pedidos'
// application/redrive.ts through the runtime): on SQLite with the in-process bus and on
// PostgreSQL with RabbitMQ,
//  - the payment commands of three orders are lost (their queue is deleted before any worker
//    consumed it): after the threshold the orchestrator's sweep sends them again and every order
//    ships;
//  - a step that did happen but whose answer is late (held back on its way to the orchestrator) is
//    asked again: the service runs it again idempotently (one payment, one reservation), answers
//    under the same id, and the late first answer is dropped by the orchestrator's inbox.
// Every invariant of the asynchronous checkout holds at the end (e2e/invariants.ts).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  checkoutQueues,
  createAsyncRuntime,
  openServiceDatabases,
  schemaOf,
  type AsyncRuntime,
  type RedriveSettings,
  type ServiceDatabases,
} from '@dslab/checkout-async';
import { buildApp as buildCatalogo } from '@dslab/checkout-catalogo';
import { queueOf, type AsyncService, type Event } from '@dslab/checkout-contracts/messages';
import { createFaker, generateDataset, writeDatabase, type Dataset } from '@dslab/checkout-datagen';
import { buildApp as buildEstoque } from '@dslab/checkout-estoque';
import { CHECKOUT_SERVICES, readSeedData } from '@dslab/checkout-kit';
import { buildAsyncApp, createOrchestrator, eventOf, type Orchestrator } from '@dslab/checkout-pedidos';
import { dropSchema, sql, type Engine } from '@dslab/db';
import { createLogger, type Logger } from '@dslab/logging';
import { createInProcessBus, type MessageBus, type Subscription } from '@dslab/messaging';
import { openTestAmqpBus } from '@dslab/messaging/testing';
import { createOutboxRelay, type OutboxRelay } from '@dslab/outbox';
import { call, TEST_POSTGRES_URL, uniqueName } from '@dslab/testing';
import type { Kysely } from 'kysely';
import { findAsyncCheckoutViolations, type CheckoutDatabases } from '../../e2e/invariants.js';

const JWT_SECRET = 'test-secret-of-the-redrive-tests-0123456789';
const SENHA = 'senha-de-teste-123';

const logger = (service: string): Logger =>
  createLogger({ service, level: process.env.ASYNC_TEST_VERBOSE === undefined ? 'silent' : 'info' });

/** The six databases (seeded), a bus and the pedidos API, on one engine. */
interface World {
  readonly engine: Engine;
  readonly prefix: string;
  readonly databases: ServiceDatabases;
  readonly dbs: CheckoutDatabases;
  readonly bus: MessageBus;
  readonly dataset: Dataset;
  readonly initialStock: ReadonlyMap<number, number>;
  readonly apiRelay: OutboxRelay;
  readonly url: string;
  readonly token: string;
  runtime(services: readonly AsyncService[], redrive?: RedriveSettings): Promise<AsyncRuntime>;
  place(): Promise<number>;
  status(id: number): Promise<string>;
  /** Waits until every order in `ids` is enviado. */
  shipped(ids: readonly number[], timeoutMs?: number): Promise<void>;
  /** findAsyncCheckoutViolations, retried for a moment (a relay deletes a row just after the broker took it). */
  violations(): Promise<string[]>;
  dispose(): Promise<void>;
}

async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function openWorld(engine: Engine): Promise<World> {
  const cleanup: (() => Promise<void>)[] = [];
  const runAll = async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const prefix = uniqueName('rd')
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_');
    const dir = mkdtempSync(join(tmpdir(), 'checkout-redrive-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const seedFile = join(dir, 'ecommerce.db');
    writeDatabase(
      seedFile,
      generateDataset(
        createFaker(5),
        { clientes: 4, produtos: 6, pedidos: 4 },
        Date.parse('2025-10-26T18:00:00Z'),
      ),
    );
    const dataset = readSeedData(seedFile);
    const schemaPrefix = `${prefix}_`;
    if (engine === 'postgres')
      for (const service of CHECKOUT_SERVICES)
        cleanup.push(() => dropSchema(TEST_POSTGRES_URL, schemaOf(service, schemaPrefix)));
    const opened = await openServiceDatabases(CHECKOUT_SERVICES, {
      storage:
        engine === 'postgres'
          ? { databaseUrl: TEST_POSTGRES_URL, schemaPrefix, dataDir: dir, poolSize: 4 }
          : { dataDir: dir },
      seed: { file: seedFile, fiscalSerie: 1, random: Math.random },
      logger: logger('checkout-test'),
    });
    cleanup.push(() => opened.close());
    const { databases } = opened;
    const dbs = Object.fromEntries(
      CHECKOUT_SERVICES.map((service) => [service, databases[service]?.db as unknown as Kysely<unknown>]),
    ) as unknown as CheckoutDatabases;
    await sql`UPDATE estoque SET quantidade = 100`.execute(dbs.estoque);
    const { rows } = await sql<{
      produto_id: number | string;
      quantidade: number | string;
    }>`SELECT produto_id, quantidade FROM estoque`.execute(dbs.estoque);
    const initialStock = new Map(rows.map((r) => [Number(r.produto_id), Number(r.quantidade)]));

    const bus = engine === 'postgres' ? await openTestAmqpBus() : createInProcessBus();
    cleanup.push(() => bus.close());
    if (engine === 'postgres')
      cleanup.push(async () => {
        for (const queue of checkoutQueues(prefix)) await bus.deleteQueue(queue).catch(() => undefined);
      });

    const pedidosDb = databases.pedidos;
    const estoqueDb = databases.estoque;
    const catalogoDb = databases.catalogo;
    assert.ok(pedidosDb !== undefined && estoqueDb !== undefined && catalogoDb !== undefined);
    const estoque = await buildEstoque({ database: estoqueDb, logger: logger('estoque') });
    const catalogo = await buildCatalogo({
      database: catalogoDb,
      logger: logger('catalogo'),
      estoque: estoque.service,
    });
    const apiRelay = createOutboxRelay({
      database: pedidosDb,
      bus,
      logger: logger('pedidos'),
      name: 'pedidos-api',
      idlePollMs: 20,
    });
    apiRelay.start();
    cleanup.push(() => apiRelay.stop());
    const app = await buildAsyncApp({
      database: pedidosDb,
      logger: logger('pedidos'),
      catalogo: catalogo.service,
      relay: apiRelay,
      queuePrefix: prefix,
      auth: { jwtSecret: JWT_SECRET, tokenTtlSeconds: 3600, senhaPadrao: SENHA },
    });
    const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
    cleanup.push(async () => {
      await app.http.close();
      await app.close();
      await Promise.all([catalogo.http.close(), estoque.http.close()]);
    });
    const login = await call<{ access_token: string }>(url, 'POST', '/auth/login', {
      body: { email: dataset.clientes[0]?.email, senha: SENHA },
    });
    assert.equal(login.status, 200, login.text);
    const produto = dataset.produtos[0]?.id ?? 1;

    const world: World = {
      engine,
      prefix,
      databases,
      dbs,
      bus,
      dataset,
      initialStock,
      apiRelay,
      url,
      token: login.body.access_token,
      async runtime(services, redrive) {
        const runtime = await createAsyncRuntime({
          services,
          databases,
          bus,
          loggerOf: (service) => logger(service),
          queuePrefix: prefix,
          steps: { simulator: { minMs: 1, maxMs: 5, rejectionProbability: 0 } },
          maxAttempts: 3,
          relayIdlePollMs: 20,
          redrive: redrive ?? { sweepIntervalMs: 0 },
        });
        cleanup.push(() => runtime.stop());
        await runtime.start();
        return runtime;
      },
      async place() {
        const res = await call<{ id: number }>(url, 'POST', '/pedidos', {
          token: world.token,
          body: { itens: [{ produto_id: produto, quantidade: 2 }], metodo_pagamento: 'pix' },
        });
        assert.equal(res.status, 202, res.text);
        return res.body.id;
      },
      async status(id) {
        const { rows: found } = await sql<{
          status: string;
        }>`SELECT status FROM pedidos WHERE id = ${id}`.execute(dbs.pedidos);
        return found[0]?.status ?? 'missing';
      },
      async shipped(ids, timeoutMs = 30_000) {
        for (const id of ids)
          await eventually(
            `order ${id} enviado`,
            async () => (await world.status(id)) === 'enviado',
            timeoutMs,
          );
      },
      async violations() {
        let problems: string[] = [];
        for (let attempt = 0; attempt < 40; attempt++) {
          problems = await findAsyncCheckoutViolations(dbs, initialStock);
          if (problems.length === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return problems;
      },
      dispose: runAll,
    };
    return world;
  } catch (error) {
    await runAll();
    throw error;
  }
}

/** An order's history rows named `operacao`. */
async function historyOf(w: World, id: number, operacao: string): Promise<string[]> {
  const { rows } = await sql<{ mensagem: string }>`
    SELECT mensagem FROM operacoes WHERE pedido_id = ${id} AND operacao = ${operacao} ORDER BY id
  `.execute(w.dbs.pedidos);
  return rows.map((r) => r.mensagem);
}

async function count(db: Kysely<unknown>, query: ReturnType<typeof sql<{ n: number | string }>>) {
  const { rows } = await query.execute(db);
  return Number(rows[0]?.n ?? 0);
}

for (const engine of ['sqlite', 'postgres'] as const) {
  const label = engine === 'sqlite' ? 'SQLite, in-process bus' : 'PostgreSQL, RabbitMQ';

  describe(`stalled orders with the real step services (${label})`, { timeout: 120_000 }, () => {
    let w: World;
    before(async () => {
      w = await openWorld(engine);
    });
    after(() => w.dispose());

    test('when the payment commands are lost (their queue deleted), then after the threshold they are sent again and every order ships', async () => {
      // Everything but the payment step: the orders wait for PROCESSAR_PAGAMENTO in its queue.
      const runtime = await w.runtime(['pedidos', 'estoque', 'fiscal', 'logistica'], {
        stallAfterMs: 1500,
        sweepIntervalMs: 100,
      });
      const queue = queueOf('pagamentos', w.prefix);
      const ids = await Promise.all([w.place(), w.place(), w.place()]);
      await eventually('three payments queued', async () => (await w.bus.depth(queue)).ready === 3);
      await w.bus.deleteQueue(queue);
      const payments = await w.runtime(['pagamentos']);

      await w.shipped(ids);
      for (const id of ids) {
        const resent = await historyOf(w, id, 'etapa_reenviada');
        assert.equal(resent.length, 1, `order ${id}: ${JSON.stringify(resent)}`);
        assert.match(
          resent[0] ?? '',
          new RegExp(
            `^Pedido ${id} parado em pendente desde .*; PROCESSAR_PAGAMENTO reenviado \\(tentativa 1\\)$`,
          ),
        );
      }
      assert.deepEqual(await w.violations(), []);
      await payments.stop();
      await runtime.stop();
    });

    test('when a step did happen but its answer is late, then the re-sent command has no second effect and the late answer is dropped by the inbox', async () => {
      const workers = await w.runtime(['estoque', 'pagamentos', 'fiscal', 'logistica']);
      const orchestrator: Orchestrator = createOrchestrator({
        database: w.databases.pedidos as NonNullable<ServiceDatabases['pedidos']>,
        bus: w.bus,
        relay: w.apiRelay,
        logger: logger('pedidos'),
        queuePrefix: w.prefix,
        sweepIntervalMs: 0,
      });
      // Stands in for the orchestrator's consumer: applies every event, except that the first
      // answer of the payment and of the reservation is held back (late, not lost).
      const late = new Map<string, { readonly messageId: string; readonly event: Event }>();
      const subscription: Subscription = await w.bus.consume(
        queueOf('pedidos', w.prefix),
        async (message) => {
          const event = eventOf(message);
          const key = `${event.pedido_id}:${event.tipo}`;
          if (
            (event.tipo === 'PAGAMENTO_PROCESSADO' || event.tipo === 'ESTOQUE_SEPARADO') &&
            !late.has(key)
          ) {
            late.set(key, { messageId: message.messageId, event });
            return;
          }
          await orchestrator.process(message.messageId, event);
        },
      );
      try {
        const id = await w.place();
        await eventually('the payment done, its answer late', () => late.has(`${id}:PAGAMENTO_PROCESSADO`));
        assert.equal(await w.status(id), 'pendente');
        // A sweep now (as the embedded start-up runs it): PROCESSAR_PAGAMENTO again.
        await eventually(
          'the payment command left the outbox',
          async () => (await w.apiRelay.pending()) === 0,
        );
        assert.equal((await orchestrator.redriveStalled({ olderThanMs: 0 })).redriven, 1);
        await eventually('pagamento_aprovado', async () => (await w.status(id)) === 'pagamento_aprovado');
        await eventually('the reservation done, its answer late', () => late.has(`${id}:ESTOQUE_SEPARADO`));
        await eventually(
          'the reservation command left the outbox',
          async () => (await w.apiRelay.pending()) === 0,
        );
        assert.equal((await orchestrator.redriveStalled({ olderThanMs: 0 })).redriven, 1);
        await w.shipped([id]);

        for (const tipo of ['PAGAMENTO_PROCESSADO', 'ESTOQUE_SEPARADO'] as const) {
          const held = late.get(`${id}:${tipo}`);
          assert.ok(held !== undefined);
          assert.equal(
            held.messageId,
            `${tipo === 'PAGAMENTO_PROCESSADO' ? 'pagamentos' : 'estoque'}:${id}:${tipo}`,
            'the re-run answers under the same id',
          );
          assert.deepEqual(await orchestrator.process(held.messageId, held.event), { kind: 'duplicate' });
        }
        assert.equal(await w.status(id), 'enviado');
        assert.equal(
          await count(w.dbs.pagamentos, sql`SELECT COUNT(*) AS n FROM pagamentos WHERE pedido_id = ${id}`),
          1,
          'one payment',
        );
        assert.equal(
          await count(w.dbs.estoque, sql`SELECT COUNT(*) AS n FROM reservas WHERE pedido_id = ${id}`),
          1,
          'one reservation',
        );
        // Both copies reached the services (each ran its step twice, idempotently).
        assert.equal(
          await count(
            w.dbs.pagamentos,
            sql`SELECT COUNT(*) AS n FROM mensagens_processadas WHERE mensagem_id IN (${`pedidos:${id}:PROCESSAR_PAGAMENTO`}, ${`pedidos:${id}:PROCESSAR_PAGAMENTO:reenvio-1`})`,
          ),
          2,
        );
        assert.equal(
          await count(
            w.dbs.estoque,
            sql`SELECT COUNT(*) AS n FROM mensagens_processadas WHERE mensagem_id IN (${`pedidos:${id}:SEPARAR_ESTOQUE`}, ${`pedidos:${id}:SEPARAR_ESTOQUE:reenvio-1`})`,
          ),
          2,
        );
        assert.deepEqual(
          await w.violations(),
          [],
          'stock moved once, one payment kept, one invoice, one dispatch',
        );
      } finally {
        await subscription.cancel();
        await workers.stop();
      }
    });
  });
}
