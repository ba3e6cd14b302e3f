import type { CatalogoPort } from '@dslab/checkout-contracts';
import { PedidosService as PedidosGrpcService } from '@dslab/checkout-contracts';
import {
  createCheckoutHttpApp,
  requestTimeouts,
  type CheckoutApp,
  type CheckoutAppDeps,
} from '@dslab/checkout-kit';
import type { OutboxRelay } from '@dslab/outbox';
import type { PedidosTables } from './adapters/schema.js';
import { SERVICE } from './app.js';
import { createAsyncCheckout, type AsyncCheckout, type AuthSettings } from './application/async-checkout.js';
import { asyncPedidosGrpcHandlers } from './entry-points/async-grpc.js';
import { registerAsyncPedidosRoutes } from './entry-points/async-http.js';

export interface PedidosAsyncDeps extends CheckoutAppDeps<PedidosTables> {
  /** Pricing at POST time (a kept-alive client, or the catalogo service in-process). */
  readonly catalogo: CatalogoPort;
  /** The relay of pedidos' outbox (started by the caller): woken after each order commits. */
  readonly relay: OutboxRelay;
  /** Namespace of the queues (default `checkout`). */
  readonly queuePrefix?: string;
  readonly auth: AuthSettings;
}

export type PedidosAsyncApp = CheckoutApp & { readonly service: AsyncCheckout };

/**
 * Wires the asynchronous checkout's API (seed 004) from ready dependencies: login, orders
 * accepted with 202 (committed with PEDIDO_CRIADO in the outbox) and read back by their owner.
 * The saga itself runs in the orchestrator (createOrchestrator), wherever the caller runs it.
 * At start-up the development default password, if given, goes to every customer without one.
 * Never listens.
 */
export async function buildAsyncApp(deps: PedidosAsyncDeps): Promise<PedidosAsyncApp> {
  const { database, logger } = deps;
  const service = createAsyncCheckout({
    database,
    catalogo: deps.catalogo,
    relay: deps.relay,
    logger,
    auth: deps.auth,
    queuePrefix: deps.queuePrefix,
    now: deps.now,
  });
  await service.grantDefaultPassword();
  const http = await createCheckoutHttpApp({
    ...deps,
    service: SERVICE,
    description:
      'Checkout entry point, asynchronous mode (seed 004): POST /auth/login, then POST /pedidos answers 202 at once ' +
      'and the saga (estoque → pagamentos → estoque → fiscal → logística, over RabbitMQ) runs the order; ' +
      'GET /pedidos/{id} shows its status and history. Send the token as Authorization: Bearer <access_token>. ' +
      'See docs/checkout.md.',
  });
  registerAsyncPedidosRoutes(http, service, requestTimeouts(deps));
  return {
    http,
    grpc: {
      definition: PedidosGrpcService,
      handlers: { ...asyncPedidosGrpcHandlers(service, logger, requestTimeouts(deps)) },
    },
    service,
    async close() {
      // Nothing of its own: the relay, the bus and the database belong to the caller.
    },
  };
}
