/**
 * `@dslab/checkout-async/testing`: the asynchronous checkout against the real engines, in a
 * namespace of its own, for the end-to-end tests (test/harness.ts) and the benchmark
 * (bench/, `npm run bench:checkout-async`); never imported by the deployables. A namespace is a
 * seed file in a temp dir, the six databases as PostgreSQL schemas `<prefix>_<service>` (migrated
 * and seeded here, so the workers find them ready) and queues `<prefix>.*` on RabbitMQ — or, with
 * `engine: 'sqlite'`, SQLite files in the temp dir and the in-process bus. The pedidos async API
 * runs in the calling process; the workers and the embedded process run as real child processes
 * (worker-main.ts, embedded-main.ts, as in production). dispose() drops the schemas, deletes the
 * queues and the temp dir.
 *
 * The engines default to the tests' (TEST_POSTGRES_URL, TEST_AMQP_URL from @dslab/testing); a
 * caller that reads its own settings (the benchmark) passes their URLs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp as buildCatalogo } from '@dslab/checkout-catalogo';
import { createFaker, generateDataset, writeDatabase, type Dataset } from '@dslab/checkout-datagen';
import { buildApp as buildEstoque } from '@dslab/checkout-estoque';
import { CHECKOUT_SERVICES, readSeedData, type CheckoutService } from '@dslab/checkout-kit';
import { buildAsyncApp } from '@dslab/checkout-pedidos';
import { dropSchema, sql, type Engine } from '@dslab/db';
import { createLogger, type Logger } from '@dslab/logging';
import { createAmqpBus, createInProcessBus, type MessageBus } from '@dslab/messaging';
import { createOutboxRelay, type OutboxRelay } from '@dslab/outbox';
import {
  call,
  freePort,
  spawnService,
  TEST_AMQP_URL,
  TEST_POSTGRES_URL,
  testSwitch,
  uniqueName,
  type ServiceProcess,
} from '@dslab/testing';
import type { Kysely } from 'kysely';
import { openServiceDatabases, schemaOf, type OpenedDatabases, type ServiceDatabases } from './databases.js';
import { checkoutQueues } from './dlq.js';

export const JWT_SECRET = 'test-secret-of-the-async-checkout-0123456789';
export const SENHA = 'senha-de-teste-123';

/** The worker deployable's entry point (what `spawnWorker` and the benchmark start). */
export const WORKER_MAIN = fileURLToPath(new URL('./worker-main.ts', import.meta.url));
/** The embedded single process's entry point. */
export const EMBEDDED_MAIN = fileURLToPath(new URL('./embedded-main.ts', import.meta.url));
/** The repository root (the child processes' working directory). */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** ASYNC_TEST_VERBOSE set: the services' lines are shown (the test process's and the children's). */
const VERBOSE = testSwitch('ASYNC_TEST_VERBOSE');
/** LOG_LEVEL of the child processes: their warnings and errors, everything when verbose. */
const CHILD_LOG_LEVEL = VERBOSE ? 'info' : 'warn';

/** Lines of the calling process's services: silent unless ASYNC_TEST_VERBOSE is set. */
export function testLogger(service: string): Logger {
  return createLogger({ service, level: VERBOSE ? 'info' : 'silent' });
}

/** The seed's customers, products and past orders a test writes (`writeTestSeed`). */
export interface SeedSizes {
  readonly clientes: number;
  readonly produtos: number;
  readonly pedidos: number;
}

/**
 * A synthetic seed written to `<dir>/ecommerce.db` (datagen with faker seed `faker`, as of a
 * fixed instant, so a run is reproducible) and the data set as the services will import it.
 */
export function writeTestSeed(
  dir: string,
  options: { readonly faker: number; readonly sizes: SeedSizes },
): { readonly seedFile: string; readonly dataset: Dataset } {
  const seedFile = join(dir, 'ecommerce.db');
  writeDatabase(
    seedFile,
    generateDataset(createFaker(options.faker), options.sizes, Date.parse('2025-10-26T18:00:00.000Z')),
  );
  return { seedFile, dataset: readSeedData(seedFile) };
}

/** The opened databases as plain Kysely handles (the invariant checker's shape). */
export function kyselyOf(databases: ServiceDatabases): NamespaceDatabases {
  return Object.fromEntries(
    CHECKOUT_SERVICES.map((service) => [service, databases[service]?.db as unknown as Kysely<unknown>]),
  ) as unknown as NamespaceDatabases;
}

/** The six databases of a namespace as plain Kysely handles (the invariant checker's shape). */
export type NamespaceDatabases = { readonly [S in CheckoutService]: Kysely<unknown> };

export interface Namespace {
  /** postgres: schemas on PostgreSQL and queues on RabbitMQ; sqlite: files in `dir`, the in-process bus. */
  readonly engine: Engine;
  /** Queue prefix; the schemas are `<prefix>_<service>`. */
  readonly prefix: string;
  readonly schemaPrefix: string;
  /** The engines a postgres namespace lives on (the workers get the same). */
  readonly postgresUrl: string;
  readonly amqpUrl: string;
  readonly dir: string;
  readonly seedFile: string;
  readonly dataset: Dataset;
  readonly databases: ServiceDatabases;
  /** The same databases as the invariant checker reads them. */
  readonly dbs: NamespaceDatabases;
  /** The caller's own bus on the broker (queue depths, dead letters, publishing poison). */
  readonly bus: MessageBus;
  /** Stock per product after the set-up (the invariant checker's start). */
  readonly initialStock: ReadonlyMap<number, number>;
  dispose(): Promise<void>;
}

export interface NamespaceOptions {
  /** Default postgres (with RabbitMQ); sqlite: SQLite files and the in-process bus (no worker process). */
  readonly engine?: Engine;
  readonly sizes?: SeedSizes;
  /** Stock of each product after the import (default: the seed's). */
  readonly stockOf?: (produtoId: number) => number;
  /** PostgreSQL connections per database in the calling process. */
  readonly poolSize?: number;
  /** Default TEST_POSTGRES_URL. */
  readonly postgresUrl?: string;
  /** Default TEST_AMQP_URL. */
  readonly amqpUrl?: string;
}

/**
 * Runs the clean-up steps `steps` holds (and empties it), last-registered first, each on its own:
 * one failure does not stop the rest, nor keep the test process alive.
 */
export async function runCleanup(steps: (() => Promise<void> | void)[]): Promise<void> {
  for (const step of steps.splice(0).reverse()) {
    try {
      await step();
    } catch {
      // Best effort.
    }
  }
}

export async function createNamespace(options: NamespaceOptions = {}): Promise<Namespace> {
  const engine = options.engine ?? 'postgres';
  const postgresUrl = options.postgresUrl ?? TEST_POSTGRES_URL;
  const amqpUrl = options.amqpUrl ?? TEST_AMQP_URL;
  const cleanup: (() => Promise<void>)[] = [];
  try {
    const prefix = uniqueName('ck')
      .toLowerCase()
      .replace(/[^a-z0-9_]/g, '_');
    const schemaPrefix = `${prefix}_`;
    const dir = mkdtempSync(join(tmpdir(), 'checkout-async-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const { seedFile, dataset } = writeTestSeed(dir, {
      faker: 7,
      sizes: options.sizes ?? { clientes: 12, produtos: 20, pedidos: 20 },
    });
    if (engine === 'postgres')
      for (const service of CHECKOUT_SERVICES)
        cleanup.push(() => dropSchema(postgresUrl, schemaOf(service, schemaPrefix)));
    const opened: OpenedDatabases = await openServiceDatabases(CHECKOUT_SERVICES, {
      storage:
        engine === 'postgres'
          ? { databaseUrl: postgresUrl, schemaPrefix, dataDir: dir, poolSize: options.poolSize ?? 2 }
          : { dataDir: dir },
      seed: { file: seedFile, fiscalSerie: 1, random: Math.random },
      logger: testLogger('checkout-test'),
    });
    cleanup.push(() => opened.close());
    const { databases } = opened;
    const dbs = kyselyOf(databases);
    if (options.stockOf !== undefined) {
      for (const produto of dataset.produtos)
        await sql`UPDATE estoque SET quantidade = ${options.stockOf(produto.id)} WHERE produto_id = ${produto.id}`.execute(
          dbs.estoque,
        );
    }
    const initialStock = await stockOf(dbs);
    const bus =
      engine === 'postgres'
        ? await createAmqpBus({
            url: amqpUrl,
            connectionName: uniqueName('dslab-test'),
            logger: testLogger('checkout-test-bus'),
          })
        : createInProcessBus({ logger: testLogger('checkout-test-bus') });
    cleanup.push(() => bus.close());
    cleanup.push(async () => {
      for (const queue of checkoutQueues(prefix)) await bus.deleteQueue(queue).catch(() => undefined);
    });
    for (const queue of checkoutQueues(prefix)) await bus.declareQueue(queue);
    return {
      engine,
      prefix,
      schemaPrefix,
      postgresUrl,
      amqpUrl,
      dir,
      seedFile,
      dataset,
      databases,
      dbs,
      bus,
      initialStock,
      dispose: () => runCleanup(cleanup),
    };
  } catch (error) {
    await runCleanup(cleanup);
    throw error;
  }
}

export async function stockOf(dbs: Pick<NamespaceDatabases, 'estoque'>): Promise<Map<number, number>> {
  const { rows } = await sql<{
    produto_id: number | string;
    quantidade: number | string;
  }>`SELECT produto_id, quantidade FROM estoque`.execute(dbs.estoque);
  return new Map(rows.map((r) => [Number(r.produto_id), Number(r.quantidade)]));
}

// ---------------------------------------------------------------------------------------------
// The pedidos async API in the calling process

export interface RunningApi {
  readonly url: string;
  readonly relay: OutboxRelay;
  close(): Promise<void>;
}

/**
 * pedidos' async API on a free port over the namespace's pedidos schema, its relay on the
 * namespace's bus, pricing from catalogo's application layer in process (live stock from estoque's).
 */
export async function startApi(
  ns: Namespace,
  options: { readonly relayIdlePollMs?: number } = {},
): Promise<RunningApi> {
  const { databases } = ns;
  if (databases.pedidos === undefined || databases.catalogo === undefined || databases.estoque === undefined)
    throw new Error('the namespace has no pedidos, catalogo or estoque database');
  const logger = testLogger('pedidos');
  const estoque = await buildEstoque({ database: databases.estoque, logger: testLogger('estoque') });
  const catalogo = await buildCatalogo({
    database: databases.catalogo,
    logger: testLogger('catalogo'),
    estoque: estoque.service,
  });
  const relay = createOutboxRelay({
    database: databases.pedidos,
    bus: ns.bus,
    logger,
    name: 'pedidos-api',
    ...(options.relayIdlePollMs === undefined ? {} : { idlePollMs: options.relayIdlePollMs }),
  });
  relay.start();
  const app = await buildAsyncApp({
    database: databases.pedidos,
    logger,
    catalogo: catalogo.service,
    relay,
    queuePrefix: ns.prefix,
    auth: { jwtSecret: JWT_SECRET, tokenTtlSeconds: 3600, senhaPadrao: SENHA },
  });
  const url = await app.http.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    relay,
    async close() {
      await app.http.close();
      await app.close();
      await relay.drainOnce().catch(() => 0);
      await relay.stop();
      await Promise.all([catalogo.http.close(), estoque.http.close()]);
    },
  };
}

/** An access token of each of the first `n` customers of the seed (password SENHA). */
export async function loginCustomers(
  api: Pick<RunningApi, 'url'>,
  dataset: Dataset,
  n: number,
): Promise<string[]> {
  const tokens: string[] = [];
  for (const cliente of dataset.clientes.slice(0, n)) {
    const response = await call<{ access_token: string }>(api.url, 'POST', '/auth/login', {
      body: { email: cliente.email, senha: SENHA },
    });
    assert.equal(response.status, 200, response.text);
    tokens.push(response.body.access_token);
  }
  return tokens;
}

export interface PlacedOrder {
  readonly id: number;
  readonly status: number;
}

/** One answer to a POST /pedidos of `placeOrders`: which order, its status and how long it took. */
export interface OrderAnswer {
  readonly index: number;
  readonly status: number;
  /** From sending the request to the whole answer read, in ms. */
  readonly latencyMs: number;
}

/**
 * POSTs `count` orders at `concurrency` at once, each for the token `tokenOf(i)` and the lines
 * `linesOf(i)`, with the Idempotency-Key `<keyPrefix>-<i>` (default prefix `pedido`); every
 * answer must be 202 with a Location. Answers the orders' ids; `onAnswer` sees every answer.
 */
export async function placeOrders(
  api: Pick<RunningApi, 'url'>,
  count: number,
  options: {
    readonly concurrency: number;
    readonly tokenOf: (i: number) => string;
    readonly itensOf: (i: number) => { produto_id: number; quantidade: number }[];
    readonly keyPrefix?: string;
    readonly onAnswer?: (answer: OrderAnswer) => void;
  },
): Promise<number[]> {
  const ids: number[] = [];
  let next = 0;
  const failures: string[] = [];
  const keyPrefix = options.keyPrefix ?? 'pedido';
  async function lane(): Promise<void> {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const started = performance.now();
      const response = await call<{ id: number }>(api.url, 'POST', '/pedidos', {
        token: options.tokenOf(i),
        headers: { 'idempotency-key': `${keyPrefix}-${i}` },
        body: { itens: options.itensOf(i), metodo_pagamento: i % 3 === 0 ? 'pix' : 'cartao_credito' },
      });
      options.onAnswer?.({ index: i, status: response.status, latencyMs: performance.now() - started });
      if (response.status !== 202 || response.headers.location !== `/pedidos/${response.body.id}`)
        failures.push(`order ${i}: ${response.status} ${response.text}`);
      else ids.push(response.body.id);
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, () => lane()));
  assert.deepEqual(failures.slice(0, 5), []);
  return ids;
}

/** Orders of the checkout by status. */
export async function statusCounts(
  dbs: Pick<NamespaceDatabases, 'pedidos'>,
): Promise<Record<string, number>> {
  const { rows } = await sql<{
    status: string;
    n: number | string;
  }>`SELECT status, COUNT(*) AS n FROM pedidos WHERE origem = 'checkout' GROUP BY status ORDER BY status`.execute(
    dbs.pedidos,
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/** How many of `counts` (statusCounts) are neither enviado nor cancelado: sagas still running. */
export function inFlight(counts: Readonly<Record<string, number>>): number {
  return Object.entries(counts)
    .filter(([status]) => status !== 'enviado' && status !== 'cancelado')
    .reduce((sum, [, n]) => sum + n, 0);
}

/**
 * Polls the pedidos database until every order placed through the checkout is enviado or
 * cancelado (the saga's terminal states); fails after `timeoutMs` with the counts by status.
 */
export async function waitUntilTerminal(
  dbs: Pick<NamespaceDatabases, 'pedidos'>,
  expected: number,
  timeoutMs: number,
): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await statusCounts(dbs);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (total === expected && inFlight(counts) === 0) return counts;
    if (Date.now() > deadline)
      throw new Error(`not every order is terminal after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// ---------------------------------------------------------------------------------------------
// Workers

/** The environment of a worker child on the namespace (its engines, quiet logs). */
export function workerEnvironment(ns: Namespace, port: number, extra: Record<string, string> = {}) {
  return {
    AMQP_URL: ns.amqpUrl,
    DATABASE_URL: ns.postgresUrl,
    DATABASE_SCHEMA_PREFIX: ns.schemaPrefix,
    DATABASE_POOL_SIZE: '3',
    QUEUE_PREFIX: ns.prefix,
    HOST: '127.0.0.1',
    HEALTH_PORT: String(port),
    DATA_DIR: ns.dir,
    ECOMMERCE_DB: ns.seedFile,
    LOG_LEVEL: CHILD_LOG_LEVEL,
    PAGAMENTO_LATENCIA_MIN_MS: '1',
    PAGAMENTO_LATENCIA_MAX_MS: '5',
    PAGAMENTO_TAXA_REJEICAO: '0.1',
    PREFETCH: '16',
    ...extra,
  };
}

/**
 * A deployable (`WORKER_MAIN`, `EMBEDDED_MAIN`) as a child process from the repository root with
 * `env` (LOG_LEVEL warn unless ASYNC_TEST_VERBOSE), once GET /health on `port` answers 200.
 */
export async function spawnDeployable(
  entry: string,
  port: number,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<ServiceProcess> {
  return spawnService({
    entry,
    port,
    cwd: REPOSITORY_ROOT,
    env: { LOG_LEVEL: CHILD_LOG_LEVEL, ...env },
    echo: VERBOSE,
    timeoutMs,
  });
}

/** A worker-main.ts child process on the namespace, once its /health answers 200. */
export async function spawnWorker(
  ns: Namespace,
  extra: Record<string, string> = {},
): Promise<ServiceProcess> {
  const port = await freePort();
  return spawnDeployable(WORKER_MAIN, port, workerEnvironment(ns, port, extra), 90_000);
}
