/**
 * The asynchronous checkout in one process (embedded.ts): what `npm run checkout -- --transport
 * async` runs when AMQP_URL is not set. Config → SQLite files in DATA_DIR (seed imported once) →
 * in-process bus → workers, orchestrator, catalogo and the pedidos async API on their ports.
 * SIGTERM/SIGINT: stop the APIs, then the consumers, then close everything; exit 0.
 */
import { loadConfigOrExit } from '@dslab/config';
import {
  describeSteps,
  embeddedConfigOptions,
  embeddedConfigSchema,
  redriveSettingsOf,
  seedSettingsOf,
  stepSettingsOf,
} from './config.js';
import { startEmbedded, type EmbeddedCheckout } from './embedded.js';
import { serviceLoggers } from './loggers.js';

const SERVICE = 'checkout';
const STOP_TIMEOUT_MS = 25_000;

const { config, notes } = loadConfigOrExit(embeddedConfigSchema, SERVICE, embeddedConfigOptions);
const loggers = serviceLoggers(config);
const logger = loggers.of(SERVICE);
for (const note of notes) logger.warn(note);

let checkout: EmbeddedCheckout;
try {
  logger.info(
    `Checkout assíncrono embutido: um processo, barramento em memória, SQLite em ${config.DATA_DIR}`,
  );
  logger.info(describeSteps(config));
  checkout = await startEmbedded({
    dataDir: config.DATA_DIR,
    seed: seedSettingsOf(config),
    host: config.HOST,
    ports: {
      pedidosHttp: config.HTTP_PORT,
      pedidosGrpc: config.GRPC_PORT,
      catalogoHttp: config.CATALOGO_HTTP_PORT,
      catalogoGrpc: config.CATALOGO_GRPC_PORT,
    },
    loggerOf: (service) => loggers.of(service),
    queuePrefix: config.QUEUE_PREFIX,
    prefetch: config.PREFETCH,
    maxAttempts: config.MAX_ATTEMPTS,
    stepTimeoutMs: config.STEP_TIMEOUT_MS,
    steps: stepSettingsOf(config),
    redrive: redriveSettingsOf(config),
    auth: {
      jwtSecret: config.CHECKOUT_JWT_SECRET,
      tokenTtlSeconds: config.TOKEN_TTL_SECONDS,
      senhaPadrao: config.CHECKOUT_SENHA_PADRAO,
    },
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
  });
} catch (error) {
  logger.error(`Falha ao iniciar o checkout: ${error instanceof Error ? error.message : String(error)}`);
  loggers.closeAll();
  process.exit(1);
}
logger.info(
  `Checkout pronto: pedidos em ${checkout.pedidos.httpUrl} (gRPC ${checkout.pedidos.grpcAddress}), ` +
    `catalogo em ${checkout.catalogo.httpUrl} (gRPC ${checkout.catalogo.grpcAddress})`,
);

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
  checkout
    .close()
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
