/**
 * The six checkout services, each with its own database, listening on real ports (HTTP and gRPC)
 * in this process, pedidos and catalogo calling their neighbours over the chosen transport. One
 * service can be stopped (its ports refuse connections) and started again on the same ports.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCleanup, writeTestSeed, type SeedSizes } from '@dslab/checkout-async/testing';
import {
  buildApp as buildCatalogo,
  catalogoMigrations,
  importCatalogoSeed,
  type CatalogoTables,
} from '@dslab/checkout-catalogo';
import { closeClients, createClients } from '@dslab/checkout-clients';
import type { PedidosPort } from '@dslab/checkout-contracts';
import type { Dataset } from '@dslab/checkout-datagen';
import {
  buildApp as buildEstoque,
  estoqueMigrations,
  importEstoqueSeed,
  type EstoqueTables,
} from '@dslab/checkout-estoque';
import {
  buildApp as buildFiscal,
  fiscalMigrations,
  importFiscalSeed,
  type FiscalTables,
} from '@dslab/checkout-fiscal';
import {
  importOnce,
  listenCheckoutApp,
  openServiceDatabase,
  type CheckoutApp,
  type CheckoutService,
  type CommonTables,
  type ListeningApp,
  type Transport,
} from '@dslab/checkout-kit';
import {
  buildApp as buildLogistica,
  importLogisticaSeed,
  logisticaMigrations,
  type LogisticaTables,
} from '@dslab/checkout-logistica';
import {
  buildApp as buildPagamentos,
  importPagamentosSeed,
  pagamentosMigrations,
  type PagamentosTables,
  type SimulatorConfig,
} from '@dslab/checkout-pagamentos';
import {
  buildApp as buildPedidos,
  importPedidosSeed,
  pedidosMigrations,
  type PedidosApp,
  type PedidosTables,
} from '@dslab/checkout-pedidos';
import { dropSchema, type Database, type Engine } from '@dslab/db';
import { createLogger } from '@dslab/logging';
import { TEST_POSTGRES_URL, uniqueName } from '@dslab/testing';
import type { Kysely } from 'kysely';
import type { CheckoutDatabases } from './invariants.js';

export interface CheckoutOptions {
  readonly engine: Engine;
  readonly transport: Transport;
  /** The payment simulator; default: no latency, nothing rejected. */
  readonly simulator?: SimulatorConfig;
  /** Sizes of the synthetic data set imported at start. */
  readonly sizes?: SeedSizes;
  /** Budget pedidos keeps for compensations. */
  readonly compensationReserveMs?: number;
  /** Prints the services' log lines (debugging). */
  readonly verbose?: boolean;
}

export interface RunningCheckout {
  readonly transport: Transport;
  /** pedidos through the chosen transport, as a client would call it. */
  readonly pedidos: PedidosPort;
  /** pedidos' application layer (to run its recovery loop once). */
  readonly pedidosApp: PedidosApp;
  readonly urls: Readonly<Record<CheckoutService, { readonly http: string; readonly grpc: string }>>;
  readonly dbs: CheckoutDatabases;
  /** The data set the services imported. */
  readonly dataset: Dataset;
  /** Stops one service: its ports refuse connections until start. */
  stop(service: CheckoutService): Promise<void>;
  start(service: CheckoutService): Promise<void>;
  close(): Promise<void>;
}

/** Clean-up steps, run last-registered first; a start that fails part-way runs them too. */
type Cleanup = (() => Promise<void> | void)[];

export async function startCheckout(options: CheckoutOptions): Promise<RunningCheckout> {
  const cleanup: Cleanup = [];
  const closeAll = () => runCleanup(cleanup);
  try {
    return await assemble(options, cleanup, closeAll);
  } catch (error) {
    // Left running, half a checkout would keep the test process from ever exiting.
    await closeAll();
    throw error;
  }
}

async function assemble(
  options: CheckoutOptions,
  cleanup: Cleanup,
  closeAll: () => Promise<void>,
): Promise<RunningCheckout> {
  const dir = mkdtempSync(join(tmpdir(), 'checkout-e2e-'));
  cleanup.push(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const { dataset } = writeTestSeed(dir, {
    faker: 5,
    sizes: options.sizes ?? { clientes: 10, produtos: 8, pedidos: 20 },
  });
  const logger = createLogger({
    service: 'checkout-e2e',
    level: options.verbose === true ? 'info' : 'silent',
  });
  const at = new Date().toISOString();

  async function open<DB extends CommonTables>(
    service: CheckoutService,
    migrations: Parameters<typeof openServiceDatabase<DB>>[1],
    load: (db: Database<DB>) => Parameters<typeof importOnce<DB>>[3],
  ): Promise<Database<DB>> {
    const schema = options.engine === 'postgres' ? uniqueName(`e2e_${service}`).toLowerCase() : undefined;
    if (schema !== undefined) cleanup.push(() => dropSchema(TEST_POSTGRES_URL, schema));
    const database = await openServiceDatabase<DB>(
      {
        service,
        dataDir: dir,
        ...(schema === undefined ? {} : { databaseUrl: TEST_POSTGRES_URL, schema }),
      },
      migrations,
    );
    cleanup.push(() => database.close());
    await importOnce(database.db, 'ecommerce.db', at, load(database));
    return database;
  }

  const estoqueDb = await open<EstoqueTables>(
    'estoque',
    estoqueMigrations,
    (db) => (trx) => importEstoqueSeed(trx, db.engine, dataset, at),
  );
  const pagamentosDb = await open<PagamentosTables>(
    'pagamentos',
    pagamentosMigrations,
    (db) => (trx) => importPagamentosSeed(trx, db.engine, dataset, at),
  );
  const fiscalDb = await open<FiscalTables>(
    'fiscal',
    fiscalMigrations,
    (db) => (trx) => importFiscalSeed(trx, db.engine, dataset, 1),
  );
  const logisticaDb = await open<LogisticaTables>(
    'logistica',
    logisticaMigrations,
    (db) => (trx) => importLogisticaSeed(trx, db.engine, dataset, Math.random),
  );
  const catalogoDb = await open<CatalogoTables>(
    'catalogo',
    catalogoMigrations,
    (db) => (trx) => importCatalogoSeed(trx, db.engine, dataset),
  );
  const pedidosDb = await open<PedidosTables>(
    'pedidos',
    pedidosMigrations,
    (db) => (trx) => importPedidosSeed(trx, db.engine, dataset),
  );

  // Each service first listens on ports the OS picks (no window in which another test process
  // could take a port found free); a restarted service listens on the same ports again.
  const ports = {} as Record<CheckoutService, { http: number; grpc: number }>;
  const urls = {} as Record<CheckoutService, { http: string; grpc: string }>;
  const running = new Map<CheckoutService, ListeningApp>();
  const builders = {} as Record<CheckoutService, () => Promise<CheckoutApp>>;
  async function start(service: CheckoutService): Promise<void> {
    if (running.has(service)) return;
    const app = await builders[service]();
    const known = ports[service] as { http: number; grpc: number } | undefined;
    const listening = await listenCheckoutApp(
      app,
      known === undefined ? {} : { httpPort: known.http, grpcPort: known.grpc },
    );
    running.set(service, listening);
    ports[service] = {
      http: Number(new URL(listening.httpUrl).port),
      grpc: Number(listening.grpcAddress.split(':').pop()),
    };
    urls[service] = { http: listening.httpUrl, grpc: listening.grpcAddress };
  }
  async function stop(service: CheckoutService): Promise<void> {
    const listening = running.get(service);
    running.delete(service);
    await listening?.close();
  }
  cleanup.push(async () => {
    for (const service of [...running.keys()]) await stop(service);
  });

  builders.estoque = () => buildEstoque({ database: estoqueDb, logger });
  builders.pagamentos = () =>
    buildPagamentos({
      database: pagamentosDb,
      logger,
      simulator: options.simulator ?? { minMs: 0, maxMs: 0, rejectionProbability: 0 },
      seed: 1,
    });
  builders.fiscal = () => buildFiscal({ database: fiscalDb, logger, seed: 1 });
  builders.logistica = () => buildLogistica({ database: logisticaDb, logger, seed: 1 });
  for (const service of ['estoque', 'pagamentos', 'fiscal', 'logistica'] as const) await start(service);

  const neighbours = createClients(options.transport, {
    pagamentos: urls.pagamentos,
    estoque: urls.estoque,
    fiscal: urls.fiscal,
    logistica: urls.logistica,
  });
  cleanup.push(() => closeClients(neighbours));
  builders.catalogo = () => buildCatalogo({ database: catalogoDb, logger, estoque: neighbours.estoque });
  await start('catalogo');
  const { catalogo } = createClients(options.transport, { catalogo: urls.catalogo });
  cleanup.push(() => catalogo.close());

  let pedidosApp: PedidosApp | undefined;
  builders.pedidos = async () => {
    pedidosApp = await buildPedidos({
      database: pedidosDb,
      logger,
      neighbours: { ...neighbours, catalogo },
      ...(options.compensationReserveMs === undefined
        ? {}
        : { compensationReserveMs: options.compensationReserveMs }),
      maxBackoffMs: 0,
    });
    return pedidosApp;
  };
  await start('pedidos');
  const { pedidos } = createClients(options.transport, { pedidos: urls.pedidos });
  cleanup.push(() => pedidos.close());

  const dbs: CheckoutDatabases = {
    pedidos: pedidosDb.db as unknown as Kysely<unknown>,
    pagamentos: pagamentosDb.db as unknown as Kysely<unknown>,
    estoque: estoqueDb.db as unknown as Kysely<unknown>,
    fiscal: fiscalDb.db as unknown as Kysely<unknown>,
    logistica: logisticaDb.db as unknown as Kysely<unknown>,
    catalogo: catalogoDb.db as unknown as Kysely<unknown>,
  };

  return {
    transport: options.transport,
    pedidos,
    get pedidosApp() {
      if (pedidosApp === undefined) throw new Error('pedidos is not running');
      return pedidosApp;
    },
    urls,
    dbs,
    dataset,
    stop,
    start,
    close: closeAll,
  };
}
