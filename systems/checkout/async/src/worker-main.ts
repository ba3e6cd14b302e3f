/**
 * checkout-worker: the asynchronous checkout's worker deployable. Config → RabbitMQ → the
 * services' databases (migrated, seed imported once) → step services, relays, command workers
 * and the orchestrator (WORKER_SERVICES, default all five) → GET /health and /metrics on
 * HEALTH_PORT. Start N of them (npm run checkout -- --transport async --workers N, or
 * docker compose up --scale checkout-worker=N): they compete for the same queues.
 *
 * SIGTERM/SIGINT: stop taking messages, let the ones in flight commit and be acknowledged,
 * publish what the outboxes hold, close the databases and the broker, exit 0. SIGKILL loses
 * nothing either: a message is acknowledged only after its effect and answer committed, so an
 * unacknowledged one is delivered again (to another worker), and the answer is skipped or
 * recomputed idempotently (exactly once in effect).
 *
 * A process that runs pedidos also sweeps for stalled orders (SWEEP_INTERVAL_MS, STALL_AFTER_MS,
 * MAX_REDRIVES): the command an order waits for is sent again when its message was lost; several
 * processes sweep at once without sending one command twice (FOR UPDATE SKIP LOCKED).
 */
import { hostname } from 'node:os';
import { loadConfigOrExit } from '@dslab/config';
import { redactPassword } from '@dslab/launcher';
import { createAmqpBus } from '@dslab/messaging';
import {
  describeSteps,
  runtimeSettingsOf,
  seedSettingsOf,
  workerConfigOptions,
  workerConfigSchema,
} from './config.js';
import { openServiceDatabases } from './databases.js';
import { runDeployable } from './deployable.js';
import { startHealthServer } from './health-server.js';
import { createAsyncRuntime } from './runtime.js';

const SERVICE = 'checkout-worker';

const { config, notes } = loadConfigOrExit(workerConfigSchema, SERVICE, workerConfigOptions);
await runDeployable(SERVICE, config, notes, async ({ loggers, logger, onStop }) => {
  const storage =
    config.DATABASE_URL === undefined
      ? `SQLite em ${config.DATA_DIR}`
      : `PostgreSQL ${redactPassword(config.DATABASE_URL)}, schemas ${config.DATABASE_SCHEMA_PREFIX}<serviço>`;
  logger.info(
    `Iniciando ${SERVICE} (${config.WORKER_SERVICES.join(', ')}); filas ${config.QUEUE_PREFIX}.*; ${storage}`,
  );
  const bus = await createAmqpBus({
    url: config.AMQP_URL,
    connectionName: `${SERVICE}@${hostname()}:${process.pid}`,
    logger,
  });
  onStop(() => bus.close());
  logger.info(`Conectado ao RabbitMQ em ${redactPassword(config.AMQP_URL)}`);
  const opened = await openServiceDatabases(config.WORKER_SERVICES, {
    storage: {
      databaseUrl: config.DATABASE_URL,
      schemaPrefix: config.DATABASE_SCHEMA_PREFIX,
      dataDir: config.DATA_DIR,
      poolSize: config.DATABASE_POOL_SIZE,
    },
    seed: seedSettingsOf(config),
    logger,
  });
  onStop(() => opened.close());
  if (config.WORKER_SERVICES.includes('pagamentos')) logger.info(describeSteps(config));
  const runtime = await createAsyncRuntime({
    ...runtimeSettingsOf(config),
    services: config.WORKER_SERVICES,
    databases: opened.databases,
    bus,
    loggerOf: (service) => loggers.of(service),
  });
  onStop(() => runtime.stop());
  await runtime.start();
  const server = await startHealthServer({
    host: config.HOST,
    port: config.HEALTH_PORT,
    service: SERVICE,
    runtime,
    bus,
    queuePrefix: config.QUEUE_PREFIX,
  });
  onStop(() => server.close());
  logger.info(`${SERVICE} pronto: /health e /metrics na porta ${server.port}`);
});
