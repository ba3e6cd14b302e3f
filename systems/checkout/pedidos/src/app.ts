import { PedidosService as PedidosGrpcService } from '@dslab/checkout-contracts';
import { MAX_REQUEST_TIMEOUT_MS, type CheckoutApp } from '@dslab/checkout-kit';
import { sql, type Database } from '@dslab/db';
import { createHttpApp } from '@dslab/http-kit';
import type { Logger } from '@dslab/logging';
import type { PedidosTables } from './adapters/schema.js';
import { createPedidosStore } from './adapters/store.js';
import {
  createPedidosService,
  type Neighbours,
  type PedidosService,
  type PedidosServiceOptions,
} from './application/pedidos-service.js';
import { pedidosGrpcHandlers } from './entry-points/grpc.js';
import { registerPedidosRoutes } from './entry-points/http.js';

export const SERVICE = 'pedidos';

export interface PedidosDeps extends PedidosServiceOptions {
  readonly database: Database<PedidosTables>;
  readonly neighbours: Neighbours;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Budget of a request that names none. */
  readonly requestTimeoutMs?: number;
  /** Period of the loop that drives stalled orders on; 0 (the default here) leaves it to the caller. */
  readonly recoveryIntervalMs?: number;
  readonly bodyLimitBytes?: number;
  readonly rateLimitPerMinute?: number;
}

export type PedidosApp = CheckoutApp & { readonly service: PedidosService };

/** Wires pedidos from ready dependencies (database, neighbour ports). Never listens. */
export async function buildApp(deps: PedidosDeps): Promise<PedidosApp> {
  const { database, logger } = deps;
  const store = createPedidosStore(database.db);
  const service = createPedidosService({ ...deps, store });
  const http = await createHttpApp({
    service: SERVICE,
    logger,
    title: 'pedidos',
    description:
      'Checkout entry point: creates the order and drives pagamentos → estoque → fiscal → logística (seed 003). See docs/checkout.md.',
    bodyLimit: deps.bodyLimitBytes ?? 64 * 1024,
    rateLimitPerMinute: deps.rateLimitPerMinute ?? 0,
    health: async () => {
      try {
        await sql`SELECT 1`.execute(database.db);
        return { database: 'ok' };
      } catch (error) {
        return { database: `unreachable: ${String(error)}` };
      }
    },
  });
  registerPedidosRoutes(http, service, {
    defaultMs: deps.requestTimeoutMs ?? 10_000,
    maxMs: MAX_REQUEST_TIMEOUT_MS,
  });

  const interval = deps.recoveryIntervalMs ?? 0;
  const timer =
    interval > 0
      ? setInterval(() => {
          service.recoverOnce().catch((error: unknown) => {
            logger.error(`Falha na retomada de pedidos: ${String(error)}`, { err: error });
          });
        }, interval)
      : undefined;
  timer?.unref();

  return {
    http,
    grpc: { definition: PedidosGrpcService, handlers: { ...pedidosGrpcHandlers(service, logger) } },
    service,
    async close() {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
