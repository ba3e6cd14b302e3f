import { importOnce, openServiceDatabase, readSeedData, runCheckoutService } from '@dslab/checkout-kit';
import { loadConfigOrExit } from '@dslab/config';
import { createServiceLogger } from '@dslab/logging';
import { estoqueMigrations } from './adapters/migrations.js';
import type { EstoqueTables } from './adapters/schema.js';
import { importEstoqueSeed } from './adapters/seed-import.js';
import { buildApp, SERVICE } from './app.js';
import { estoqueConfigSchema } from './config.js';

const { config, notes } = loadConfigOrExit(estoqueConfigSchema, SERVICE);
const logger = createServiceLogger(SERVICE, config, notes);

try {
  const database = await openServiceDatabase<EstoqueTables>(
    {
      service: SERVICE,
      databaseUrl: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      dataDir: config.DATA_DIR,
    },
    estoqueMigrations,
  );
  logger.info(`Conexão com o banco de dados estabelecida (${database.engine}: ${database.location})`);
  try {
    if (config.SEED_IMPORT) {
      const dataset = readSeedData(config.ECOMMERCE_DB);
      const at = new Date().toISOString();
      const linhas = await importOnce(database.db, 'ecommerce.db', at, (trx) =>
        importEstoqueSeed(trx, database.engine, dataset, at),
      );
      if (linhas !== undefined)
        logger.info(`Dados iniciais importados de ${config.ECOMMERCE_DB}: ${linhas} linhas`);
    }
    const app = await buildApp({
      database,
      logger,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    });
    await runCheckoutService(app, {
      service: SERVICE,
      host: config.HOST,
      httpPort: config.HTTP_PORT,
      grpcPort: config.GRPC_PORT,
      logger,
      onShutdown: () => database.close(),
    });
  } catch (error) {
    await database.close();
    throw error;
  }
} catch (error) {
  logger.error(`Falha ao iniciar ${SERVICE}: ${error instanceof Error ? error.message : String(error)}`);
  logger.close();
  process.exit(1);
}
