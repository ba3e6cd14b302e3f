import { EstoqueService as EstoqueGrpcService } from '@dslab/checkout-contracts';
import {
  createCheckoutHttpApp,
  requestTimeouts,
  type CheckoutApp,
  type CheckoutAppDeps,
} from '@dslab/checkout-kit';
import type { EstoqueTables } from './adapters/schema.js';
import { createEstoqueService, type EstoqueService } from './application/estoque-service.js';
import { estoqueGrpcHandlers } from './entry-points/grpc.js';
import { registerEstoqueRoutes } from './entry-points/http.js';

export const SERVICE = 'estoque';

export type EstoqueDeps = CheckoutAppDeps<EstoqueTables>;

export type EstoqueApp = CheckoutApp & { readonly service: EstoqueService };

/** Wires estoque from a ready database and logger: REST and gRPC over one service. Never listens. */
export async function buildApp(deps: EstoqueDeps): Promise<EstoqueApp> {
  const service = createEstoqueService(deps);
  const timeouts = requestTimeouts(deps);
  const http = await createCheckoutHttpApp({
    ...deps,
    service: SERVICE,
    description:
      'Stock of the checkout (seed 003): reserves an order all or nothing, releases it as a compensation, ' +
      'and reads the units available. See docs/checkout.md.',
  });
  registerEstoqueRoutes(http, service, timeouts);
  return {
    http,
    grpc: {
      definition: EstoqueGrpcService,
      handlers: { ...estoqueGrpcHandlers(service, deps.logger, timeouts) },
    },
    service,
    async close() {
      // Nothing of its own to release: the database belongs to the caller.
    },
  };
}
