import { CatalogoService as CatalogoGrpcService, type EstoquePort } from '@dslab/checkout-contracts';
import { MAX_REQUEST_TIMEOUT_MS, type CheckoutApp } from '@dslab/checkout-kit';
import { sql, type Database } from '@dslab/db';
import { createHttpApp } from '@dslab/http-kit';
import type { Logger } from '@dslab/logging';
import type { CatalogoTables } from './adapters/schema.js';
import { createCatalogoService, type CatalogoService } from './application/catalogo-service.js';
import { catalogoGrpcHandlers } from './entry-points/grpc.js';
import { registerCatalogoRoutes } from './entry-points/http.js';

export const SERVICE = 'catalogo';

export interface CatalogoDeps {
  readonly database: Database<CatalogoTables>;
  /** The live stock: estoque's REST or gRPC client (main.ts), or its service in-process (tests). */
  readonly estoque: EstoquePort;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Budget of a request that names none (REST X-Timeout-Ms, gRPC deadline). */
  readonly requestTimeoutMs?: number;
  readonly bodyLimitBytes?: number;
  readonly rateLimitPerMinute?: number;
}

export type CatalogoApp = CheckoutApp & { readonly service: CatalogoService };

/**
 * Wires catalogo from a ready database, logger and estoque port: REST and gRPC over one service.
 * Never listens; the estoque port belongs to the caller (main.ts closes its client).
 */
export async function buildApp(deps: CatalogoDeps): Promise<CatalogoApp> {
  const { database, logger } = deps;
  const service = createCatalogoService({
    database,
    estoque: deps.estoque,
    logger,
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  const timeouts = { defaultMs: deps.requestTimeoutMs ?? 10_000, maxMs: MAX_REQUEST_TIMEOUT_MS };
  const http = await createHttpApp({
    service: SERVICE,
    logger,
    title: 'catalogo',
    description:
      "The checkout's product catalogue (seed 003): names and prices, with each product's live stock read from estoque. " +
      'See docs/checkout.md.',
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
  registerCatalogoRoutes(http, service, timeouts);
  return {
    http,
    grpc: {
      definition: CatalogoGrpcService,
      handlers: { ...catalogoGrpcHandlers(service, logger, timeouts) },
    },
    service,
    async close() {
      // Nothing of its own to release: the database and the estoque port belong to the caller.
    },
  };
}
