import { createHttpApp, type HealthCheck, type HttpApp } from '@dslab/http-kit';
import type { Logger } from '@dslab/logging';

export const SERVICE = 'kv-consumer';

export interface KvConsumerAppDeps {
  readonly logger: Logger;
  /** GET /health's checks (main.ts: consuming, PostgreSQL, Redis and the broker, each bounded). */
  readonly health?: HealthCheck;
}

/**
 * The consumer's small HTTP side: GET /health and GET /metrics (Prometheus; createKvConsumerMetrics
 * registers its counters on `app.metrics`). No routes of its own and no request bodies. Never listens.
 */
export async function buildKvConsumerApp(deps: KvConsumerAppDeps): Promise<HttpApp> {
  return createHttpApp({
    service: SERVICE,
    logger: deps.logger,
    title: 'KV — kv-consumer',
    description:
      'Applies the writes queued in add_key and del_key to PostgreSQL and the Redis cache (the highest ' +
      'version of a key wins). GET /health: consuming, PostgreSQL, Redis, RabbitMQ. GET /metrics: writes ' +
      'applied, skipped, retried and dead-lettered, and the depth of every queue.',
    bodyLimit: 1024,
    ...(deps.health === undefined ? {} : { health: deps.health }),
  });
}
