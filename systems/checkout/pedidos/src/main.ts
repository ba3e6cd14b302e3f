import { closeClients, createClients, createRestCatalogoClient } from '@dslab/checkout-clients';
import {
  neighbourAddress,
  runCheckoutMain,
  type CheckoutApp,
  type CheckoutBuildDeps,
  type ReleaseOnShutdown,
} from '@dslab/checkout-kit';
import { loadConfigOrExit } from '@dslab/config';
import { createAmqpBus } from '@dslab/messaging';
import { createOutboxRelay } from '@dslab/outbox';
import { pedidosMigrations } from './adapters/migrations.js';
import type { PedidosTables } from './adapters/schema.js';
import { importPedidosSeed } from './adapters/seed-import.js';
import { buildApp, SERVICE } from './app.js';
import { buildAsyncApp } from './app-async.js';
import { notesFor, pedidosConfigOptions, pedidosConfigSchema, type PedidosConfig } from './config.js';

const { config, notes } = loadConfigOrExit(pedidosConfigSchema, SERVICE, pedidosConfigOptions);

await runCheckoutMain({
  service: SERVICE,
  config,
  notes: notesFor(config.TRANSPORT, notes),
  migrations: pedidosMigrations,
  importSeed: importPedidosSeed,
  build: (deps, onShutdown) =>
    config.TRANSPORT === 'async'
      ? buildAsync(config, deps, onShutdown)
      : buildSync(config, config.TRANSPORT, deps, onShutdown),
});

/** Seed 003: pedidos calls its five neighbours in turn while the client waits. */
function buildSync(
  settings: PedidosConfig,
  transport: 'grpc' | 'rest',
  deps: CheckoutBuildDeps<PedidosTables>,
  onShutdown: ReleaseOnShutdown,
): Promise<CheckoutApp> {
  const address = (name: Parameters<typeof neighbourAddress>[1]) => neighbourAddress(settings, name);
  const neighbours = createClients(transport, {
    catalogo: address('catalogo'),
    pagamentos: address('pagamentos'),
    estoque: address('estoque'),
    fiscal: address('fiscal'),
    logistica: address('logistica'),
  });
  onShutdown(() => closeClients(neighbours));
  deps.logger.info(`Serviços vizinhos via ${transport}`);
  return buildApp({
    ...deps,
    neighbours,
    compensationReserveMs: settings.COMPENSATION_RESERVE_MS,
    recoveryIntervalMs: settings.RECOVERY_INTERVAL_MS,
    recoveryBudgetMs: settings.RECOVERY_BUDGET_MS,
  });
}

/**
 * Seed 004: POST /pedidos commits the order with its PEDIDO_CRIADO in the outbox and answers 202;
 * the relay publishes it to RabbitMQ and the workers (systems/checkout/async) run the steps.
 * Released at shutdown, newest first: the relay (after one last pass), then the bus.
 */
async function buildAsync(
  settings: PedidosConfig,
  deps: CheckoutBuildDeps<PedidosTables>,
  onShutdown: ReleaseOnShutdown,
): Promise<CheckoutApp> {
  const { logger } = deps;
  const amqpUrl = settings.AMQP_URL ?? '';
  const bus = await createAmqpBus({ url: amqpUrl, connectionName: 'pedidos', logger });
  onShutdown(() => bus.close());
  logger.info(`Conectado ao RabbitMQ em ${withoutPassword(amqpUrl)} (filas ${settings.QUEUE_PREFIX}.*)`);
  const relay = createOutboxRelay({ database: deps.database, bus, logger, name: SERVICE });
  relay.start();
  onShutdown(async () => {
    await relay.drainOnce().catch(() => 0);
    await relay.stop();
  });
  const catalogoUrl = neighbourAddress(settings, 'catalogo').http;
  const catalogo = createRestCatalogoClient(catalogoUrl);
  onShutdown(() => catalogo.close());
  logger.info(`Modo assíncrono: preços do catalogo via rest em ${catalogoUrl}`);
  return buildAsyncApp({
    ...deps,
    catalogo,
    relay,
    queuePrefix: settings.QUEUE_PREFIX,
    auth: {
      jwtSecret: settings.CHECKOUT_JWT_SECRET,
      tokenTtlSeconds: settings.TOKEN_TTL_SECONDS,
      senhaPadrao: settings.CHECKOUT_SENHA_PADRAO,
    },
  });
}

/** amqp://user:secret@host → amqp://user:***@host (the log never shows the password). */
function withoutPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}
