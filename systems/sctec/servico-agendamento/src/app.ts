import { createAuditLog } from '@dslab/audit-log';
import type { Clock } from '@dslab/clock';
import type { Database } from '@dslab/db';
import type { EventPublisher } from '@dslab/event-client';
import { createHttpApp, type HttpApp } from '@dslab/http-kit';
import type { LockClient } from '@dslab/lock-client';
import type { Logger } from '@dslab/logging';
import { createFairShareStore } from './adapters/fair-share-store.js';
import { createIdempotencyStore } from './adapters/idempotency.js';
import { createReceiptSigner } from './adapters/receipts.js';
import type { SchedulerTables } from './adapters/schema.js';
import { createSchedulerStore } from './adapters/store.js';
import { createTokenService } from './adapters/tokens.js';
import { createBookingService, type UnsafeSwitches } from './application/booking-service.js';
import { createFairShare } from './application/fair-share.js';
import { DEV_RECEIPT_SIGNING_KEY } from './config.js';
import { registerAccountRoutes } from './entry-points/http/routes-account.js';
import { registerBookingRoutes } from './entry-points/http/routes-bookings.js';
import { registerEventRoutes, type EventRelay } from './entry-points/http/routes-events.js';
import { registerReceiptRoutes } from './entry-points/http/routes-receipts.js';
import { registerRootRoutes } from './entry-points/http/routes-root.js';
import { registerWaitlistRoutes } from './entry-points/http/routes-waitlist.js';
import { DEFAULT_WEB_CLIENT_DIR, registerWebRoutes } from './entry-points/http/routes-web.js';

export const SERVICE = 'servico-agendamento';

export interface SchedulerDeps {
  database: Database<SchedulerTables>;
  locks: LockClient;
  logger: Logger;
  clock: Clock;
  jwtSecret: string;
  jwtTtlSeconds?: number;
  lockTtlMs?: number;
  rateLimitPerMinute?: number;
  bodyLimitBytes?: number;
  trustProxy?: boolean;
  unsafe?: Partial<UnsafeSwitches>;
  /** Folder of the built web client (`npm run build:web`); default systems/sctec/web-client/dist. */
  webClientDir?: string;
  /**
   * Live events: the publisher (to the coordinator's POST /eventos, after each commit) and the
   * relay behind GET /eventos. The app starts the relay when ready and ends it on close; closing
   * the publisher is main.ts's. Without them, no events are sent and GET /eventos answers 503.
   */
  events?: { publisher: EventPublisher; relay: EventRelay } | undefined;
  /** Time quotas (defaults: 600 minutes per calendar month, refund when cancelled ≥ 72 h ahead). */
  quota?: { defaultMinutes?: number; refundNoticeMs?: number };
  /**
   * Waitlist holds (default 120 s) and how often expired holds are handed on in the background
   * (default 1000 ms; 0 turns the background sweep off, reads and bookings still hand them on).
   */
  waitlist?: { holdMs?: number; sweepMs?: number };
  /** The receipt signing key (default: the development key, which proves nothing). */
  receipts?: { privateKeyPem?: string };
}

/** Wires the scheduler from ready dependencies. Never listens (see main.ts). */
export async function buildApp(deps: SchedulerDeps): Promise<HttpApp> {
  const { database, logger, clock } = deps;
  const now = () => clock.now();
  const store = createSchedulerStore(database.db);
  const audit = createAuditLog({ db: database.db, service: SERVICE, logger });
  const tokens = createTokenService({ secret: deps.jwtSecret, ttlSeconds: deps.jwtTtlSeconds ?? 3600, now });
  const unsafe: UnsafeSwitches = {
    skipLock: false,
    skipFence: false,
    skipUnique: false,
    delayBeforeSaveMs: 0,
    ...deps.unsafe,
  };
  const fairShare = createFairShare({
    store,
    fair: createFairShareStore(database.db, database.engine),
    audit,
    clock,
    logger,
    events: deps.events?.publisher,
    settings: {
      defaultMinutes: deps.quota?.defaultMinutes ?? 600,
      refundNoticeMs: deps.quota?.refundNoticeMs ?? 72 * 3_600_000,
      holdMs: deps.waitlist?.holdMs ?? 120_000,
    },
  });
  const receipts = await createReceiptSigner({
    privateKeyPem: deps.receipts?.privateKeyPem ?? DEV_RECEIPT_SIGNING_KEY,
    now,
  });
  const bookings = createBookingService({
    store,
    locks: deps.locks,
    audit,
    clock,
    service: SERVICE,
    lockTtlMs: deps.lockTtlMs ?? 10_000,
    unsafe,
    events: deps.events?.publisher,
    fairShare,
    receipts,
  });
  const idempotency = createIdempotencyStore(database.db, now);

  const app = await createHttpApp({
    service: SERVICE,
    logger,
    title: 'SCTEC — servico-agendamento',
    description:
      'Scheduling of a shared space telescope: scientists, telescopes and 5-minute bookings, with HAL links.',
    rateLimitPerMinute: deps.rateLimitPerMinute ?? 0,
    bodyLimit: deps.bodyLimitBytes ?? 16_384,
    trustProxy: deps.trustProxy ?? false,
    health: async () => {
      try {
        await store.listTelescopes();
        return { database: 'ok' };
      } catch (error) {
        return { database: String(error) };
      }
    },
  });
  const webClient = registerWebRoutes(app, { dir: deps.webClientDir ?? DEFAULT_WEB_CLIENT_DIR });
  registerRootRoutes(app, { tokens, now, webClient });
  registerAccountRoutes(app, { store, tokens, now, fairShare });
  registerBookingRoutes(app, { store, bookings, idempotency, tokens, audit, now });
  registerWaitlistRoutes(app, { store, bookings, fairShare, tokens, now, idempotency });
  registerReceiptRoutes(app, { signer: receipts });
  const sweepMs = deps.waitlist?.sweepMs ?? 1000;
  if (sweepMs > 0) {
    let stopSweeper: (() => Promise<void>) | undefined;
    app.addHook('onReady', async () => {
      stopSweeper = fairShare.startSweeper(sweepMs);
    });
    app.addHook('preClose', async () => stopSweeper?.());
  }
  const relay = deps.events?.relay;
  registerEventRoutes(app, { relay });
  if (relay !== undefined) {
    app.addHook('onReady', async () => relay.start());
    // Before the server waits for open connections: browser streams would otherwise hold it up.
    app.addHook('preClose', async () => relay.close());
  }
  return app;
}
