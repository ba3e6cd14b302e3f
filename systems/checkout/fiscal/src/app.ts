import { randomInt } from 'node:crypto';
import { FiscalService as FiscalGrpcService } from '@dslab/checkout-contracts';
import { MAX_REQUEST_TIMEOUT_MS, type CheckoutApp } from '@dslab/checkout-kit';
import { sql, type Database } from '@dslab/db';
import { createHttpApp } from '@dslab/http-kit';
import type { Logger } from '@dslab/logging';
import type { FiscalTables } from './adapters/schema.js';
import { createFiscalStore } from './adapters/store.js';
import { createFiscalService, type Emitente, type FiscalService } from './application/fiscal-service.js';
import { DEVELOPMENT_CNPJ } from './config.js';
import { seededRandomSource } from './domain/random.js';
import { fiscalGrpcHandlers } from './entry-points/grpc.js';
import { registerFiscalRoutes } from './entry-points/http.js';

export const SERVICE = 'fiscal';

export const DEFAULT_EMITENTE: Emitente = { cUF: 35, cnpj: DEVELOPMENT_CNPJ, serie: 1 };

export interface FiscalDeps {
  readonly database: Database<FiscalTables>;
  readonly logger: Logger;
  /** Epoch ms (default Date.now). */
  readonly now?: () => number;
  /** Uniform in [0, 1) for the keys' cNF; default: `seed` when given, else the OS's randomness. */
  readonly random?: () => number;
  /** FISCAL_SEED: a reproducible cNF sequence (ignored when `random` is given). */
  readonly seed?: number | undefined;
  /** FISCAL_UF, FISCAL_CNPJ, FISCAL_SERIE (default: São Paulo, the development CNPJ, série 1). */
  readonly emitente?: Emitente;
  /** Budget of a request that names none. */
  readonly requestTimeoutMs?: number;
  readonly bodyLimitBytes?: number;
  readonly rateLimitPerMinute?: number;
}

export type FiscalApp = CheckoutApp & { readonly service: FiscalService };

/** A uniform draw in [0, 1) from the operating system's randomness (47 bits). */
function osRandom(): number {
  return randomInt(0, 2 ** 47) / 2 ** 47;
}

/** Wires fiscal from ready dependencies (the database). Never listens. */
export async function buildApp(deps: FiscalDeps): Promise<FiscalApp> {
  const { database, logger } = deps;
  const service = createFiscalService({
    store: createFiscalStore(database.db, database.engine),
    logger,
    now: deps.now ?? Date.now,
    random: deps.random ?? (deps.seed === undefined ? osRandom : seededRandomSource(deps.seed)),
    emitente: deps.emitente ?? DEFAULT_EMITENTE,
  });
  const http = await createHttpApp({
    service: SERVICE,
    logger,
    title: 'fiscal',
    description:
      'Issues the nota fiscal (NF-e) of a paid order: gap-free numbers on a série and a 44-digit chave de acesso (seed 003). See docs/checkout.md.',
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
  registerFiscalRoutes(http, service, {
    defaultMs: deps.requestTimeoutMs ?? 10_000,
    maxMs: MAX_REQUEST_TIMEOUT_MS,
  });
  return {
    http,
    grpc: { definition: FiscalGrpcService, handlers: { ...fiscalGrpcHandlers(service, logger) } },
    service,
    async close() {
      // Nothing of its own to release: the database belongs to the caller.
    },
  };
}
