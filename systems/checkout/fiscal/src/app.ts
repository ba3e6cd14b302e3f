import { FiscalService as FiscalGrpcService } from '@dslab/checkout-contracts';
import {
  createCheckoutHttpApp,
  requestTimeouts,
  type CheckoutApp,
  type CheckoutAppDeps,
} from '@dslab/checkout-kit';
import { randomSource, type RandomSourceOptions } from '@dslab/random';
import type { FiscalTables } from './adapters/schema.js';
import { createFiscalStore } from './adapters/store.js';
import { createFiscalService, type Emitente, type FiscalService } from './application/fiscal-service.js';
import { DEVELOPMENT_CNPJ } from './config.js';
import { fiscalGrpcHandlers } from './entry-points/grpc.js';
import { registerFiscalRoutes } from './entry-points/http.js';

export const SERVICE = 'fiscal';

export const DEFAULT_EMITENTE: Emitente = { cUF: 35, cnpj: DEVELOPMENT_CNPJ, serie: 1 };

/** `random` draws the keys' cNF; `seed` (FISCAL_SEED) makes the sequence reproducible. */
export interface FiscalDeps extends CheckoutAppDeps<FiscalTables>, RandomSourceOptions {
  /** FISCAL_UF, FISCAL_CNPJ, FISCAL_SERIE (default: São Paulo, the development CNPJ, série 1). */
  readonly emitente?: Emitente;
}

export type FiscalApp = CheckoutApp & { readonly service: FiscalService };

/** Wires fiscal from ready dependencies (the database). Never listens. */
export async function buildApp(deps: FiscalDeps): Promise<FiscalApp> {
  const { database, logger } = deps;
  const service = createFiscalService({
    store: createFiscalStore(database.db, database.engine),
    logger,
    now: deps.now ?? Date.now,
    random: randomSource(deps),
    emitente: deps.emitente ?? DEFAULT_EMITENTE,
  });
  const http = await createCheckoutHttpApp({
    ...deps,
    service: SERVICE,
    description:
      'Issues the nota fiscal (NF-e) of a paid order: gap-free numbers on a série and a 44-digit chave de acesso (seed 003). See docs/checkout.md.',
  });
  registerFiscalRoutes(http, service, requestTimeouts(deps));
  return {
    http,
    grpc: {
      definition: FiscalGrpcService,
      handlers: { ...fiscalGrpcHandlers(service, logger, requestTimeouts(deps)) },
    },
    service,
    async close() {
      // Nothing of its own to release: the database belongs to the caller.
    },
  };
}
