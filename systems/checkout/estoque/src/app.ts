import { EstoqueService as EstoqueGrpcService } from '@dslab/checkout-contracts';
import { MAX_REQUEST_TIMEOUT_MS, type CheckoutApp } from '@dslab/checkout-kit';
import { sql, type Database } from '@dslab/db';
import { createHttpApp } from '@dslab/http-kit';
import type { Logger } from '@dslab/logging';
import type { EstoqueTables } from './adapters/schema.js';
import { createEstoqueService, type EstoqueService } from './application/estoque-service.js';
import { estoqueGrpcHandlers } from './entry-points/grpc.js';
import { registerEstoqueRoutes } from './entry-points/http.js';

export const SERVICE = 'estoque';

export interface EstoqueDeps {
  readonly database: Database<EstoqueTables>;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Budget of a request that names none (REST X-Timeout-Ms, gRPC deadline). */
  readonly requestTimeoutMs?: number;
  readonly bodyLimitBytes?: number;
  readonly rateLimitPerMinute?: number;
}

export type EstoqueApp = CheckoutApp & { readonly service: EstoqueService };

/** Wires estoque from a ready database and logger: REST and gRPC over one service. Never listens. */
export async function buildApp(deps: EstoqueDeps): Promise<EstoqueApp> {
  const { database, logger } = deps;
  const service = createEstoqueService({
    database,
    logger,
    ...(deps.now === undefined ? {} : { now: deps.now }),
  });
  const timeouts = { defaultMs: deps.requestTimeoutMs ?? 10_000, maxMs: MAX_REQUEST_TIMEOUT_MS };
  const http = await createHttpApp({
    service: SERVICE,
    logger,
    title: 'estoque',
    description:
      'Stock of the checkout (seed 003): reserves an order all or nothing, releases it as a compensation, ' +
      'and reads the units available. See docs/checkout.md.',
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
  registerEstoqueRoutes(http, service, timeouts);
  return {
    http,
    grpc: { definition: EstoqueGrpcService, handlers: { ...estoqueGrpcHandlers(service, logger, timeouts) } },
    service,
    async close() {
      // Nothing of its own to release: the database belongs to the caller.
    },
  };
}
