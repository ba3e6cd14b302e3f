import { createHttpApp, type HealthCheck, type HttpApp } from '@dslab/http-kit';
import { KV_LIMITS, type KvReader, type KvWriter } from '@dslab/kv-core';
import type { Logger } from '@dslab/logging';
import { registerKvRoutes } from './entry-points/http/routes.js';

export const SERVICE = 'kv-api';

export interface KvApiDeps {
  readonly logger: Logger;
  readonly reader: KvReader;
  readonly writer: KvWriter;
  /** GET /health's checks (main.ts: PostgreSQL, Redis and the broker, each bounded). */
  readonly health?: HealthCheck;
  /** Per client address; 0 (the default) is off. */
  readonly rateLimitPerMinute?: number;
  /** Largest request body (default KV_LIMITS.bodyLimitBytes: a 256 KiB value fits, escaped). */
  readonly bodyLimitBytes?: number;
  readonly trustProxy?: boolean;
}

/**
 * The KV API from ready dependencies (a reader and a writer over the engines). Never listens:
 * main.ts serves it, tests start it on port 0.
 */
export async function buildKvApi(deps: KvApiDeps): Promise<HttpApp> {
  const app = await createHttpApp({
    service: SERVICE,
    logger: deps.logger,
    title: 'KV — kv-api',
    description:
      'The key-value API of seed 002: GET reads through a Redis cache to PostgreSQL; PUT and DELETE are ' +
      'queued to RabbitMQ (add_key, del_key) and applied by kv-consumer. Every write gets a version from ' +
      'one PostgreSQL sequence; the highest version of a key wins everywhere (database, cache), deletes ' +
      'leave tombstones, and GET ?min_version=V reads your own writes.',
    bodyLimit: deps.bodyLimitBytes ?? KV_LIMITS.bodyLimitBytes,
    rateLimitPerMinute: deps.rateLimitPerMinute ?? 0,
    trustProxy: deps.trustProxy ?? false,
    ...(deps.health === undefined ? {} : { health: deps.health }),
  });
  registerKvRoutes(app, { reader: deps.reader, writer: deps.writer });
  return app;
}
