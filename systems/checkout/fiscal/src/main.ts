import { importOnce, openServiceDatabase, readSeedData, runCheckoutService } from '@dslab/checkout-kit';
import { loadConfigOrExit } from '@dslab/config';
import { createServiceLogger } from '@dslab/logging';
import { fiscalMigrations } from './adapters/migrations.js';
import type { FiscalTables } from './adapters/schema.js';
import { importFiscalSeed } from './adapters/seed-import.js';
import { buildApp, SERVICE } from './app.js';
import { fiscalConfigSchema } from './config.js';
import { formatCnpj } from './domain/cnpj.js';

const { config, notes } = loadConfigOrExit(fiscalConfigSchema, SERVICE);
const logger = createServiceLogger(SERVICE, config, notes);

try {
  const database = await openServiceDatabase<FiscalTables>(
    {
      service: SERVICE,
      databaseUrl: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      dataDir: config.DATA_DIR,
    },
    fiscalMigrations,
  );
  logger.info(`Conexão com o banco de dados estabelecida (${database.engine}: ${database.location})`);
  try {
    if (config.SEED_IMPORT) {
      const dataset = readSeedData(config.ECOMMERCE_DB);
      const linhas = await importOnce(database.db, 'ecommerce.db', new Date().toISOString(), (trx) =>
        importFiscalSeed(trx, database.engine, dataset, config.FISCAL_SERIE),
      );
      if (linhas !== undefined)
        logger.info(`Dados iniciais importados de ${config.ECOMMERCE_DB}: ${linhas} linhas`);
    }
    logger.info(
      `Emitente: CNPJ ${formatCnpj(config.FISCAL_CNPJ)}, UF ${config.FISCAL_UF}, série ${config.FISCAL_SERIE}`,
    );
    const app = await buildApp({
      database,
      logger,
      seed: config.FISCAL_SEED,
      emitente: { cUF: config.FISCAL_UF, cnpj: config.FISCAL_CNPJ, serie: config.FISCAL_SERIE },
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
