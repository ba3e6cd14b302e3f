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
  runtimeSettingsOf,
  seedSettingsOf,
} from './config.js';
import { runDeployable } from './deployable.js';
import { startEmbedded } from './embedded.js';

const SERVICE = 'checkout';

const { config, notes } = loadConfigOrExit(embeddedConfigSchema, SERVICE, embeddedConfigOptions);
await runDeployable(SERVICE, config, notes, async ({ loggers, logger, onStop }) => {
  logger.info(
    `Checkout assíncrono embutido: um processo, barramento em memória, SQLite em ${config.DATA_DIR}`,
  );
  logger.info(describeSteps(config));
  const checkout = await startEmbedded({
    ...runtimeSettingsOf(config),
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
    auth: {
      jwtSecret: config.CHECKOUT_JWT_SECRET,
      tokenTtlSeconds: config.TOKEN_TTL_SECONDS,
      senhaPadrao: config.CHECKOUT_SENHA_PADRAO,
    },
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
  });
  onStop(() => checkout.close());
  logger.info(
    `Checkout pronto: pedidos em ${checkout.pedidos.httpUrl} (gRPC ${checkout.pedidos.grpcAddress}), ` +
      `catalogo em ${checkout.catalogo.httpUrl} (gRPC ${checkout.catalogo.grpcAddress})`,
  );
});
