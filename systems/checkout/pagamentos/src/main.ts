import { importOnce, openServiceDatabase, readSeedData, runCheckoutService } from '@dslab/checkout-kit';
import { loadConfigOrExit } from '@dslab/config';
import { createServiceLogger } from '@dslab/logging';
import { pagamentosMigrations } from './adapters/migrations.js';
import type { PagamentosTables } from './adapters/schema.js';
import { importPagamentosSeed } from './adapters/seed-import.js';
import { buildApp, SERVICE } from './app.js';
import { checkPagamentosConfig, pagamentosConfigSchema, simulatorFromConfig } from './config.js';

const { config, notes } = loadConfigOrExit(pagamentosConfigSchema, SERVICE, { check: checkPagamentosConfig });
const logger = createServiceLogger(SERVICE, config, notes);

try {
  const database = await openServiceDatabase<PagamentosTables>(
    {
      service: SERVICE,
      databaseUrl: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      dataDir: config.DATA_DIR,
    },
    pagamentosMigrations,
  );
  logger.info(`Conexão com o banco de dados estabelecida (${database.engine}: ${database.location})`);
  if (config.SEED_IMPORT) {
    const dataset = readSeedData(config.ECOMMERCE_DB);
    const at = new Date().toISOString();
    const linhas = await importOnce(database.db, 'ecommerce.db', at, (trx) =>
      importPagamentosSeed(trx, database.engine, dataset, at),
    );
    if (linhas !== undefined)
      logger.info(`Dados iniciais importados de ${config.ECOMMERCE_DB}: ${linhas} linhas`);
  }
  const simulator = simulatorFromConfig(config);
  logger.info(
    `Simulador de pagamentos: ${simulator.minMs}–${simulator.maxMs} ms, taxa de rejeição ${simulator.rejectionProbability}` +
      (config.PAGAMENTO_SEED === undefined ? '' : `, semente ${config.PAGAMENTO_SEED}`),
  );
  const app = await buildApp({
    database,
    logger,
    simulator,
    seed: config.PAGAMENTO_SEED,
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
  logger.error(`Falha ao iniciar ${SERVICE}: ${error instanceof Error ? error.message : String(error)}`);
  logger.close();
  process.exit(1);
}
