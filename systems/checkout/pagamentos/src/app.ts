import { PagamentoService as PagamentoGrpcService } from '@dslab/checkout-contracts';
import { MAX_REQUEST_TIMEOUT_MS, type CheckoutApp } from '@dslab/checkout-kit';
import { sql, type Database } from '@dslab/db';
import { createHttpApp } from '@dslab/http-kit';
import type { Logger } from '@dslab/logging';
import type { PagamentosTables } from './adapters/schema.js';
import { createPagamentosService, type PagamentosService } from './application/pagamentos-service.js';
import { SEED_SIMULATOR, type SimulatorConfig } from './domain/simulator.js';
import { mulberry32 } from './domain/random.js';
import { pagamentosGrpcHandlers } from './entry-points/grpc.js';
import { registerPagamentosRoutes } from './entry-points/http.js';

export const SERVICE = 'pagamentos';

export interface PagamentosDeps {
  readonly database: Database<PagamentosTables>;
  readonly logger: Logger;
  /** Wall clock, epoch ms (default Date.now). */
  readonly now?: () => number;
  /** The payment simulator (default the seed's: 500–1500 ms, 10 % rejected). */
  readonly simulator?: SimulatorConfig;
  /** PAGAMENTO_SEED: draws come from mulberry32(seed), so a run reproduces; absent: Math.random. */
  readonly seed?: number | undefined;
  /** Budget of a request that names none (x-timeout-ms / gRPC deadline), default 10 000 ms. */
  readonly requestTimeoutMs?: number;
  readonly bodyLimitBytes?: number;
  readonly rateLimitPerMinute?: number;
}

export type PagamentosApp = CheckoutApp & { readonly service: PagamentosService };

/** Wires pagamentos from ready dependencies (database, logger, simulator). Never listens. */
export async function buildApp(deps: PagamentosDeps): Promise<PagamentosApp> {
  const { database, logger } = deps;
  const service = createPagamentosService({
    database,
    logger,
    now: deps.now ?? Date.now,
    simulator: deps.simulator ?? SEED_SIMULATOR,
    random: deps.seed === undefined ? Math.random : mulberry32(deps.seed),
  });
  const http = await createHttpApp({
    service: SERVICE,
    logger,
    title: 'pagamentos',
    description:
      'Simulated payments of the checkout (seed 003): one payment per order, idempotent charges, ' +
      'refunds as compensations. See docs/checkout.md.',
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
  const timeouts = { defaultMs: deps.requestTimeoutMs ?? 10_000, maxMs: MAX_REQUEST_TIMEOUT_MS };
  registerPagamentosRoutes(http, service, timeouts);
  return {
    http,
    grpc: {
      definition: PagamentoGrpcService,
      handlers: { ...pagamentosGrpcHandlers(service, logger, timeouts) },
    },
    service,
    async close() {
      // Nothing of its own to release: the database belongs to the caller.
    },
  };
}
