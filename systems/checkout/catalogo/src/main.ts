import { createGrpcEstoqueClient, createRestEstoqueClient } from '@dslab/checkout-clients';
import {
  importOnce,
  neighbourAddress,
  openServiceDatabase,
  readSeedData,
  runCheckoutService,
} from '@dslab/checkout-kit';
import { loadConfigOrExit } from '@dslab/config';
import { createServiceLogger } from '@dslab/logging';
import { catalogoMigrations } from './adapters/migrations.js';
import type { CatalogoTables } from './adapters/schema.js';
import { importCatalogoSeed } from './adapters/seed-import.js';
import { buildApp, SERVICE } from './app.js';
import { catalogoConfigSchema } from './config.js';

const { config, notes } = loadConfigOrExit(catalogoConfigSchema, SERVICE);
const logger = createServiceLogger(SERVICE, config, notes);

try {
  const database = await openServiceDatabase<CatalogoTables>(
    {
      service: SERVICE,
      databaseUrl: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      dataDir: config.DATA_DIR,
    },
    catalogoMigrations,
  );
  logger.info(`Conexão com o banco de dados estabelecida (${database.engine}: ${database.location})`);
  try {
    if (config.SEED_IMPORT) {
      const dataset = readSeedData(config.ECOMMERCE_DB);
      const linhas = await importOnce(database.db, 'ecommerce.db', new Date().toISOString(), (trx) =>
        importCatalogoSeed(trx, database.engine, dataset),
      );
      if (linhas !== undefined)
        logger.info(`Dados iniciais importados de ${config.ECOMMERCE_DB}: ${linhas} linhas`);
    }
    const address = neighbourAddress(config, 'estoque');
    const estoque =
      config.TRANSPORT === 'grpc'
        ? createGrpcEstoqueClient(address.grpc)
        : createRestEstoqueClient(address.http);
    logger.info(
      `Estoque via ${config.TRANSPORT} em ${config.TRANSPORT === 'grpc' ? address.grpc : address.http}`,
    );
    try {
      const app = await buildApp({
        database,
        estoque,
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
        onShutdown: async () => {
          await estoque.close();
          await database.close();
        },
      });
    } catch (error) {
      await estoque.close();
      throw error;
    }
  } catch (error) {
    await database.close();
    throw error;
  }
} catch (error) {
  logger.error(`Falha ao iniciar ${SERVICE}: ${error instanceof Error ? error.message : String(error)}`);
  logger.close();
  process.exit(1);
}
