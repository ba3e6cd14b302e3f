import { closeClients, createClients } from '@dslab/checkout-clients';
import {
  importOnce,
  neighbourAddress,
  openServiceDatabase,
  readSeedData,
  runCheckoutService,
} from '@dslab/checkout-kit';
import { loadConfigOrExit } from '@dslab/config';
import { createServiceLogger } from '@dslab/logging';
import { pedidosMigrations } from './adapters/migrations.js';
import type { PedidosTables } from './adapters/schema.js';
import { importPedidosSeed } from './adapters/seed-import.js';
import { buildApp, SERVICE } from './app.js';
import { pedidosConfigSchema } from './config.js';

const { config, notes } = loadConfigOrExit(pedidosConfigSchema, SERVICE);
const logger = createServiceLogger(SERVICE, config, notes);

try {
  const database = await openServiceDatabase<PedidosTables>(
    {
      service: SERVICE,
      databaseUrl: config.DATABASE_URL,
      schema: config.DATABASE_SCHEMA,
      dataDir: config.DATA_DIR,
    },
    pedidosMigrations,
  );
  logger.info(`Conexão com o banco de dados estabelecida (${database.engine}: ${database.location})`);
  if (config.SEED_IMPORT) {
    const dataset = readSeedData(config.ECOMMERCE_DB);
    const linhas = await importOnce(database.db, 'ecommerce.db', new Date().toISOString(), (trx) =>
      importPedidosSeed(trx, database.engine, dataset),
    );
    if (linhas !== undefined)
      logger.info(`Dados iniciais importados de ${config.ECOMMERCE_DB}: ${linhas} linhas`);
  }

  const address = (name: Parameters<typeof neighbourAddress>[1]) => neighbourAddress(config, name);
  const neighbours = createClients(config.TRANSPORT, {
    catalogo: address('catalogo'),
    pagamentos: address('pagamentos'),
    estoque: address('estoque'),
    fiscal: address('fiscal'),
    logistica: address('logistica'),
  });
  logger.info(`Serviços vizinhos via ${config.TRANSPORT}`);

  const app = await buildApp({
    database,
    neighbours,
    logger,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    compensationReserveMs: config.COMPENSATION_RESERVE_MS,
    recoveryIntervalMs: config.RECOVERY_INTERVAL_MS,
    recoveryBudgetMs: config.RECOVERY_BUDGET_MS,
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
      await closeClients(neighbours);
      await database.close();
    },
  });
} catch (error) {
  logger.error(`Falha ao iniciar ${SERVICE}: ${error instanceof Error ? error.message : String(error)}`);
  logger.close();
  process.exit(1);
}
