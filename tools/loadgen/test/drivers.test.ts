import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  createNamespace,
  spawnWorker,
  startApi,
  statusCounts,
  type Namespace,
  type RunningApi,
} from '@dslab/checkout-async/testing';
import { startCheckout, type RunningCheckout } from '@dslab/checkout-e2e/harness.js';
import { AppError } from '@dslab/errors';
import { createTestDatabase, type ServiceProcess } from '@dslab/testing';
import { sql, type Kysely } from 'kysely';
import {
  classifyError,
  createCompletionTracker,
  createOrderDriver,
  orderMix,
  outcomeOfAnswer,
  reasonOf,
  type OrderDriver,
  type OrderMix,
} from '../src/drivers.js';
import type { Operation, OperationResult } from '../src/models.js';

/** Runs orders `indexes` through `operation`, `concurrency` at a time; results by index. */
async function runAll(
  operation: Operation,
  indexes: readonly number[],
  concurrency = 4,
): Promise<Map<number, OperationResult>> {
  const results = new Map<number, OperationResult>();
  const queue = [...indexes];
  const signal = new AbortController().signal;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift())
        results.set(i, await operation(i, signal));
    }),
  );
  return results;
}

function kinds(results: Map<number, OperationResult>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { outcome } of results.values()) {
    const key =
      outcome.kind === 'shipped'
        ? 'shipped'
        : outcome.kind === 'cancelled'
          ? `cancelled:${outcome.reason}`
          : `error:${outcome.error}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * Every 4th order asks for `scarce` (no stock: the checkout cancels it); the others come from
 * the run's order mix over the remaining products.
 */
function mixWithScarce(
  dataset: Parameters<typeof orderMix>[0],
  scarce: number,
  seed: number,
  customers: number,
): OrderMix {
  const base = orderMix(
    { ...dataset, produtos: dataset.produtos.filter((p) => p.id !== scarce) },
    seed,
    customers,
  );
  return (i) =>
    i % 4 === 3
      ? { cliente_id: base(i).cliente_id, itens: [{ produto_id: scarce, quantidade: 1 }] }
      : base(i);
}

/**
 * Runs pedidos' recovery loop until nothing is left nf_emitida. The harness restarts logistica
 * with the same seed, so its first tracking codes are ones it already gave out; each attempt
 * draws new ones (config.ts of logistica: "falls back on the retry") until it is past them.
 */
async function dispatchStalled(checkout: RunningCheckout): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const { rows } = await sql<{
      n: number | string;
    }>`SELECT COUNT(*) AS n FROM pedidos WHERE origem = 'checkout' AND status = 'nf_emitida'`.execute(
      checkout.dbs.pedidos,
    );
    if (Number(rows[0]?.n ?? 0) === 0) return;
    await checkout.pedidosApp.service.recoverOnce();
  }
}

/** A TCP server that accepts connections and never answers (pedidos hung). */
async function silentServer(): Promise<{ readonly port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('the order mix', () => {
  const dataset = {
    clientes: Array.from({ length: 30 }, (_, k) => ({ id: k + 1, nome: `c${k}`, email: `c${k}@x` })),
    produtos: Array.from({ length: 12 }, (_, k) => ({
      id: 100 + k,
      nome: `p${k}`,
      preco: 1,
      quantidade_estoque: 1,
    })),
  };

  test('when the same order number is drawn twice, on two mixes of the same seed, then it is the same order', () => {
    const a = orderMix(dataset, 42, 10);
    const b = orderMix(dataset, 42, 10);
    // In any order: order i does not depend on the orders drawn before it.
    for (const i of [5_000_123, 0, 7, 1_000_000, 3]) assert.deepEqual(a(i), b(i));
    const other = orderMix(dataset, 43, 10);
    const differs = Array.from({ length: 50 }, (_, i) => JSON.stringify(a(i)) !== JSON.stringify(other(i)));
    assert.ok(differs.filter(Boolean).length > 40, 'another seed draws other orders');
  });

  test('when 2,000 orders are drawn, then each has 1–3 distinct lines of 1–2 units for one of the first customers, and every shape occurs', () => {
    const mix = orderMix(dataset, 7, 10);
    const lines = new Set<number>();
    const units = new Set<number>();
    const customers = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const order = mix(i);
      assert.ok(order.cliente_id >= 1 && order.cliente_id <= 10, `customer ${order.cliente_id}`);
      customers.add(order.cliente_id);
      lines.add(order.itens.length);
      assert.equal(
        new Set(order.itens.map((l) => l.produto_id)).size,
        order.itens.length,
        'distinct products',
      );
      for (const line of order.itens) {
        assert.ok(line.produto_id >= 100 && line.produto_id < 112);
        units.add(line.quantidade);
      }
    }
    assert.deepEqual([...lines].sort(), [1, 2, 3]);
    assert.deepEqual([...units].sort(), [1, 2]);
    assert.equal(customers.size, 10);
  });

  test('when the data set has no customer or product, then the mix says so', () => {
    assert.throws(() => orderMix({ ...dataset, clientes: [] }, 1), /customer/);
    assert.throws(() => orderMix({ ...dataset, produtos: [] }, 1), /product/);
    assert.throws(() => orderMix(dataset, 1)(-1), /order numbers/);
  });
});

describe('how answers and failures become outcomes', () => {
  test('when pedidos answers 201/200, then the order’s status decides; anything else is an error by status', () => {
    assert.deepEqual(outcomeOfAnswer(201, '{"id":1,"status":"enviado"}'), { kind: 'shipped' });
    assert.deepEqual(outcomeOfAnswer(200, '{"id":1,"status":"enviado"}'), { kind: 'shipped' });
    assert.deepEqual(
      outcomeOfAnswer(201, '{"status":"cancelado","motivo":"pagamento rejeitado: Saldo insuficiente"}'),
      { kind: 'cancelled', reason: 'pagamento rejeitado' },
    );
    assert.deepEqual(
      outcomeOfAnswer(201, '{"status":"nf_emitida","motivo":"envio pendente, nova tentativa"}'),
      { kind: 'error', error: 'incomplete-nf_emitida' },
    );
    assert.deepEqual(outcomeOfAnswer(201, 'not json'), { kind: 'error', error: 'incomplete-201' });
    assert.deepEqual(outcomeOfAnswer(503, '{"code":"unavailable","pedido_id":3}'), {
      kind: 'error',
      error: 'http-503',
    });
    assert.deepEqual(outcomeOfAnswer(504, ''), { kind: 'error', error: 'http-504' });
  });

  test('when a motivo names ids and details, then its reason is the part before the colon', () => {
    assert.equal(
      reasonOf('estoque insuficiente: produto 2 (solicitado 5, disponível 1)'),
      'estoque insuficiente',
    );
    assert.equal(reasonOf('nota fiscal não emitida'), 'nota fiscal não emitida');
    assert.equal(reasonOf(null), 'cancelado');
  });

  test('when a call fails without an answer, then the failure is named by its kind', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.equal(classifyError(refused), 'ECONNREFUSED');
    assert.equal(classifyError(new AggregateError([refused], 'all failed')), 'ECONNREFUSED');
    assert.equal(classifyError(new Error('fetch failed', { cause: refused })), 'ECONNREFUSED');
    assert.equal(
      classifyError(Object.assign(new Error('closed'), { code: 'UND_ERR_SOCKET' })),
      'UND_ERR_SOCKET',
    );
    assert.equal(classifyError(new DOMException('gone', 'AbortError')), 'aborted');
    assert.equal(classifyError(new AppError('unavailable', 'pedidos is unavailable')), 'grpc-UNAVAILABLE');
    assert.equal(classifyError(new AppError('timeout', 'too slow')), 'grpc-DEADLINE_EXCEEDED');
    assert.equal(classifyError('a string'), 'unknown');
  });
});

describe('the completion tracker over a PostgreSQL table', { timeout: 120_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase<unknown>>>;
  let db: Kysely<unknown>;
  before(async () => {
    database = await createTestDatabase<unknown>('postgres', 'lg_tracker');
    db = database.db;
    await sql`CREATE TABLE pedidos (id integer PRIMARY KEY, status text NOT NULL, motivo text, atualizado_em text NOT NULL)`.execute(
      db,
    );
  });
  after(() => database.dispose());

  test('when 2,500 orders are waited for and then end, then every wait resolves with its status, motivo and end time', async () => {
    const n = 2500;
    const start = new Date().toISOString();
    await sql`INSERT INTO pedidos (id, status, atualizado_em) SELECT g, 'pendente', ${start} FROM generate_series(1, ${n}) AS g`.execute(
      db,
    );
    const tracker = createCompletionTracker(db, 5);
    try {
      const waits = Array.from({ length: n }, (_, k) => tracker.wait(k + 1));
      assert.equal(tracker.pending, n);
      // The orders "ended" 5 s ago, by the wall clock: the tracker maps that onto performance.now().
      const wall = Date.now();
      const perf = performance.now();
      const endedIso = new Date(wall - 5000).toISOString();
      await sql`UPDATE pedidos SET status = 'enviado', atualizado_em = ${endedIso} WHERE id <= 2000`.execute(
        db,
      );
      await sql`UPDATE pedidos SET status = 'cancelado', motivo = 'pagamento rejeitado: x', atualizado_em = ${endedIso} WHERE id > 2000`.execute(
        db,
      );
      const done = await Promise.all(waits);
      assert.equal(tracker.pending, 0);
      assert.deepEqual(
        done.map((d) => d.id),
        Array.from({ length: n }, (_, k) => k + 1),
      );
      assert.equal(done.filter((d) => d.status === 'enviado' && d.motivo === null).length, 2000);
      assert.equal(
        done.filter((d) => d.status === 'cancelado' && d.motivo === 'pagamento rejeitado: x').length,
        500,
      );
      for (const d of done) {
        assert.equal(d.atualizadoEm, endedIso);
        // The wall time of the end, on the monotonic scale: 5 s before `perf`, to the clock's ms.
        assert.ok(
          Math.abs(d.endedAt - (perf - 5000)) < 20,
          `endedAt ${d.endedAt}, expected ≈ ${perf - 5000}`,
        );
      }
    } finally {
      await tracker.close();
    }
  });

  test('when a wait is aborted, or the tracker closes, then the wait rejects and is forgotten', async () => {
    const tracker = createCompletionTracker(db, 5);
    const controller = new AbortController();
    const aborted = tracker.wait(999_999, controller.signal);
    const second = tracker.wait(999_999);
    assert.equal(tracker.pending, 1);
    controller.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    assert.equal(tracker.pending, 1, 'the other wait for the same order stays');
    await tracker.close();
    await assert.rejects(second, /closed/);
    assert.equal(tracker.pending, 0);
    await assert.rejects(tracker.wait(1), /closed/);
  });
});

for (const transport of ['rest', 'grpc'] as const) {
  describe(
    `the ${transport} driver against the synchronous checkout on PostgreSQL`,
    { timeout: 600_000 },
    () => {
      let checkout: RunningCheckout;
      let driver: OrderDriver;
      let scarce: number;
      const SEED = 11;

      before(
        async () => {
          checkout = await startCheckout({ engine: 'postgres', transport });
          scarce = checkout.dataset.produtos[0]?.id ?? 1;
          await sql`UPDATE estoque SET quantidade = 100`.execute(checkout.dbs.estoque);
          await sql`UPDATE estoque SET quantidade = 0 WHERE produto_id = ${scarce}`.execute(
            checkout.dbs.estoque,
          );
          driver = await createOrderDriver({
            transport,
            pedidos: checkout.urls.pedidos,
            ns: checkout,
            mix: mixWithScarce(checkout.dataset, scarce, SEED, 5),
            customers: 5,
            timeoutMs: 10_000,
            keyPrefix: `test-${transport}`,
          });
        },
        { timeout: 300_000 },
      );
      after(async () => {
        await driver.close();
        await checkout.close();
      });

      async function checkoutOrders(): Promise<Record<string, number>> {
        const { rows } = await sql<{
          status: string;
          n: number | string;
        }>`SELECT status, COUNT(*) AS n FROM pedidos WHERE origem = 'checkout' GROUP BY status`.execute(
          checkout.dbs.pedidos,
        );
        return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      }

      test('when 20 orders are placed, then the shipped and the cancelled ones are told apart as the databases record them', async () => {
        const results = await runAll(
          driver.operation,
          Array.from({ length: 20 }, (_, i) => i),
        );
        assert.deepEqual(kinds(results), { shipped: 15, 'cancelled:estoque insuficiente': 5 });
        for (const [i, result] of results)
          assert.equal(
            result.outcome.kind === 'cancelled',
            i % 4 === 3,
            `order ${i}: ${JSON.stringify(result)}`,
          );
        assert.deepEqual(await checkoutOrders(), { enviado: 15, cancelado: 5 });

        // The same order numbers again: the same Idempotency-Keys, so the same orders, none new.
        const again = await runAll(driver.operation, [0, 3]);
        assert.deepEqual(kinds(again), { shipped: 1, 'cancelled:estoque insuficiente': 1 });
        assert.deepEqual(await checkoutOrders(), { enviado: 15, cancelado: 5 });
      });

      test('when catalogo is down, then the order is an error the transport names (nothing is thrown)', async () => {
        await checkout.stop('catalogo');
        let result: OperationResult;
        try {
          result = await driver.operation(100, new AbortController().signal);
        } finally {
          await checkout.start('catalogo');
        }
        assert.deepEqual(result.outcome, {
          kind: 'error',
          error: transport === 'rest' ? 'http-503' : 'grpc-UNAVAILABLE',
        });
      });

      test('when logistica is down, then the sold but undispatched order is an incomplete answer', async () => {
        await checkout.stop('logistica');
        let result: OperationResult;
        try {
          result = await driver.operation(101, new AbortController().signal);
        } finally {
          await checkout.start('logistica');
        }
        assert.deepEqual(result.outcome, { kind: 'error', error: 'incomplete-nf_emitida' });
        await dispatchStalled(checkout);
        assert.equal((await checkoutOrders()).nf_emitida, undefined, 'the recovery loop dispatched it');
      });

      test('when pedidos itself is down, then the orders are connection errors', async () => {
        await checkout.stop('pedidos');
        const errors: string[] = [];
        try {
          for (const i of [102, 103, 104]) {
            const { outcome } = await driver.operation(i, new AbortController().signal);
            errors.push(outcome.kind === 'error' ? outcome.error : outcome.kind);
          }
        } finally {
          await checkout.start('pedidos');
        }
        if (transport === 'rest') {
          // A keep-alive socket the server just closed may fail first; a fresh connect is refused.
          for (const error of errors)
            assert.ok(['ECONNREFUSED', 'UND_ERR_SOCKET', 'ECONNRESET'].includes(error), error);
          assert.ok(errors.includes('ECONNREFUSED'), errors.join(', '));
        } else assert.deepEqual(errors, ['grpc-UNAVAILABLE', 'grpc-UNAVAILABLE', 'grpc-UNAVAILABLE']);
        const back = await driver.operation(105, new AbortController().signal);
        assert.notEqual(back.outcome.kind, 'error', JSON.stringify(back));
      });

      test('when pedidos never answers and the load generator gives up, then the operation resolves as aborted', async () => {
        const silent = await silentServer();
        const hung = await createOrderDriver({
          transport,
          pedidos: { http: `http://127.0.0.1:${silent.port}`, grpc: `127.0.0.1:${silent.port}` },
          ns: checkout,
          mix: orderMix(checkout.dataset, SEED, 5),
          customers: 5,
          timeoutMs: 3_000,
        });
        try {
          const controller = new AbortController();
          const pending = hung.operation(0, controller.signal);
          setTimeout(() => controller.abort(), 200);
          assert.deepEqual((await pending).outcome, { kind: 'error', error: 'aborted' });
        } finally {
          await hung.close();
          await silent.close();
        }
      });
    },
  );
}

describe('the async driver against the saga on RabbitMQ and PostgreSQL', { timeout: 600_000 }, () => {
  const SCARCE = 1;
  let ns: Namespace;
  let api: RunningApi | undefined;
  let worker: ServiceProcess | undefined;
  let driver: OrderDriver | undefined;

  before(
    async () => {
      ns = await createNamespace({ stockOf: (id) => (id === SCARCE ? 0 : 1000) });
      assert.ok(ns.dataset.produtos.some((p) => p.id === SCARCE));
      worker = await spawnWorker(ns, { PAGAMENTO_TAXA_REJEICAO: '0' });
      api = await startApi(ns);
      driver = await createOrderDriver({
        transport: 'async',
        pedidos: { http: api.url, grpc: 'unused:0' },
        ns,
        mix: mixWithScarce(ns.dataset, SCARCE, 5, 4),
        customers: 4,
        timeoutMs: 60_000,
        pollMs: 10,
      });
    },
    { timeout: 300_000 },
  );
  after(async () => {
    await driver?.close();
    await worker?.stop();
    await api?.close();
    await ns.dispose();
  });

  test('when 20 orders are accepted, then each resolves once terminal, with when it was accepted and when it ended', async () => {
    if (driver === undefined) throw new Error('no driver');
    const started = performance.now();
    const results = await runAll(
      driver.operation,
      Array.from({ length: 20 }, (_, i) => i),
    );
    const ended = performance.now();
    const outcomes = kinds(results);
    assert.equal(outcomes.shipped, 15, JSON.stringify(outcomes));
    const cancelled = Object.entries(outcomes).filter(([kind]) => kind.startsWith('cancelled:'));
    assert.equal(
      cancelled.reduce((sum, [, n]) => sum + n, 0),
      5,
      JSON.stringify(outcomes),
    );
    for (const [kind] of cancelled) assert.match(kind, /estoque/);
    for (const [i, result] of results) {
      const { acceptedAt, finishedAt } = result;
      assert.ok(
        acceptedAt !== undefined && finishedAt !== undefined,
        `order ${i}: ${JSON.stringify(result)}`,
      );
      assert.ok(started <= acceptedAt && acceptedAt <= finishedAt && finishedAt <= ended, `order ${i}`);
    }
    assert.deepEqual(await statusCounts(ns.dbs), { cancelado: 5, enviado: 15 });
  });

  test('when pedidos refuses the order, then it is an error by HTTP status and no wait is left behind', async () => {
    if (api === undefined) throw new Error('no api');
    const refused = await createOrderDriver({
      transport: 'async',
      pedidos: { http: api.url, grpc: 'unused:0' },
      ns,
      mix: () => ({
        cliente_id: ns.dataset.clientes[0]?.id ?? 1,
        itens: [{ produto_id: 999_999, quantidade: 1 }],
      }),
      customers: 1,
      timeoutMs: 10_000,
    });
    try {
      const result = await refused.operation(0, new AbortController().signal);
      assert.deepEqual(result.outcome, { kind: 'error', error: 'http-422' });
      assert.equal(result.acceptedAt, undefined);
    } finally {
      await refused.close();
    }
  });
});
