/**
 * kv-api: config → engines → use cases → app → listen. SIGTERM/SIGINT stop accepting, let
 * in-flight requests finish (their publishes are confirmed or fail), then close the broker,
 * Redis and PostgreSQL.
 */
import { loadConfigOrExit } from '@dslab/config';
import { serve } from '@dslab/http-kit';
import { createKvReader, createKvWriter, openKvEnginesOrExit } from '@dslab/kv-core';
import { createServiceLogger } from '@dslab/logging';
import { buildKvApi, SERVICE } from './app.js';
import { kvApiConfigOptions, kvApiConfigSchema } from './config.js';

const { config, notes } = loadConfigOrExit(kvApiConfigSchema, SERVICE, kvApiConfigOptions);
const logger = createServiceLogger(SERVICE, config, notes);

const engines = await openKvEnginesOrExit(config, {
  connectionName: SERVICE,
  logger,
  whileRedisIsDown: 'as leituras seguem pelo PostgreSQL',
  bus: { publishTimeoutMs: config.PUBLISH_TIMEOUT_MS },
});

const { store, cache, bus, queues } = engines;
const app = await buildKvApi({
  logger,
  reader: createKvReader({ store, cache, logger, minVersionWaitMs: config.KV_MIN_VERSION_WAIT_MS }),
  writer: createKvWriter({ store, bus, queues, now: () => new Date(), logger }),
  health: engines.health,
  rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
});
await serve(app, { port: config.KV_PORT, host: config.HOST, logger, onShutdown: () => engines.close() });
const address = app.server.address();
// The seed's line, with the port really bound (KV_PORT=0 picks a free one).
logger.info(
  `API listening on port ${typeof address === 'object' && address !== null ? address.port : config.KV_PORT}`,
);
logger.info(`kv-api usa ${engines.description}`);
