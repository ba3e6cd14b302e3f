import type { Dataset } from '@dslab/checkout-datagen';
import type { Engine } from '@dslab/db';
import { createServiceLogger } from '@dslab/logging';
import type { Migration, Transaction } from 'kysely';
import { importOnce, openServiceDatabase, type CommonTables } from './database.js';
import type { CheckoutAppDeps } from './http-app.js';
import { runCheckoutService, type CheckoutApp } from './run.js';
import { readSeedData } from './seed.js';
import type { CheckoutService } from './services.js';
import type { CheckoutServiceConfig } from './settings.js';

/** What `build` gets: the opened database, the logger and the common limits from the settings. */
export type CheckoutBuildDeps<DB> = Required<Omit<CheckoutAppDeps<DB>, 'now'>>;

/**
 * Registers the release of something `build` opened (a neighbour's client): it runs at shutdown
 * once the app has closed and before the database closes, or at once if the start fails later.
 */
export type ReleaseOnShutdown = (release: () => Promise<void>) => void;

export interface CheckoutMainOptions<DB extends CommonTables> {
  readonly service: CheckoutService;
  /** The service's settings, already parsed by main.ts (loadConfigOrExit with its own schema and check). */
  readonly config: CheckoutServiceConfig;
  /** loadConfigOrExit's notes (development-only defaults in use), logged first. */
  readonly notes: readonly string[];
  /** The service's own migrations, applied after the kit's common one. */
  readonly migrations: (engine: Engine) => Record<string, Migration>;
  /**
   * Imports the service's part of the seed's ecommerce.db inside importOnce's transaction (so once
   * per database); `at` is the import's timestamp. Answers how many rows it wrote.
   */
  readonly importSeed: (
    trx: Transaction<DB>,
    engine: Engine,
    dataset: Dataset,
    at: string,
  ) => Promise<number>;
  /** The service's buildApp, with whatever it opens or logs first (clients to its neighbours). */
  readonly build: (deps: CheckoutBuildDeps<DB>, onShutdown: ReleaseOnShutdown) => Promise<CheckoutApp>;
}

/**
 * Every checkout service's main.ts after its configuration is parsed: the logger (with the
 * configuration notes), the service's own database with its migrations, the first-start import
 * of ecommerce.db when SEED_IMPORT is on, `build`, then both transports until SIGTERM/SIGINT
 * (runCheckoutService). At shutdown, what `build` registered is released and the database closed.
 * A failed start logs `Falha ao iniciar <service>: <reason>`, releases what was opened and exits 1.
 */
export async function runCheckoutMain<DB extends CommonTables>(
  options: CheckoutMainOptions<DB>,
): Promise<void> {
  const { service, config } = options;
  const logger = createServiceLogger(service, config, options.notes);
  try {
    const database = await openServiceDatabase<DB>(
      {
        service,
        databaseUrl: config.DATABASE_URL,
        schema: config.DATABASE_SCHEMA,
        dataDir: config.DATA_DIR,
      },
      options.migrations,
    );
    logger.info(`Conexão com o banco de dados estabelecida (${database.engine}: ${database.location})`);
    // Released newest first, then the database.
    const releases: (() => Promise<void>)[] = [];
    const releaseAll = async () => {
      for (const release of [...releases].reverse()) await release();
      await database.close();
    };
    try {
      if (config.SEED_IMPORT) {
        const at = new Date().toISOString();
        // The file is read only when this database has not imported it yet (importOnce's guard).
        const linhas = await importOnce(database.db, 'ecommerce.db', at, (trx) =>
          options.importSeed(trx, database.engine, readSeedData(config.ECOMMERCE_DB), at),
        );
        if (linhas !== undefined)
          logger.info(`Dados iniciais importados de ${config.ECOMMERCE_DB}: ${linhas} linhas`);
      }
      const app = await options.build(
        {
          database,
          logger,
          requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
          bodyLimitBytes: config.BODY_LIMIT_BYTES,
          rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
        },
        (release) => {
          releases.push(release);
        },
      );
      await runCheckoutService(app, {
        service,
        host: config.HOST,
        httpPort: config.HTTP_PORT,
        grpcPort: config.GRPC_PORT,
        logger,
        onShutdown: releaseAll,
      });
    } catch (error) {
      // The start's own error is the one to report, not a failure to close after it.
      await releaseAll().catch(() => undefined);
      throw error;
    }
  } catch (error) {
    logger.error(`Falha ao iniciar ${service}: ${error instanceof Error ? error.message : String(error)}`);
    logger.close();
    process.exit(1);
  }
}
