/**
 * The asynchronous checkout's embedded mode: ONE process, no broker, no PostgreSQL. The
 * in-process bus (the same port as RabbitMQ's adapter: durable-in-memory work queues, retries,
 * dead letters) carries the commands and events; every service keeps its own SQLite file in the
 * data dir. catalogo listens as usual (its live stock read from estoque's application layer in
 * process), the pedidos async API listens (JWT login, 202 + Location), and every worker plus the
 * orchestrator consume in the background.
 *
 * What it does not give: scale-out, and keeping the messages of the in-process queues across a
 * crash (they live in memory). The outbox rows that were not yet published survive and go out at
 * the next start; an order whose message was lost in memory is recovered at the next start: once
 * the workers run, the orchestrator sends again the command every order that is not final waits
 * for (redriveStalled with `olderThanMs: 0`, before the API takes new orders), and the periodic
 * sweep does the same for any order stalled later (pedidos' application/redrive.ts). The steps
 * are idempotent per order and the answers deduplicated by the inbox, so a re-send of something
 * that did happen changes nothing.
 */
import { buildApp as buildCatalogo, type CatalogoApp } from '@dslab/checkout-catalogo';
import { ASYNC_SERVICES } from '@dslab/checkout-contracts/messages';
import { listenCheckoutApp, type CheckoutApp, type ListeningApp } from '@dslab/checkout-kit';
import { buildAsyncApp } from '@dslab/checkout-pedidos';
import type { Logger } from '@dslab/logging';
import { createInProcessBus, type MessageBus } from '@dslab/messaging';
import {
  openServiceDatabases,
  type OpenedDatabases,
  type SeedSettings,
  type ServiceDatabases,
} from './databases.js';
import { createAsyncRuntime, type AsyncRuntime, type AsyncRuntimeSettings } from './runtime.js';

/** The runtime's settings (queues, consumers, steps, the sweep) and the embedded process's own. */
export interface EmbeddedOptions extends AsyncRuntimeSettings {
  /** SQLite files `<dataDir>/<service>.db`. */
  readonly dataDir: string;
  /** Imported into each empty database on start; absent: no import. */
  readonly seed?: SeedSettings | undefined;
  readonly host?: string;
  /** 0 (the default for each): a free port. */
  readonly ports?: {
    readonly pedidosHttp?: number;
    readonly pedidosGrpc?: number;
    readonly catalogoHttp?: number;
    readonly catalogoGrpc?: number;
  };
  /** The logger of each service (and of 'checkout' for the process's own lines). */
  readonly loggerOf: (service: string) => Logger;
  readonly auth: {
    readonly jwtSecret: string;
    readonly tokenTtlSeconds: number;
    readonly senhaPadrao?: string;
  };
  readonly requestTimeoutMs?: number;
}

export interface EmbeddedCheckout {
  readonly pedidos: { readonly httpUrl: string; readonly grpcAddress: string };
  readonly catalogo: { readonly httpUrl: string; readonly grpcAddress: string };
  readonly databases: ServiceDatabases;
  readonly bus: MessageBus;
  readonly runtime: AsyncRuntime;
  /** Stops the APIs, then the consumers and relays, then closes the databases and the bus. */
  close(): Promise<void>;
}

export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedCheckout> {
  const {
    dataDir,
    seed,
    host = '127.0.0.1',
    ports = {},
    loggerOf,
    auth,
    requestTimeoutMs,
    ...settings
  } = options;
  const logger = loggerOf('checkout');
  const bus = createInProcessBus({ logger });
  const releases: (() => Promise<void>)[] = [async () => bus.close()];
  const releaseAll = async () => {
    for (const release of releases.splice(0).reverse()) await release().catch(() => undefined);
  };
  try {
    const opened: OpenedDatabases = await openServiceDatabases([...ASYNC_SERVICES, 'catalogo'], {
      storage: { dataDir },
      seed,
      logger,
    });
    releases.push(() => opened.close());
    const { databases } = opened;
    const runtime = await createAsyncRuntime({
      ...settings,
      services: ASYNC_SERVICES,
      databases,
      bus,
      loggerOf,
    });
    releases.push(() => runtime.stop());
    const estoque = runtime.estoque;
    const catalogoDb = databases.catalogo;
    const pedidosDb = databases.pedidos;
    const relay = runtime.relays.pedidos;
    if (estoque === undefined || catalogoDb === undefined || pedidosDb === undefined || relay === undefined)
      throw new Error('the embedded checkout needs every service');
    const timeout = requestTimeoutMs === undefined ? {} : { requestTimeoutMs };
    const listen = async (app: CheckoutApp, httpPort = 0, grpcPort = 0): Promise<ListeningApp> => {
      const listening = await listenCheckoutApp(app, { host, httpPort, grpcPort }).catch(
        async (error: unknown) => {
          await app.close();
          throw error;
        },
      );
      releases.push(() => listening.close());
      return listening;
    };

    const catalogoApp: CatalogoApp = await buildCatalogo({
      database: catalogoDb,
      logger: loggerOf('catalogo'),
      estoque,
      ...timeout,
    });
    const catalogo = await listen(catalogoApp, ports.catalogoHttp, ports.catalogoGrpc);

    // The consumers run before the API takes orders, and the orders the last process left
    // behind are driven on first: their messages in the in-memory queues died with it.
    await runtime.start();
    const recovered = await runtime.redriveStalled({ olderThanMs: 0 });
    if (recovered !== undefined && recovered.redriven + recovered.abandoned > 0)
      logger.warn(
        `Retomados ${recovered.redriven} pedido(s) em andamento no último encerramento ` +
          '(as mensagens em memória se perdem com o processo)',
      );

    const pedidosApp = await buildAsyncApp({
      database: pedidosDb,
      logger: loggerOf('pedidos'),
      catalogo: catalogoApp.service,
      relay,
      ...(settings.queuePrefix === undefined ? {} : { queuePrefix: settings.queuePrefix }),
      auth,
      ...timeout,
    });
    const pedidos = await listen(pedidosApp, ports.pedidosHttp, ports.pedidosGrpc);

    return {
      pedidos: { httpUrl: pedidos.httpUrl, grpcAddress: pedidos.grpcAddress },
      catalogo: { httpUrl: catalogo.httpUrl, grpcAddress: catalogo.grpcAddress },
      databases,
      bus,
      runtime,
      close: releaseAll,
    };
  } catch (error) {
    await releaseAll();
    throw error;
  }
}
