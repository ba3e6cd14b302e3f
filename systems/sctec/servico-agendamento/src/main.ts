import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '@dslab/clock';
import { loadConfigOrExit } from '@dslab/config';
import { serve } from '@dslab/http-kit';
import { createEventPublisher } from '@dslab/event-client';
import { createLockClient } from '@dslab/lock-client';
import { createServiceLogger } from '@dslab/logging';
import { buildApp, SERVICE } from './app.js';
import { prepareDatabase } from './bootstrap.js';
import { schedulerConfigSchema } from './config.js';
import { createSchedulerStore } from './adapters/store.js';
import { createEventRelay } from './entry-points/http/routes-events.js';

const { config, notes } = loadConfigOrExit(schedulerConfigSchema, SERVICE);
const logger = createServiceLogger(SERVICE, config, notes);

const unsafe = {
  skipLock: config.UNSAFE_SKIP_LOCK,
  skipFence: config.UNSAFE_SKIP_FENCE,
  skipUnique: config.UNSAFE_SKIP_UNIQUE,
};
for (const [name, on] of Object.entries(unsafe)) {
  if (on)
    logger.warn(`MODO INSEGURO (${name}): a exclusão mútua está desligada; use apenas em demonstrações`);
}

const database = await prepareDatabase(
  {
    databaseUrl: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    sqliteFile: join(config.DATA_DIR, 'sctec.db'),
  },
  { adminEmail: config.ADMIN_EMAIL, adminPassword: config.ADMIN_PASSWORD, now: systemClock.now() },
  logger,
);
if (unsafe.skipUnique) {
  await createSchedulerStore(database.db).dropSlotUniqueIndex();
} else {
  try {
    await createSchedulerStore(database.db).ensureSlotUniqueIndex();
  } catch (error) {
    logger.error(
      `O banco contém agendamentos ativos duplicados (de uma demonstração insegura?); resolva-os antes de iniciar: ${String(error)}`,
    );
    process.exit(1);
  }
}

const locks = createLockClient({ baseUrl: config.COORDINATOR_URL, secret: config.COORDINATOR_SECRET });
const publisher = createEventPublisher({
  baseUrl: config.COORDINATOR_URL,
  secret: config.COORDINATOR_SECRET,
  timeoutMs: config.EVENTS_PUBLISH_TIMEOUT_MS,
});
const relay = createEventRelay({
  url: `${config.COORDINATOR_URL.replace(/\/+$/, '')}/eventos`,
  secret: config.COORDINATOR_SECRET,
  logger,
});
const app = await buildApp({
  database,
  locks,
  logger,
  clock: systemClock,
  jwtSecret: config.JWT_SECRET,
  jwtTtlSeconds: config.JWT_TTL_SECONDS,
  lockTtlMs: config.LOCK_TTL_MS,
  rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
  bodyLimitBytes: config.BODY_LIMIT_BYTES,
  trustProxy: config.TRUST_PROXY,
  unsafe: { ...unsafe, delayBeforeSaveMs: config.DEMO_DELAY_BEFORE_SAVE_MS },
  events: { publisher, relay },
  webClientDir: config.WEB_CLIENT_DIR,
  quota: {
    defaultMinutes: config.QUOTA_DEFAULT_MINUTES,
    refundNoticeMs: config.QUOTA_REFUND_NOTICE_HOURS * 3_600_000,
  },
  waitlist: { holdMs: config.HOLD_SECONDS * 1000, sweepMs: config.WAITLIST_SWEEP_MS },
  receipts: { privateKeyPem: config.RECEIPT_SIGNING_KEY },
});
if (!existsSync(join(config.WEB_CLIENT_DIR, 'index.html'))) {
  logger.warn(`Cliente web não encontrado em ${config.WEB_CLIENT_DIR}; execute npm run build:web`);
}
const address = await serve(app, {
  port: config.SCHEDULER_PORT,
  host: config.HOST,
  logger,
  onShutdown: async () => {
    await locks.close();
    await publisher.close();
    await database.close();
  },
});
logger.info(`servico-agendamento ouvindo em ${address} (coordenador: ${config.COORDINATOR_URL})`);
