import { sql, type Database } from '@dslab/db';
import { createHttpApp, type DeadlineSettings, type HttpApp } from '@dslab/http-kit';
import type { Logger } from '@dslab/logging';
import type { CheckoutService } from './services.js';
import { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, MAX_REQUEST_TIMEOUT_MS } from './settings.js';

/**
 * What every checkout service's buildApp takes besides its own dependencies: its database, its
 * logger, its clock and the common limits (the settings REQUEST_TIMEOUT_MS, BODY_LIMIT_BYTES,
 * RATE_LIMIT_PER_MINUTE). A service's deps extend it.
 */
export interface CheckoutAppDeps<DB> {
  readonly database: Database<DB>;
  readonly logger: Logger;
  /** Wall clock, epoch ms (default Date.now). */
  readonly now?: () => number;
  /** Budget of a request that names none (REST X-Timeout-Ms, gRPC deadline); default 10 000 ms. */
  readonly requestTimeoutMs?: number;
  /** Largest accepted JSON body; default 64 KiB. */
  readonly bodyLimitBytes?: number;
  /** Requests per minute per client address; default 0 (off, for these internal services). */
  readonly rateLimitPerMinute?: number;
}

/** The deadline settings of a service's routes and handlers: its default budget, capped by the kit's maximum. */
export function requestTimeouts(deps: { readonly requestTimeoutMs?: number }): DeadlineSettings {
  return { defaultMs: deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, maxMs: MAX_REQUEST_TIMEOUT_MS };
}

export interface CheckoutHttpAppOptions<DB> {
  readonly service: CheckoutService;
  /** OpenAPI title (default: the service's name). */
  readonly title?: string;
  /** OpenAPI description. */
  readonly description: string;
  /** Checked by GET /health. */
  readonly database: Database<DB>;
  readonly logger: Logger;
  readonly bodyLimitBytes?: number | undefined;
  readonly rateLimitPerMinute?: number | undefined;
}

/**
 * The HTTP app of a checkout service: http-kit's app (problem+json, validation, /docs, /metrics,
 * limits, security headers) with the checkout's defaults (64 KiB bodies, no rate limit) and a
 * /health that answers `database: 'ok'` when `SELECT 1` runs, `unreachable: <error>` when not.
 * Never listens.
 */
export async function createCheckoutHttpApp<DB>(options: CheckoutHttpAppOptions<DB>): Promise<HttpApp> {
  const { database } = options;
  return createHttpApp({
    service: options.service,
    logger: options.logger,
    title: options.title ?? options.service,
    description: options.description,
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    rateLimitPerMinute: options.rateLimitPerMinute ?? 0,
    health: async () => {
      try {
        await sql`SELECT 1`.execute(database.db);
        return { database: 'ok' };
      } catch (error) {
        return { database: `unreachable: ${String(error)}` };
      }
    },
  });
}
