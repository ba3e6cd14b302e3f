import { join } from 'node:path';
import { loadConfigOrExit } from '@dslab/config';
import { serve } from '@dslab/http-kit';
import { createServiceLogger } from '@dslab/logging';
import { createFileTokenStore } from './adapters/token-store.js';
import { buildApp, SERVICE } from './app.js';
import { coordinatorConfigSchema } from './config.js';
import { createLockEvents } from './lock-events.js';
import { createPlatformLockService, EVENT_ID_MARK_FILE, TOKEN_MARK_FILE } from './wiring.js';

const { config, notes } = loadConfigOrExit(coordinatorConfigSchema, SERVICE);
const logger = createServiceLogger(SERVICE, config, notes);

// Reserves the first block of tokens at once: an unwritable DATA_DIR fails the start-up here.
const markFile = join(config.DATA_DIR, TOKEN_MARK_FILE);
const tokens = createFileTokenStore(markFile);
const events = createLockEvents();
const lockService = createPlatformLockService({ tokens, events });
// Event ids keep growing across restarts too, so a subscriber's old Last-Event-ID reads as "too old".
const eventIds = createFileTokenStore(join(config.DATA_DIR, EVENT_ID_MARK_FILE));

const app = await buildApp({
  logger,
  lockService,
  events,
  secret: config.COORDINATOR_SECRET,
  defaultTtlMs: config.DEFAULT_TTL_MS,
  rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
  eventIds,
  eventBufferSize: config.EVENT_BUFFER_SIZE,
  eventHeartbeatMs: config.EVENT_HEARTBEAT_MS,
});
const address = await serve(app, {
  port: config.COORDINATOR_PORT,
  host: config.HOST,
  logger,
  onShutdown: () => lockService.close(),
});
logger.info(`servico-coordenador ouvindo em ${address} (marca de tokens de fencing: ${markFile})`);
if (config.COORDINATOR_SECRET === undefined) {
  logger.warn(
    'COORDINATOR_SECRET não definido: qualquer cliente que alcance esta porta pode travar e liberar recursos e publicar eventos',
  );
} else {
  logger.info(
    'COORDINATOR_SECRET definido: /lock, /unlock, /locks/* e /eventos exigem "Authorization: Bearer <segredo>"',
  );
}
