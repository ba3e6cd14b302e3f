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
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { CHECKOUT_SERVICES, readSeedData } from '@dslab/checkout-kit';
import { createFaker, generateDataset, writeDatabase, type Dataset } from '@dslab/checkout-datagen';
import { openDatabase, sql, type Database } from '@dslab/db';
import { call, freePort, spawnService, type ServiceProcess } from '@dslab/testing';
import type { Kysely } from 'kysely';
import { findAsyncCheckoutViolations, type CheckoutDatabases } from '../../e2e/invariants.js';

const embeddedMain = fileURLToPath(new URL('../src/embedded-main.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const SENHA = 'senha-de-teste-123';
const ORDERS = 40;

/** embedded-main.ts on `dir`, on free ports, once /health answers. */
async function startEmbeddedProcess(dir: string, seedFile: string): Promise<ServiceProcess> {
  const [http, grpc, catalogoHttp, catalogoGrpc] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  return spawnService({
    entry: embeddedMain,
    port: http,
    cwd: repoRoot,
    env: {
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
      LOG_LEVEL: process.env.ASYNC_TEST_VERBOSE === undefined ? 'warn' : 'info',
    },
    echo: process.env.ASYNC_TEST_VERBOSE !== undefined,
    timeoutMs: 60_000,
  });
}

/** The six SQLite files, opened from the test process. */
async function openFiles(dir: string): Promise<{ dbs: CheckoutDatabases; close(): Promise<void> }> {
  const opened: Database<unknown>[] = [];
  for (const service of CHECKOUT_SERVICES)
    opened.push(await openDatabase<unknown>({ engine: 'sqlite', file: join(dir, `${service}.db`) }));
  const dbs = Object.fromEntries(
    CHECKOUT_SERVICES.map((service, i) => [service, opened[i]?.db as Kysely<unknown>]),
  ) as unknown as CheckoutDatabases;
  return {
    dbs,
    async close() {
      await Promise.all(opened.map((database) => database.close()));
    },
  };
}

async function statusCounts(pedidos: Kysely<unknown>): Promise<Record<string, number>> {
  const { rows } = await sql<{
    status: string;
    n: number | string;
  }>`SELECT status, COUNT(*) AS n FROM pedidos WHERE origem = 'checkout' GROUP BY status`.execute(pedidos);
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

const inFlight = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([status]) => status !== 'enviado' && status !== 'cancelado')
    .reduce((sum, [, n]) => sum + n, 0);

describe('the embedded process SIGKILLed mid-flight and started again', { timeout: 300_000 }, () => {
  let dir: string;
  let seedFile: string;
  let dataset: Dataset;
  let child: ServiceProcess | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'checkout-embedded-crash-'));
    seedFile = join(dir, 'ecommerce.db');
    writeDatabase(
      seedFile,
      generateDataset(
        createFaker(23),
        { clientes: 6, produtos: 8, pedidos: 6 },
        Date.parse('2025-10-26T18:00:00Z'),
      ),
    );
    dataset = readSeedData(seedFile);
  });
  after(async () => {
    await child?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('when it dies with orders in its in-memory queues, then after the restart every order ends enviado or cancelado and every invariant holds', async () => {
    child = await startEmbeddedProcess(dir, seedFile);
    const files = await openFiles(dir);
    let initialStock: Map<number, number>;
    try {
      // Little stock of the first product, so some orders are cancelled too.
      await sql`UPDATE estoque SET quantidade = CASE WHEN produto_id = ${dataset.produtos[0]?.id ?? 1} THEN 6 ELSE 500 END`.execute(
        files.dbs.estoque,
      );
      const { rows } = await sql<{ produto_id: number | string; quantidade: number | string }>`
        SELECT produto_id, quantidade FROM estoque`.execute(files.dbs.estoque);
      initialStock = new Map(rows.map((r) => [Number(r.produto_id), Number(r.quantidade)]));
    } finally {
      await files.close();
    }

    const login = await call<{ access_token: string }>(child.url, 'POST', '/auth/login', {
      body: { email: dataset.clientes[0]?.email, senha: SENHA },
    });
    assert.equal(login.status, 200, login.text);
    const token = login.body.access_token;
    const produtos = dataset.produtos.map((p) => p.id);
    const url = child.url;
    const placed = await Promise.all(
      Array.from({ length: ORDERS }, async (_, i) => {
        const res = await call<{ id: number }>(url, 'POST', '/pedidos', {
          token,
          headers: { 'idempotency-key': `crash-${i}` },
          body: { itens: [{ produto_id: produtos[i % produtos.length] ?? 1, quantidade: 1 + (i % 2) }] },
        });
        assert.equal(res.status, 202, res.text);
        return res.body.id;
      }),
    );
    assert.equal(new Set(placed).size, ORDERS);
    // Let some of them run, then kill it without any shutdown code.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await child.kill();
    assert.equal(child.child.signalCode, 'SIGKILL');

    let atKill: Record<string, number>;
    const killed = await openFiles(dir);
    try {
      atKill = await statusCounts(killed.dbs.pedidos);
    } finally {
      await killed.close();
    }
    process.stdout.write(`# orders when the process was killed: ${JSON.stringify(atKill)}\n`);
    assert.ok(inFlight(atKill) > 0, 'some orders were in flight when the process died');

    child = await startEmbeddedProcess(dir, seedFile);
    const files2 = await openFiles(dir);
    try {
      const deadline = Date.now() + 60_000;
      let counts = await statusCounts(files2.dbs.pedidos);
      while (inFlight(counts) > 0) {
        if (Date.now() > deadline)
          throw new Error(
            `not every order is final: ${JSON.stringify(counts)}\n${child.output().slice(-3000)}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 100));
        counts = await statusCounts(files2.dbs.pedidos);
      }
      process.stdout.write(`# after the restart: ${JSON.stringify(counts)}\n`);
      assert.equal((counts.enviado ?? 0) + (counts.cancelado ?? 0), ORDERS);

      let problems: string[] = [];
      for (let attempt = 0; attempt < 40; attempt++) {
        problems = await findAsyncCheckoutViolations(files2.dbs, initialStock);
        if (problems.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} violation(s)`);
      const { rows } = await sql<{ n: number | string }>`
        SELECT COUNT(*) AS n FROM operacoes WHERE operacao = 'etapa_reenviada'`.execute(files2.dbs.pedidos);
      process.stdout.write(`# commands sent again at the restart: ${Number(rows[0]?.n ?? 0)}\n`);
    } finally {
      await files2.close();
    }
    assert.equal(child.child.exitCode, null, `the process died:\n${child.output().slice(-2000)}`);
  });
});
