import { LogisticaService as LogisticaGrpcService } from '@dslab/checkout-contracts';
import {
  createCheckoutHttpApp,
  requestTimeouts,
  type CheckoutApp,
  type CheckoutAppDeps,
} from '@dslab/checkout-kit';
import { randomSource, type RandomSourceOptions } from '@dslab/random';
import type { LogisticaTables } from './adapters/schema.js';
import { createLogisticaStore } from './adapters/store.js';
import { createLogisticaService, type LogisticaService } from './application/logistica-service.js';
import { logisticaGrpcHandlers } from './entry-points/grpc.js';
import { registerLogisticaRoutes } from './entry-points/http.js';

export const SERVICE = 'logistica';

/** `random` draws the tracking codes; `seed` (LOGISTICA_SEED) makes the sequence reproducible. */
export interface LogisticaDeps extends CheckoutAppDeps<LogisticaTables>, RandomSourceOptions {
  /** Codes drawn for one dispatch before giving up when each is taken (default 5). */
  readonly maxCodeTries?: number;
}

export type LogisticaApp = CheckoutApp & { readonly service: LogisticaService };

/** Wires logistica from ready dependencies (the database). Never listens. */
export async function buildApp(deps: LogisticaDeps): Promise<LogisticaApp> {
  const { database, logger } = deps;
  const service = createLogisticaService({
    store: createLogisticaStore(database.db, database.engine),
    logger,
    now: deps.now ?? Date.now,
    random: randomSource(deps),
    ...(deps.maxCodeTries === undefined ? {} : { maxCodeTries: deps.maxCodeTries }),
  });
  const http = await createCheckoutHttpApp({
    ...deps,
    service: SERVICE,
    description:
      'Dispatches invoiced orders: one shipment per order and per invoice, each with a unique BR<9 digits>PY tracking code (seed 003). See docs/checkout.md.',
  });
  registerLogisticaRoutes(http, service, requestTimeouts(deps));
  return {
    http,
    grpc: {
      definition: LogisticaGrpcService,
      handlers: { ...logisticaGrpcHandlers(service, logger, requestTimeouts(deps)) },
    },
    service,
    async close() {
      // Nothing of its own to release: the database belongs to the caller.
    },
  };
}
