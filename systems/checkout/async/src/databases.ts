/**
 * The checkout services' databases as the asynchronous deployables open them: each service's own
 * (the SQLite file DATA_DIR/<service>.db, or the PostgreSQL schema <prefix><service>), with the
 * kit's common migrations (operacoes, importacoes, outbox, mensagens_processadas) and the
 * service's own, and the seed's ecommerce.db imported once — what kit/src/service-main.ts does
 * for one service, here for several in one process.
 */
import { catalogoMigrations, importCatalogoSeed, type CatalogoTables } from '@dslab/checkout-catalogo';
import type { Dataset } from '@dslab/checkout-datagen';
import { estoqueMigrations, importEstoqueSeed, type EstoqueTables } from '@dslab/checkout-estoque';
import { fiscalMigrations, importFiscalSeed, type FiscalTables } from '@dslab/checkout-fiscal';
import {
  importOnce,
  openServiceDatabase,
  readSeedData,
  type CheckoutService,
  type CommonTables,
} from '@dslab/checkout-kit';
import { importLogisticaSeed, logisticaMigrations, type LogisticaTables } from '@dslab/checkout-logistica';
import {
  importPagamentosSeed,
  pagamentosMigrations,
  type PagamentosTables,
} from '@dslab/checkout-pagamentos';
import { importPedidosSeed, pedidosMigrations, type PedidosTables } from '@dslab/checkout-pedidos';
import { sql, type Database, type Engine } from '@dslab/db';
import type { Logger } from '@dslab/logging';
import type { Migration, Transaction } from 'kysely';

/** Each service's tables. */
export interface ServiceTables {
  pedidos: PedidosTables;
  pagamentos: PagamentosTables;
  estoque: EstoqueTables;
  fiscal: FiscalTables;
  logistica: LogisticaTables;
  catalogo: CatalogoTables;
}

/** The opened databases, by service (only those asked for). */
export type ServiceDatabases = { readonly [S in CheckoutService]?: Database<ServiceTables[S]> };

export interface StorageSettings {
  /** PostgreSQL; absent: SQLite files `<dataDir>/<service>.db`. */
  readonly databaseUrl?: string | undefined;
  /** PostgreSQL schema of a service: `<schemaPrefix><service>` (default `checkout_`). */
  readonly schemaPrefix?: string | undefined;
  readonly dataDir: string;
  /** PostgreSQL connections per database. */
  readonly poolSize?: number | undefined;
}

export interface SeedSettings {
  /** The seed's ecommerce.db; read only when a database has not imported it yet. */
  readonly file: string;
  /** The série the imported invoices are numbered on (fiscal). */
  readonly fiscalSerie: number;
  /** Draws the imported dispatches' tracking codes (logistica). */
  readonly random: () => number;
}

interface ServiceSpec<DB extends CommonTables> {
  readonly migrations: (engine: Engine) => Record<string, Migration>;
  readonly importSeed: (
    trx: Transaction<DB>,
    engine: Engine,
    dataset: Dataset,
    seed: SeedSettings,
    at: string,
  ) => Promise<number>;
}

const SPECS: { readonly [S in CheckoutService]: ServiceSpec<ServiceTables[S]> } = {
  pedidos: {
    migrations: pedidosMigrations,
    importSeed: (trx, engine, data) => importPedidosSeed(trx, engine, data),
  },
  pagamentos: {
    migrations: pagamentosMigrations,
    importSeed: (trx, engine, data, _seed, at) => importPagamentosSeed(trx, engine, data, at),
  },
  estoque: {
    migrations: estoqueMigrations,
    importSeed: (trx, engine, data, _seed, at) => importEstoqueSeed(trx, engine, data, at),
  },
  fiscal: {
    migrations: fiscalMigrations,
    importSeed: (trx, engine, data, seed) => importFiscalSeed(trx, engine, data, seed.fiscalSerie),
  },
  logistica: {
    migrations: logisticaMigrations,
    importSeed: (trx, engine, data, seed) => importLogisticaSeed(trx, engine, data, seed.random),
  },
  catalogo: {
    migrations: catalogoMigrations,
    importSeed: (trx, engine, data) => importCatalogoSeed(trx, engine, data),
  },
};

/** The schema of `service` under `prefix` (PostgreSQL). */
export function schemaOf(service: CheckoutService, prefix = 'checkout_'): string {
  return `${prefix}${service}`;
}

/**
 * Several processes starting at once (docker compose up --scale) race to create the same schema
 * and migrate it; the losers see a unique violation or a lock timeout. A few more tries settle it.
 */
const OPEN_ATTEMPTS = 5;

async function openOne<S extends CheckoutService>(
  service: S,
  storage: StorageSettings,
  seed: SeedSettings | undefined,
  dataset: () => Dataset,
  logger: Logger,
): Promise<Database<ServiceTables[S]>> {
  const spec = SPECS[service] as unknown as ServiceSpec<ServiceTables[S]>;
  let database: Database<ServiceTables[S]> | undefined;
  for (let attempt = 1; database === undefined; attempt++) {
    try {
      database = await openServiceDatabase<ServiceTables[S]>(
        {
          service,
          dataDir: storage.dataDir,
          databaseUrl: storage.databaseUrl,
          schema: storage.databaseUrl === undefined ? undefined : schemaOf(service, storage.schemaPrefix),
          poolSize: storage.poolSize,
        },
        spec.migrations,
      );
    } catch (error) {
      if (attempt >= OPEN_ATTEMPTS) throw error;
      logger.warn(
        `Banco de dados de ${service} indisponível (${error instanceof Error ? error.message : String(error)}); nova tentativa`,
      );
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
  try {
    if (seed !== undefined) {
      const at = new Date().toISOString();
      const linhas = await importOnce(database.db, 'ecommerce.db', at, (trx) =>
        spec.importSeed(trx, database.engine, dataset(), seed, at),
      );
      if (linhas !== undefined)
        logger.info(`Dados iniciais de ${service} importados de ${seed.file}: ${linhas} linhas`);
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  logger.info(`Banco de dados de ${service}: ${database.engine} ${database.location}`);
  return database;
}

export interface OpenedDatabases {
  readonly databases: ServiceDatabases;
  /** Closes every database (each once). */
  close(): Promise<void>;
}

/**
 * Opens the databases of `services`, migrated, with the seed imported into each empty one when
 * `seed` is given. A failure closes what was opened and rejects.
 */
export async function openServiceDatabases(
  services: readonly CheckoutService[],
  options: {
    readonly storage: StorageSettings;
    readonly seed?: SeedSettings | undefined;
    readonly logger: Logger;
  },
): Promise<OpenedDatabases> {
  let dataset: Dataset | undefined;
  const readDataset = (): Dataset => {
    if (options.seed === undefined) throw new Error('no seed file');
    dataset ??= readSeedData(options.seed.file);
    return dataset;
  };
  const opened = new Map<CheckoutService, Database<unknown>>();
  const close = async () => {
    const all = [...opened.values()];
    opened.clear();
    await Promise.all(all.map((database) => database.close().catch(() => undefined)));
  };
  try {
    for (const service of services) {
      opened.set(
        service,
        (await openOne(
          service,
          options.storage,
          options.seed,
          readDataset,
          options.logger,
        )) as Database<unknown>,
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { databases: Object.fromEntries(opened), close };
}

/** 'ok' when the database answers a trivial query within `timeoutMs`, else the reason. */
export async function probeDatabase(database: Database<unknown>, timeoutMs = 2000): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      sql`SELECT 1`.execute(database.db).then(() => 'ok'),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
      }),
    ]);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
