import { importOnce, openServiceDatabase, readSeedData, runCheckoutService } from '@dslab/checkout-kit';
import { loadConfigOrExit } from '@dslab/config';
import { createServiceLogger } from '@dslab/logging';
import { logisticaMigrations } from './adapters/migrations.js';
import type { LogisticaTables } from './adapters/schema.js';
import { importLogisticaSeed } from './adapters/seed-import.js';
import { buildApp, osRandom, SERVICE } from './app.js';
import { logisticaConfigSchema } from './config.js';
import { seededRandomSource } from './domain/random.js';

const { config, notes } = loadConfigOrExit(logisticaConfigSchema, SERVICE);
const logger = createServiceLogger(SERVICE, config, notes);

try {
  const database = await openServiceDatabase<LogisticaTables>(
    {
      service: SERVICE,
      databaseUrl: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      dataDir: config.DATA_DIR,
    },
    logisticaMigrations,
  );
  logger.info(`Conexão com o banco de dados estabelecida (${database.engine}: ${database.location})`);
  try {
    const random = config.LOGISTICA_SEED === undefined ? osRandom : seededRandomSource(config.LOGISTICA_SEED);
    if (config.SEED_IMPORT) {
      const dataset = readSeedData(config.ECOMMERCE_DB);
      const linhas = await importOnce(database.db, 'ecommerce.db', new Date().toISOString(), (trx) =>
        importLogisticaSeed(trx, database.engine, dataset, random),
      );
      if (linhas !== undefined)
        logger.info(`Dados iniciais importados de ${config.ECOMMERCE_DB}: ${linhas} linhas`);
    }
    const app = await buildApp({
      database,
      logger,
      random,
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
