import { CatalogoService as CatalogoGrpcService, type EstoquePort } from '@dslab/checkout-contracts';
import {
  createCheckoutHttpApp,
  requestTimeouts,
  type CheckoutApp,
  type CheckoutAppDeps,
} from '@dslab/checkout-kit';
import type { CatalogoTables } from './adapters/schema.js';
import { createCatalogoService, type CatalogoService } from './application/catalogo-service.js';
import { catalogoGrpcHandlers } from './entry-points/grpc.js';
import { registerCatalogoRoutes } from './entry-points/http.js';

export const SERVICE = 'catalogo';

export interface CatalogoDeps extends CheckoutAppDeps<CatalogoTables> {
  /** The live stock: estoque's REST or gRPC client (main.ts), or its service in-process (tests). */
  readonly estoque: EstoquePort;
}

export type CatalogoApp = CheckoutApp & { readonly service: CatalogoService };

/**
 * Wires catalogo from a ready database, logger and estoque port: REST and gRPC over one service.
 * Never listens; the estoque port belongs to the caller (main.ts closes its client).
 */
export async function buildApp(deps: CatalogoDeps): Promise<CatalogoApp> {
  const service = createCatalogoService(deps);
  const timeouts = requestTimeouts(deps);
  const http = await createCheckoutHttpApp({
    ...deps,
    service: SERVICE,
    description:
      "The checkout's product catalogue (seed 003): names and prices, with each product's live stock read from estoque. " +
      'See docs/checkout.md.',
  });
  registerCatalogoRoutes(http, service, timeouts);
  return {
    http,
    grpc: {
      definition: CatalogoGrpcService,
      handlers: { ...catalogoGrpcHandlers(service, deps.logger, timeouts) },
    },
    service,
    async close() {
      // Nothing of its own to release: the database and the estoque port belong to the caller.
    },
  };
}
