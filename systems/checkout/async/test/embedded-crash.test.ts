// The embedded mode survives a crash: its queues live in memory, so a SIGKILL while orders flow
// loses every message they held (commands, answers, retries). embedded-main.ts runs as a real
// child process on a temp data dir; orders are placed, the process is SIGKILLed mid-flight and
// started again on the same SQLite files. At start-up the orchestrator sends again the command
// every order that is not final waits for (the periodic sweep is 120 s away, so this start-up
// pass is what recovers them): every order ends enviado or cancelado and every invariant holds —
// one payment per order, stock moved once, one invoice and one dispatch per shipped order.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CHECKOUT_SERVICES } from '@dslab/checkout-kit';
import type { Dataset } from '@dslab/checkout-datagen';
import { openDatabase, sql, type Database } from '@dslab/db';
import { freePort, type ServiceProcess } from '@dslab/testing';
import type { Kysely } from 'kysely';
import {
  EMBEDDED_MAIN,
  expectNoViolations,
  inFlight,
  loginCustomers,
  placeOrders,
  SENHA,
  spawnDeployable,
  statusCounts,
  stockOf,
  waitUntilTerminal,
  writeTestSeed,
  type NamespaceDatabases,
} from './harness.js';

const ORDERS = 40;

/** embedded-main.ts on `dir`, on free ports, once /health answers. */
async function startEmbeddedProcess(dir: string, seedFile: string): Promise<ServiceProcess> {
  const [http, grpc, catalogoHttp, catalogoGrpc] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  return spawnDeployable(
    EMBEDDED_MAIN,
    http,
    {
      DATA_DIR: dir,
      ECOMMERCE_DB: seedFile,
      HOST: '127.0.0.1',
      HTTP_PORT: String(http),
      GRPC_PORT: String(grpc),
      CATALOGO_HTTP_PORT: String(catalogoHttp),
      CATALOGO_GRPC_PORT: String(catalogoGrpc),
      QUEUE_PREFIX: 'checkout',
      CHECKOUT_JWT_SECRET: 'test-secret-of-the-embedded-crash-0123456789',
      CHECKOUT_SENHA_PADRAO: SENHA,
      // Slow payments keep orders in flight when the process dies.
      PAGAMENTO_LATENCIA_MIN_MS: '100',
      PAGAMENTO_LATENCIA_MAX_MS: '600',
      PAGAMENTO_TAXA_REJEICAO: '0.1',
      STALL_AFTER_MS: '120000',
      SWEEP_INTERVAL_MS: '30000',
    },
    60_000,
  );
}

/** The six SQLite files, opened from the test process for the duration of `use`. */
async function withFiles<T>(dir: string, use: (dbs: NamespaceDatabases) => Promise<T>): Promise<T> {
  const opened: Database<unknown>[] = [];
  try {
    for (const service of CHECKOUT_SERVICES)
      opened.push(await openDatabase<unknown>({ engine: 'sqlite', file: join(dir, `${service}.db`) }));
    const dbs = Object.fromEntries(
      CHECKOUT_SERVICES.map((service, i) => [service, opened[i]?.db as Kysely<unknown>]),
    ) as unknown as NamespaceDatabases;
    return await use(dbs);
  } finally {
    await Promise.all(opened.map((database) => database.close()));
  }
}

describe('the embedded process SIGKILLed mid-flight and started again', { timeout: 300_000 }, () => {
  let dir: string;
  let seedFile: string;
  let dataset: Dataset;
  let child: ServiceProcess | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'checkout-embedded-crash-'));
    ({ seedFile, dataset } = writeTestSeed(dir, {
      faker: 23,
      sizes: { clientes: 6, produtos: 8, pedidos: 6 },
    }));
  });
  after(async () => {
    await child?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('when it dies with orders in its in-memory queues, then after the restart every order ends enviado or cancelado and every invariant holds', async () => {
    child = await startEmbeddedProcess(dir, seedFile);
    // Little stock of the first product, so some orders are cancelled too.
    const initialStock = await withFiles(dir, async (dbs) => {
      await sql`UPDATE estoque SET quantidade = CASE WHEN produto_id = ${dataset.produtos[0]?.id ?? 1} THEN 6 ELSE 500 END`.execute(
        dbs.estoque,
      );
      return stockOf(dbs);
    });

    const [token = ''] = await loginCustomers(child, dataset, 1);
    const produtos = dataset.produtos.map((p) => p.id);
    const placed = await placeOrders(child, ORDERS, {
      concurrency: ORDERS,
      tokenOf: () => token,
      itensOf: (i) => [{ produto_id: produtos[i % produtos.length] ?? 1, quantidade: 1 + (i % 2) }],
      keyPrefix: 'crash',
    });
    assert.equal(new Set(placed).size, ORDERS);
    // Let some of them run, then kill it without any shutdown code.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await child.kill();
    assert.equal(child.child.signalCode, 'SIGKILL');

    const atKill = await withFiles(dir, (dbs) => statusCounts(dbs));
    process.stdout.write(`# orders when the process was killed: ${JSON.stringify(atKill)}\n`);
    assert.ok(inFlight(atKill) > 0, 'some orders were in flight when the process died');

    child = await startEmbeddedProcess(dir, seedFile);
    const restarted = child;
    await withFiles(dir, async (dbs) => {
      const counts = await waitUntilTerminal(dbs, ORDERS, 60_000).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${restarted.output().slice(-3000)}`);
      });
      process.stdout.write(`# after the restart: ${JSON.stringify(counts)}\n`);
      await expectNoViolations(dbs, initialStock);
      const { rows } = await sql<{ n: number | string }>`
        SELECT COUNT(*) AS n FROM operacoes WHERE operacao = 'etapa_reenviada'`.execute(dbs.pedidos);
      process.stdout.write(`# commands sent again at the restart: ${Number(rows[0]?.n ?? 0)}\n`);
    });
    assert.equal(child.child.exitCode, null, `the process died:\n${child.output().slice(-2000)}`);
  });
});
