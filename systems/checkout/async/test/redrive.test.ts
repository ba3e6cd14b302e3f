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
import { after, before, describe, test } from 'node:test';
import type { AsyncRuntime, RedriveSettings, ServiceDatabases } from '@dslab/checkout-async';
import { queueOf, type AsyncService, type Event } from '@dslab/checkout-contracts/messages';
import { createOrchestrator, eventOf, type Orchestrator } from '@dslab/checkout-pedidos';
import { sql, type Engine } from '@dslab/db';
import type { Subscription } from '@dslab/messaging';
import { call } from '@dslab/testing';
import type { Kysely } from 'kysely';
import {
  createNamespace,
  loginCustomers,
  startApi,
  startRuntime,
  testLogger,
  violationsEventually,
  type Namespace,
  type RunningApi,
} from './harness.js';

/** A namespace on one engine (stock 100 of everything), the pedidos API and a customer's token. */
interface World {
  readonly ns: Namespace;
  readonly api: RunningApi;
  readonly token: string;
  /** Workers and/or the orchestrator in the test process (stopped by dispose); no sweep unless `redrive` says. */
  runtime(services: readonly AsyncService[], redrive?: RedriveSettings): Promise<AsyncRuntime>;
  place(): Promise<number>;
  status(id: number): Promise<string>;
  /** Waits until every order in `ids` is enviado. */
  shipped(ids: readonly number[], timeoutMs?: number): Promise<void>;
  /** violationsEventually over the namespace. */
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
  const ns = await createNamespace({
    engine,
    sizes: { clientes: 4, produtos: 6, pedidos: 4 },
    stockOf: () => 100,
    poolSize: 4,
  });
  const runtimes: AsyncRuntime[] = [];
  let api: RunningApi | undefined;
  const dispose = async () => {
    for (const runtime of runtimes.splice(0).reverse()) await runtime.stop().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await ns.dispose();
  };
  try {
    api = await startApi(ns, { relayIdlePollMs: 20 });
    const [token = ''] = await loginCustomers(api, ns.dataset, 1);
    const produto = ns.dataset.produtos[0]?.id ?? 1;
    const url = api.url;
    const world: World = {
      ns,
      api,
      token,
      async runtime(services, redrive) {
        const runtime = await startRuntime(ns, services, {
          relayIdlePollMs: 20,
          redrive: redrive ?? { sweepIntervalMs: 0 },
        });
        runtimes.push(runtime);
        return runtime;
      },
      async place() {
        const res = await call<{ id: number }>(url, 'POST', '/pedidos', {
          token,
          body: { itens: [{ produto_id: produto, quantidade: 2 }], metodo_pagamento: 'pix' },
        });
        assert.equal(res.status, 202, res.text);
        return res.body.id;
      },
      async status(id) {
        const { rows: found } = await sql<{
          status: string;
        }>`SELECT status FROM pedidos WHERE id = ${id}`.execute(ns.dbs.pedidos);
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
      violations: () => violationsEventually(ns.dbs, ns.initialStock),
      dispose,
    };
    return world;
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** An order's history rows named `operacao`. */
async function historyOf(w: World, id: number, operacao: string): Promise<string[]> {
  const { rows } = await sql<{ mensagem: string }>`
    SELECT mensagem FROM operacoes WHERE pedido_id = ${id} AND operacao = ${operacao} ORDER BY id
  `.execute(w.ns.dbs.pedidos);
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
      const queue = queueOf('pagamentos', w.ns.prefix);
      const ids = await Promise.all([w.place(), w.place(), w.place()]);
      await eventually('three payments queued', async () => (await w.ns.bus.depth(queue)).ready === 3);
      await w.ns.bus.deleteQueue(queue);
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
        database: w.ns.databases.pedidos as NonNullable<ServiceDatabases['pedidos']>,
        bus: w.ns.bus,
        relay: w.api.relay,
        logger: testLogger('pedidos'),
        queuePrefix: w.ns.prefix,
        sweepIntervalMs: 0,
      });
      // Stands in for the orchestrator's consumer: applies every event, except that the first
      // answer of the payment and of the reservation is held back (late, not lost).
      const late = new Map<string, { readonly messageId: string; readonly event: Event }>();
      const subscription: Subscription = await w.ns.bus.consume(
        queueOf('pedidos', w.ns.prefix),
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
          async () => (await w.api.relay.pending()) === 0,
        );
        assert.equal((await orchestrator.redriveStalled({ olderThanMs: 0 })).redriven, 1);
        await eventually('pagamento_aprovado', async () => (await w.status(id)) === 'pagamento_aprovado');
        await eventually('the reservation done, its answer late', () => late.has(`${id}:ESTOQUE_SEPARADO`));
        await eventually(
          'the reservation command left the outbox',
          async () => (await w.api.relay.pending()) === 0,
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
          await count(w.ns.dbs.pagamentos, sql`SELECT COUNT(*) AS n FROM pagamentos WHERE pedido_id = ${id}`),
          1,
          'one payment',
        );
        assert.equal(
          await count(w.ns.dbs.estoque, sql`SELECT COUNT(*) AS n FROM reservas WHERE pedido_id = ${id}`),
          1,
          'one reservation',
        );
        // Both copies reached the services (each ran its step twice, idempotently).
        assert.equal(
          await count(
            w.ns.dbs.pagamentos,
            sql`SELECT COUNT(*) AS n FROM mensagens_processadas WHERE mensagem_id IN (${`pedidos:${id}:PROCESSAR_PAGAMENTO`}, ${`pedidos:${id}:PROCESSAR_PAGAMENTO:reenvio-1`})`,
          ),
          2,
        );
        assert.equal(
          await count(
            w.ns.dbs.estoque,
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
