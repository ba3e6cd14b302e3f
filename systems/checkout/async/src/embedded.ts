/**
 * The asynchronous checkout's embedded mode: ONE process, no broker, no PostgreSQL. The
 * in-process bus (the same port as RabbitMQ's adapter: durable-in-memory work queues, retries,
 * dead letters) carries the commands and events; every service keeps its own SQLite file in the
 * data dir. catalogo listens as usual (its live stock read from estoque's application layer in
 * process), the pedidos async API listens (JWT login, 202 + Location), and every worker plus the
 * orchestrator consume in the background.
 *
 * What it does not give: scale-out and surviving a crash of the process with messages in the
 * in-process queues (they live in memory; the outbox rows that were not yet published survive and
 * go out at the next start, and an order whose message was lost in memory stays where it was).
 * The RabbitMQ deployment (worker-main.ts) is the one the guarantees are proven on.
 */
import { buildApp as buildCatalogo, type CatalogoApp } from '@dslab/checkout-catalogo';
import { ASYNC_SERVICES, type AsyncService } from '@dslab/checkout-contracts/messages';
import { listenCheckoutApp, type ListeningApp } from '@dslab/checkout-kit';
import { buildAsyncApp } from '@dslab/checkout-pedidos';
import type { Logger } from '@dslab/logging';
import { createInProcessBus, type MessageBus } from '@dslab/messaging';
import {
  openServiceDatabases,
  type OpenedDatabases,
  type SeedSettings,
  type ServiceDatabases,
} from './databases.js';
import { createAsyncRuntime, type AsyncRuntime, type StepSettings } from './runtime.js';

export interface EmbeddedOptions {
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
  readonly queuePrefix?: string;
  readonly prefetch?: number;
  readonly maxAttempts?: number;
  readonly stepTimeoutMs?: number;
  readonly steps?: StepSettings;
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
  const logger = options.loggerOf('checkout');
  const bus = createInProcessBus({ logger });
  const releases: (() => Promise<void>)[] = [async () => bus.close()];
  const releaseAll = async () => {
    for (const release of releases.splice(0).reverse()) await release().catch(() => undefined);
  };
  try {
    const opened: OpenedDatabases = await openServiceDatabases([...ASYNC_SERVICES, 'catalogo'], {
      storage: { dataDir: options.dataDir },
      seed: options.seed,
      logger,
    });
    releases.push(() => opened.close());
    const { databases } = opened;
    const runtime = await createAsyncRuntime({
      services: ASYNC_SERVICES,
      databases,
      bus,
      loggerOf: (service: AsyncService) => options.loggerOf(service),
      ...(options.queuePrefix === undefined ? {} : { queuePrefix: options.queuePrefix }),
      ...(options.prefetch === undefined ? {} : { prefetch: options.prefetch }),
      ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
      ...(options.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: options.stepTimeoutMs }),
      ...(options.steps === undefined ? {} : { steps: options.steps }),
    });
    releases.push(() => runtime.stop());
    const estoque = runtime.estoque;
    const catalogoDb = databases.catalogo;
    const pedidosDb = databases.pedidos;
    const relay = runtime.relays.pedidos;
    if (estoque === undefined || catalogoDb === undefined || pedidosDb === undefined || relay === undefined)
      throw new Error('the embedded checkout needs every service');
    const host = options.host ?? '127.0.0.1';
    const timeout =
      options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs };

    const catalogoApp: CatalogoApp = await buildCatalogo({
      database: catalogoDb,
      logger: options.loggerOf('catalogo'),
      estoque,
      ...timeout,
    });
    const catalogo: ListeningApp = await listenCheckoutApp(catalogoApp, {
      host,
      httpPort: options.ports?.catalogoHttp ?? 0,
      grpcPort: options.ports?.catalogoGrpc ?? 0,
    }).catch(async (error: unknown) => {
      await catalogoApp.close();
      throw error;
    });
    releases.push(() => catalogo.close());

    const pedidosApp = await buildAsyncApp({
      database: pedidosDb,
      logger: options.loggerOf('pedidos'),
      catalogo: catalogoApp.service,
      relay,
      ...(options.queuePrefix === undefined ? {} : { queuePrefix: options.queuePrefix }),
      auth: options.auth,
      ...timeout,
    });
    const pedidos: ListeningApp = await listenCheckoutApp(pedidosApp, {
      host,
      httpPort: options.ports?.pedidosHttp ?? 0,
      grpcPort: options.ports?.pedidosGrpc ?? 0,
    }).catch(async (error: unknown) => {
      await pedidosApp.close();
      throw error;
    });
    releases.push(() => pedidos.close());

    await runtime.start();
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
