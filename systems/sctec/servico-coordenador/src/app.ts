import { createHttpApp, type HttpApp } from '@dslab/http-kit';
import type { Logger } from '@dslab/logging';
import { DEFAULT_TTL_MS, type LockService } from './domain/lock-service.js';
import { createMemoryTokenStore } from './adapters/token-store.js';
import type { TokenSource } from './domain/lock-table.js';
import { requireSecret } from './entry-points/http/auth.js';
import { registerEventRoutes } from './entry-points/http/routes-events.js';
import { registerLockRoutes } from './entry-points/http/routes-locks.js';
import { createEventFeed, type EventFeed } from './event-feed.js';
import type { LockEvents } from './lock-events.js';
import { observeLocks } from './observability.js';

export const SERVICE = 'servico-coordenador';

/** Largest request body: a lock request is a resource name (≤ 256 characters) and two numbers. */
export const DEFAULT_BODY_LIMIT_BYTES = 4096;

export interface CoordinatorDeps {
  logger: Logger;
  lockService: LockService;
  /** The hub whose `emit` is the lock service's `onEvent` (see createLockEvents). */
  events: LockEvents;
  /** When set, /lock, /unlock, /locks/* and /eventos need `Authorization: Bearer <secret>`. */
  secret?: string | undefined;
  /** Lease for a lock request without ttl_ms (default DEFAULT_TTL_MS). */
  defaultTtlMs?: number;
  /** Per client address; 0 (the default) is off: the coordinator is an internal service. */
  rateLimitPerMinute?: number;
  bodyLimitBytes?: number;
  trustProxy?: boolean;
  /**
   * Ids of the booking events (strictly increasing). main.ts gives a file store so they keep
   * growing across restarts; the default (memory, from 1) suits tests.
   */
  eventIds?: TokenSource;
  /**
   * A ready booking-event feed shared by several coordinators (createRedisEventFeed). When given,
   * eventIds, eventBufferSize, eventHeartbeatMs and now are not used for events; closing the app
   * closes it.
   */
  eventFeed?: EventFeed;
  /** Events kept for Last-Event-ID replay (default 1000). */
  eventBufferSize?: number;
  /** Interval of the `: ping` comment on event streams (default 15 000 ms). */
  eventHeartbeatMs?: number;
  /** Wall clock for `emitido_em_utc` (default Date.now). */
  now?: () => number;
  /**
   * Runs once the app has closed (after the lock service): releases what the lock service
   * runs on, e.g. the shared store's connections (see openSharedLockService in wiring.ts).
   */
  onClose?: () => Promise<void>;
}

/**
 * Wires the coordinator from ready dependencies. Never listens (see main.ts).
 *
 * Closing the app closes the lock service first (Fastify's preClose): every queued caller is
 * answered 503 at once instead of holding the shutdown for up to MAX_WAIT_MS, and new lock
 * requests are refused while in-flight ones finish. It also ends every open event stream, so
 * long-lived GET /eventos connections do not hold the shutdown up.
 */
export async function buildApp(deps: CoordinatorDeps): Promise<HttpApp> {
  const { logger, lockService, events } = deps;
  let closing = false;
  const app = await createHttpApp({
    service: SERVICE,
    logger,
    title: 'SCTEC — servico-coordenador',
    description:
      'The "Porteiro": leases on named resources with strictly increasing fencing tokens (also across ' +
      'restarts), unlock by the holder token only, optional FIFO wait with a timeout; and the real-time ' +
      'booking events (POST /eventos, Server-Sent Events at GET /eventos).',
    rateLimitPerMinute: deps.rateLimitPerMinute ?? 0,
    bodyLimit: deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    trustProxy: deps.trustProxy ?? false,
    health: async () => ({ locks: closing ? 'shutting down' : 'ok', events: feed.health() }),
  });

  const unobserve = observeLocks({ events, lockService, logger, registry: app.metrics });
  registerLockRoutes(app, {
    lockService,
    defaultTtlMs: deps.defaultTtlMs ?? DEFAULT_TTL_MS,
    authenticate: deps.secret === undefined ? undefined : requireSecret(deps.secret),
  });
  const feed =
    deps.eventFeed ??
    createEventFeed({
      ids: deps.eventIds ?? createMemoryTokenStore(),
      now: deps.now ?? Date.now,
      ...(deps.eventBufferSize === undefined ? {} : { capacity: deps.eventBufferSize }),
      ...(deps.eventHeartbeatMs === undefined ? {} : { heartbeatMs: deps.eventHeartbeatMs }),
    });
  registerEventRoutes(app, {
    feed,
    authenticate: deps.secret === undefined ? undefined : requireSecret(deps.secret),
  });

  app.addHook('preClose', async () => {
    closing = true;
    const lockServiceClosed = lockService.close();
    feed.close();
    await lockServiceClosed;
  });
  app.addHook('onClose', async () => {
    unobserve();
    await deps.onClose?.();
  });
  return app;
}
