// A worker SIGKILLed mid-message loses nothing. Three worker processes (worker-main.ts) run ~300
// orders on real RabbitMQ and PostgreSQL; at a random moment while the orders flow (the seed is
// printed; ASYNC_KILL_SEED replays it) one of them is killed with SIGKILL — no shutdown code runs,
// its transactions roll back, its unacknowledged messages go back to the queues and its relays'
// claimed outbox rows are released — and a replacement is started. Every order still reaches
// enviado or cancelado, and every invariant holds: no double charge, reservation, invoice or
// dispatch from the redeliveries, no event lost between a commit and its publish.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seededRandom } from '@dslab/testing';
import {
  expectEverythingHolds,
  expectWorkersAlive,
  inFlight,
  loginCustomers,
  placeOrders,
  seedOf,
  spawnWorker,
  startWorkerCluster,
  statusCounts,
  waitUntilTerminal,
  type WorkerCluster,
} from './harness.js';

const ORDERS = 300;
const WORKERS = 3;
const WORKER_ENV = { DATABASE_POOL_SIZE: '2' };

describe('a worker SIGKILLed mid-run loses nothing', { timeout: 900_000 }, () => {
  let cluster: WorkerCluster;
  const seed = seedOf('ASYNC_KILL_SEED');

  before(
    async () => {
      cluster = await startWorkerCluster({
        stockOf: (id) => (id <= 3 ? 40 : 5000),
        workers: WORKERS,
        workerEnv: WORKER_ENV,
      });
    },
    { timeout: 300_000 },
  );
  after(() => cluster.close());

  test(
    'when one worker is SIGKILLed while orders flow and a replacement starts, then every order ends enviado or cancelado',
    { timeout: 900_000 },
    async () => {
      const { ns, api, workers } = cluster;
      const random = seededRandom(seed);
      const tokens = await loginCustomers(api, ns.dataset, 6);
      const produtos = ns.dataset.produtos.map((p) => p.id);
      const itens = Array.from({ length: ORDERS }, () => [
        {
          produto_id: produtos[Math.floor(random() * produtos.length)] ?? 1,
          quantidade: 1 + Math.floor(random() * 3),
        },
      ]);
      const victim = Math.floor(random() * WORKERS);
      // Once some orders are in: 20 to 120 of them accepted, then a random pause of up to 1.5 s.
      const killAfterOrders = 20 + Math.floor(random() * 100);
      const pauseMs = Math.floor(random() * 1500);

      let accepted = 0;
      let killed: Promise<void> | undefined;
      let progressAtKill: Record<string, number> = {};
      const placing = placeOrders(api, ORDERS, {
        concurrency: 30,
        tokenOf: (i) => {
          accepted = i;
          if (i === killAfterOrders)
            killed = (async () => {
              await new Promise((resolve) => setTimeout(resolve, pauseMs));
              progressAtKill = await statusCounts(ns.dbs);
              const worker = workers[victim];
              assert.ok(worker !== undefined);
              await worker.kill();
              assert.equal(worker.child.signalCode, 'SIGKILL');
              workers.splice(victim, 1);
              workers.push(await spawnWorker(ns, WORKER_ENV));
            })();
          return tokens[i % tokens.length] ?? '';
        },
        itensOf: (i) => itens[i] ?? [],
      });
      await placing;
      assert.ok(killed !== undefined, `the kill never happened (${accepted} orders)`);
      await killed;
      process.stdout.write(
        `# worker ${victim + 1} SIGKILLed after order ${killAfterOrders} + ${pauseMs} ms, orders then: ${JSON.stringify(progressAtKill)}\n`,
      );
      assert.ok(
        inFlight(progressAtKill) > 0,
        `orders were in flight when the worker died: ${JSON.stringify(progressAtKill)}`,
      );

      const counts = await waitUntilTerminal(ns.dbs, ORDERS, 600_000);
      process.stdout.write(`# all ${ORDERS} terminal: ${JSON.stringify(counts)} (seed ${seed})\n`);
      await expectEverythingHolds(ns);
      expectWorkersAlive(workers);
    },
  );
});
