import { PedidosService as PedidosGrpcService } from '@dslab/checkout-contracts';
import {
  createCheckoutHttpApp,
  requestTimeouts,
  type CheckoutApp,
  type CheckoutAppDeps,
} from '@dslab/checkout-kit';
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

export interface PedidosDeps extends CheckoutAppDeps<PedidosTables>, PedidosServiceOptions {
  readonly neighbours: Neighbours;
  /** Period of the loop that drives stalled orders on; 0 (the default here) leaves it to the caller. */
  readonly recoveryIntervalMs?: number;
}

export type PedidosApp = CheckoutApp & { readonly service: PedidosService };

/** Wires pedidos from ready dependencies (database, neighbour ports). Never listens. */
export async function buildApp(deps: PedidosDeps): Promise<PedidosApp> {
  const { database, logger } = deps;
  const store = createPedidosStore(database.db);
  const service = createPedidosService({ ...deps, store });
  const http = await createCheckoutHttpApp({
    ...deps,
    service: SERVICE,
    description:
      'Checkout entry point: creates the order and drives pagamentos → estoque → fiscal → logística (seed 003). See docs/checkout.md.',
  });
  registerPedidosRoutes(http, service, requestTimeouts(deps));

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
    grpc: {
      definition: PedidosGrpcService,
      handlers: { ...pedidosGrpcHandlers(service, logger, requestTimeouts(deps)) },
    },
    service,
    async close() {
      if (timer !== undefined) clearInterval(timer);
    },
  };
}
