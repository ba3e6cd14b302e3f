import { randomInt } from 'node:crypto';
import { LogisticaService as LogisticaGrpcService } from '@dslab/checkout-contracts';
import { MAX_REQUEST_TIMEOUT_MS, type CheckoutApp } from '@dslab/checkout-kit';
import { sql, type Database } from '@dslab/db';
import { createHttpApp } from '@dslab/http-kit';
import type { Logger } from '@dslab/logging';
import type { LogisticaTables } from './adapters/schema.js';
import { createLogisticaStore } from './adapters/store.js';
import { createLogisticaService, type LogisticaService } from './application/logistica-service.js';
import { seededRandomSource } from './domain/random.js';
import { logisticaGrpcHandlers } from './entry-points/grpc.js';
import { registerLogisticaRoutes } from './entry-points/http.js';

export const SERVICE = 'logistica';

export interface LogisticaDeps {
  readonly database: Database<LogisticaTables>;
  readonly logger: Logger;
  /** Epoch ms (default Date.now). */
  readonly now?: () => number;
  /** Uniform in [0, 1) for the tracking codes; default: `seed` when given, else the OS's randomness. */
  readonly random?: () => number;
  /** LOGISTICA_SEED: a reproducible code sequence (ignored when `random` is given). */
  readonly seed?: number | undefined;
  /** Codes drawn for one dispatch before giving up when each is taken (default 5). */
  readonly maxCodeTries?: number;
  /** Budget of a request that names none. */
  readonly requestTimeoutMs?: number;
  readonly bodyLimitBytes?: number;
  readonly rateLimitPerMinute?: number;
}

export type LogisticaApp = CheckoutApp & { readonly service: LogisticaService };

/** A uniform draw in [0, 1) from the operating system's randomness (47 bits). */
export function osRandom(): number {
  return randomInt(0, 2 ** 47) / 2 ** 47;
}

/** Wires logistica from ready dependencies (the database). Never listens. */
export async function buildApp(deps: LogisticaDeps): Promise<LogisticaApp> {
  const { database, logger } = deps;
  const service = createLogisticaService({
    store: createLogisticaStore(database.db, database.engine),
    logger,
    now: deps.now ?? Date.now,
    random: deps.random ?? (deps.seed === undefined ? osRandom : seededRandomSource(deps.seed)),
    ...(deps.maxCodeTries === undefined ? {} : { maxCodeTries: deps.maxCodeTries }),
  });
  const http = await createHttpApp({
    service: SERVICE,
    logger,
    title: 'logistica',
    description:
      'Dispatches invoiced orders: one shipment per order and per invoice, each with a unique BR<9 digits>PY tracking code (seed 003). See docs/checkout.md.',
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
  registerLogisticaRoutes(http, service, {
    defaultMs: deps.requestTimeoutMs ?? 10_000,
    maxMs: MAX_REQUEST_TIMEOUT_MS,
  });
  return {
    http,
    grpc: { definition: LogisticaGrpcService, handlers: { ...logisticaGrpcHandlers(service, logger) } },
    service,
    async close() {
      // Nothing of its own to release: the database belongs to the caller.
    },
  };
}
