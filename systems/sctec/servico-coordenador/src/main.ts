import { join } from 'node:path';
import { loadConfigOrExit } from '@dslab/config';
import { serve } from '@dslab/http-kit';
import { createServiceLogger } from '@dslab/logging';
import { Redis } from 'ioredis';
import { createRedisEventFeed } from './adapters/event-feed-redis.js';
import { createFileTokenStore } from './adapters/token-store.js';
import type { EventFeed } from './event-feed.js';
import { buildApp, SERVICE } from './app.js';
import { coordinatorConfigOptions, coordinatorConfigSchema } from './config.js';
import { createLockEvents } from './lock-events.js';
import type { LockService } from './domain/lock-service.js';
import {
  createPlatformLockService,
  EVENT_ID_MARK_FILE,
  openSharedLockService,
  TOKEN_MARK_FILE,
  type SharedStoreSettings,
} from './wiring.js';

const { config, notes } = loadConfigOrExit(coordinatorConfigSchema, SERVICE, coordinatorConfigOptions);
const logger = createServiceLogger(SERVICE, config, notes);

const events = createLockEvents();

function sharedStoreSettings(): SharedStoreSettings | undefined {
  // The config's cross-field check already refused a shared store without its URL.
  if (config.LOCK_STORE === 'redis' && config.REDIS_URL !== undefined)
    return { kind: 'redis', url: config.REDIS_URL, prefix: config.LOCK_STORE_PREFIX };
  if (config.LOCK_STORE === 'postgres' && config.DATABASE_URL !== undefined)
    return { kind: 'postgres', url: config.DATABASE_URL, schema: config.LOCK_STORE_PREFIX };
  return undefined;
}

let lockService: LockService;
let closeLockStore: (() => Promise<void>) | undefined;
let tokenOrigin: string;
const settings = sharedStoreSettings();
if (settings === undefined) {
  // Reserves the first block of tokens at once: an unwritable DATA_DIR fails the start-up here.
  const markFile = join(config.DATA_DIR, TOKEN_MARK_FILE);
  lockService = createPlatformLockService({ tokens: createFileTokenStore(markFile), events });
  tokenOrigin = `estado dos locks em memória; marca de tokens de fencing: ${markFile}`;
} else {
  try {
    const shared = await openSharedLockService({
      settings,
      events,
      onConnectionError: (message) =>
        logger.warn(`Falha na conexão com o armazenamento de locks: ${message}`),
    });
    lockService = shared.lockService;
    closeLockStore = () => shared.close();
    // Tokens come from the store's counter, shared by every coordinator: the local mark file
    // (fencing-token.mark) is not used for lock tokens.
    tokenOrigin = `estado dos locks compartilhado em ${shared.description}; tokens de fencing do armazenamento, não de ${TOKEN_MARK_FILE}`;
  } catch (error) {
    logger.error(`Não foi possível abrir o armazenamento de locks (${config.LOCK_STORE}): ${String(error)}`);
    logger.close();
    process.exit(1);
  }
}
// Booking events: with a shared store on Redis, one Redis Stream numbers and carries them for
// every coordinator (a subscriber gets every event whichever coordinator took the POST).
let eventFeed: EventFeed | undefined;
if (config.LOCK_STORE !== 'memory' && config.REDIS_URL !== undefined) {
  try {
    eventFeed = await createRedisEventFeed({
      redis: new Redis(config.REDIS_URL, {
        maxRetriesPerRequest: 2,
        connectionName: 'servico-coordenador-events',
      }),
      ownsClient: true,
      prefix: config.LOCK_STORE_PREFIX,
      now: Date.now,
      logger,
      capacity: config.EVENT_BUFFER_SIZE,
      heartbeatMs: config.EVENT_HEARTBEAT_MS,
    });
  } catch (error) {
    logger.error(`Não foi possível abrir o fluxo de eventos compartilhado no Redis: ${String(error)}`);
    await closeLockStore?.();
    logger.close();
    process.exit(1);
  }
} else if (config.LOCK_STORE !== 'memory') {
  logger.warn(
    'Eventos de agendamento não compartilhados: sem REDIS_URL, cada coordenador só difunde os eventos que recebe',
  );
}
// Otherwise event ids keep growing across restarts through a mark file, so a subscriber's old
// Last-Event-ID reads as "too old".
const eventIds =
  eventFeed === undefined ? createFileTokenStore(join(config.DATA_DIR, EVENT_ID_MARK_FILE)) : undefined;

const app = await buildApp({
  logger,
  lockService,
  events,
  secret: config.COORDINATOR_SECRET,
  defaultTtlMs: config.DEFAULT_TTL_MS,
  rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
  ...(eventIds === undefined ? {} : { eventIds }),
  ...(eventFeed === undefined ? {} : { eventFeed }),
  eventBufferSize: config.EVENT_BUFFER_SIZE,
  eventHeartbeatMs: config.EVENT_HEARTBEAT_MS,
  ...(closeLockStore === undefined ? {} : { onClose: closeLockStore }),
});
const address = await serve(app, {
  port: config.COORDINATOR_PORT,
  host: config.HOST,
  logger,
  onShutdown: () => lockService.close(),
});
logger.info(`servico-coordenador ouvindo em ${address} (${tokenOrigin})`);
if (config.COORDINATOR_SECRET === undefined) {
  logger.warn(
    'COORDINATOR_SECRET não definido: qualquer cliente que alcance esta porta pode travar e liberar recursos e publicar eventos',
  );
} else {
  logger.info(
    'COORDINATOR_SECRET definido: /lock, /unlock, /locks/* e /eventos exigem "Authorization: Bearer <segredo>"',
  );
}
