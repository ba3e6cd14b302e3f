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
import { createAmqpBus, type MessageBus } from '@dslab/messaging';
import {
  describeSteps,
  redriveSettingsOf,
  seedSettingsOf,
  stepSettingsOf,
  workerConfigOptions,
  workerConfigSchema,
} from './config.js';
import { openServiceDatabases, type OpenedDatabases } from './databases.js';
import { startHealthServer, type HealthServer } from './health-server.js';
import { serviceLoggers } from './loggers.js';
import { redactUrl } from './redact.js';
import { createAsyncRuntime, type AsyncRuntime } from './runtime.js';

const SERVICE = 'checkout-worker';
/** Longest graceful stop before giving up (in-flight steps, the relays' last pass, closing). */
const STOP_TIMEOUT_MS = 25_000;

const { config, notes } = loadConfigOrExit(workerConfigSchema, SERVICE, workerConfigOptions);
const loggers = serviceLoggers(config);
const logger = loggers.of(SERVICE);
for (const note of notes) logger.warn(note);

let bus: MessageBus | undefined;
let opened: OpenedDatabases | undefined;
let runtime: AsyncRuntime | undefined;
let server: HealthServer | undefined;

/** Releases what was started, newest first; each step bounded by its own failure. */
async function shutdown(): Promise<void> {
  await server?.close().catch(() => undefined);
  await runtime?.stop().catch((error: unknown) => {
    logger.error(`Falha ao parar os consumidores: ${String(error)}`);
  });
  await opened?.close().catch(() => undefined);
  await bus?.close().catch(() => undefined);
}

try {
  const storage =
    config.DATABASE_URL === undefined
      ? `SQLite em ${config.DATA_DIR}`
      : `PostgreSQL ${redactUrl(config.DATABASE_URL)}, schemas ${config.DATABASE_SCHEMA_PREFIX}<serviço>`;
  logger.info(
    `Iniciando ${SERVICE} (${config.WORKER_SERVICES.join(', ')}); filas ${config.QUEUE_PREFIX}.*; ${storage}`,
  );
  bus = await createAmqpBus({
    url: config.AMQP_URL,
    connectionName: `${SERVICE}@${hostname()}:${process.pid}`,
    logger,
  });
  logger.info(`Conectado ao RabbitMQ em ${redactUrl(config.AMQP_URL)}`);
  opened = await openServiceDatabases(config.WORKER_SERVICES, {
    storage: {
      databaseUrl: config.DATABASE_URL,
      schemaPrefix: config.DATABASE_SCHEMA_PREFIX,
      dataDir: config.DATA_DIR,
      poolSize: config.DATABASE_POOL_SIZE,
    },
    seed: seedSettingsOf(config),
    logger,
  });
  if (config.WORKER_SERVICES.includes('pagamentos')) logger.info(describeSteps(config));
  runtime = await createAsyncRuntime({
    services: config.WORKER_SERVICES,
    databases: opened.databases,
    bus,
    loggerOf: (service) => loggers.of(service),
    queuePrefix: config.QUEUE_PREFIX,
    prefetch: config.PREFETCH,
    maxAttempts: config.MAX_ATTEMPTS,
    stepTimeoutMs: config.STEP_TIMEOUT_MS,
    steps: stepSettingsOf(config),
    redrive: redriveSettingsOf(config),
  });
  await runtime.start();
  server = await startHealthServer({
    host: config.HOST,
    port: config.HEALTH_PORT,
    service: SERVICE,
    runtime,
    bus,
    queuePrefix: config.QUEUE_PREFIX,
  });
  logger.info(`${SERVICE} pronto: /health e /metrics na porta ${server.port}`);
} catch (error) {
  logger.error(`Falha ao iniciar ${SERVICE}: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown();
  loggers.closeAll();
  process.exit(1);
}

let stopping = false;
function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  logger.info(`Recebido ${signal}, encerrando`);
  const timer = setTimeout(() => {
    logger.error('Encerramento excedeu o tempo limite; saindo');
    process.exit(1);
  }, STOP_TIMEOUT_MS);
  timer.unref();
  shutdown()
    .then(() => {
      logger.info('Encerrado');
      loggers.closeAll();
      process.exit(0);
    })
    .catch((error: unknown) => {
      logger.error(`Falha no encerramento: ${String(error)}`);
      process.exit(1);
    });
}
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));
