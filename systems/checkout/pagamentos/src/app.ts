import { PagamentoService as PagamentoGrpcService } from '@dslab/checkout-contracts';
import {
  createCheckoutHttpApp,
  requestTimeouts,
  type CheckoutApp,
  type CheckoutAppDeps,
} from '@dslab/checkout-kit';
import { seededRandom } from '@dslab/random';
import type { PagamentosTables } from './adapters/schema.js';
import { createPagamentosService, type PagamentosService } from './application/pagamentos-service.js';
import { SEED_SIMULATOR, type SimulatorConfig } from './domain/simulator.js';
import { pagamentosGrpcHandlers } from './entry-points/grpc.js';
import { registerPagamentosRoutes } from './entry-points/http.js';

export const SERVICE = 'pagamentos';

export interface PagamentosDeps extends CheckoutAppDeps<PagamentosTables> {
  /** The payment simulator (default the seed's: 500–1500 ms, 10 % rejected). */
  readonly simulator?: SimulatorConfig;
  /** PAGAMENTO_SEED: draws come from seededRandom(seed), so a run reproduces; absent: Math.random. */
  readonly seed?: number | undefined;
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
    random: deps.seed === undefined ? Math.random : seededRandom(deps.seed),
  });
  const http = await createCheckoutHttpApp({
    ...deps,
    service: SERVICE,
    description:
      'Simulated payments of the checkout (seed 003): one payment per order, idempotent charges, ' +
      'refunds as compensations. See docs/checkout.md.',
  });
  const timeouts = requestTimeouts(deps);
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
