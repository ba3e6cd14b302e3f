// Issue 7's acceptance test: 1,000 orders through the asynchronous checkout with 4 worker
// processes (worker-main.ts, as in production) competing for the queues on real RabbitMQ and
// PostgreSQL. The orders come over HTTP from several customers, 50 at a time, through the pedidos
// async API; the payment simulator takes 1–5 ms and rejects ~10 %; five products have little
// stock, so some orders run out of it (before or after the payment: compensations run). Once every
// order is terminal, every invariant is checked: stock conservation, one payment per order, a kept
// payment ⇔ enviado, one invoice and one dispatch per enviado order and none for cancelled ones,
// refunds only for cancelled orders, every outbox, queue, retry stage and dead-letter queue empty.
//
// ASYNC_LOAD_SEED replays a run's order mix; ASYNC_TEST_VERBOSE=1 shows the workers' logs.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seededRandom } from '@dslab/testing';
import {
  expectEverythingHolds,
  expectWorkersAlive,
  loginCustomers,
  placeOrders,
  seedOf,
  startWorkerCluster,
  statusCounts,
  waitUntilTerminal,
  type WorkerCluster,
} from './harness.js';

const ORDERS = 1000;
const WORKERS = 4;
const CUSTOMERS = 10;
const SCARCE_PRODUCTS = 5;

describe('1,000 orders with 4 workers on RabbitMQ and PostgreSQL', { timeout: 900_000 }, () => {
  let cluster: WorkerCluster;
  const seed = seedOf('ASYNC_LOAD_SEED');

  before(
    async () => {
      // Products 1–5 run out (≈150 units asked of each, 60 on the shelf); the rest never do.
      cluster = await startWorkerCluster({
        stockOf: (id) => (id <= SCARCE_PRODUCTS ? 60 : 5000),
        workers: WORKERS,
        workerEnv: { DATABASE_POOL_SIZE: '2' },
      });
    },
    { timeout: 300_000 },
  );
  after(() => cluster.close());

  test(
    'when 1,000 orders are placed at once, then every one ends enviado or cancelado and every invariant holds',
    { timeout: 900_000 },
    async () => {
      const { ns, api, workers } = cluster;
      const random = seededRandom(seed);
      const tokens = await loginCustomers(api, ns.dataset, CUSTOMERS);
      const produtos = ns.dataset.produtos.map((p) => p.id);
      const itens = Array.from({ length: ORDERS }, () => {
        const lines = new Map<number, number>();
        const count = 1 + Math.floor(random() * 2);
        while (lines.size < count) {
          const produto = produtos[Math.floor(random() * produtos.length)] ?? 1;
          lines.set(produto, 1 + Math.floor(random() * 3));
        }
        return [...lines].map(([produto_id, quantidade]) => ({ produto_id, quantidade }));
      });
      const started = Date.now();
      const ids = await placeOrders(api, ORDERS, {
        concurrency: 50,
        tokenOf: (i) => tokens[i % tokens.length] ?? '',
        itensOf: (i) => itens[i] ?? [],
      });
      assert.equal(new Set(ids).size, ORDERS);
      const accepted = Date.now();

      const counts = await waitUntilTerminal(ns.dbs, ORDERS, 600_000);
      const finished = Date.now();
      process.stdout.write(
        `# ${ORDERS} orders accepted in ${accepted - started} ms, all terminal after ${finished - started} ms: ` +
          `${JSON.stringify(counts)} (seed ${seed})\n`,
      );
      assert.ok((counts.enviado ?? 0) > 0, 'some orders shipped');
      assert.ok((counts.cancelado ?? 0) > 0, 'some orders were cancelled (rejected payments, no stock)');
      await expectEverythingHolds(ns);
      const compensated = await statusCounts(ns.dbs);
      assert.deepEqual(compensated, counts, 'nothing moves once every order is terminal');
      expectWorkersAlive(workers);
    },
  );
});
