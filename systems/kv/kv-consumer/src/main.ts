/**
 * kv-consumer: config → engines → applier → consume add_key and del_key → /health and /metrics.
 * SIGTERM/SIGINT stop taking messages, let the ones in flight be applied and acknowledged (an
 * unacknowledged one is redelivered to another consumer anyway), then close the engines.
 */
import { loadConfigOrExit } from '@dslab/config';
import { serve } from '@dslab/http-kit';
import { combineProbes, createKvApplier, openKvEnginesOrExit } from '@dslab/kv-core';
import { createServiceLogger } from '@dslab/logging';
import { buildKvConsumerApp, SERVICE } from './app.js';
import { kvConsumerConfigOptions, kvConsumerConfigSchema, retryDelay } from './config.js';
import { startKvConsumer, type RunningKvConsumer } from './consumer.js';
import { createKvConsumerMetrics } from './metrics.js';

const { config, notes } = loadConfigOrExit(kvConsumerConfigSchema, SERVICE, kvConsumerConfigOptions);
const logger = createServiceLogger(SERVICE, config, notes);

const engines = await openKvEnginesOrExit(config, {
  connectionName: SERVICE,
  logger,
  whileRedisIsDown: 'as escritas serão reprocessadas quando voltar',
});

const { store, cache, bus, queues } = engines;
let consumer: RunningKvConsumer | undefined;
const app = await buildKvConsumerApp({
  logger,
  health: combineProbes({
    consumer: async () => (consumer?.consuming === true ? 'ok' : 'not consuming'),
    ...engines.probes,
  }),
});
try {
  consumer = await startKvConsumer({
    bus,
    applier: createKvApplier({ store, cache, logger }),
    queues,
    logger,
    metrics: createKvConsumerMetrics({ registry: app.metrics, bus, queues }),
    consume: {
      prefetch: config.KV_PREFETCH,
      maxAttempts: config.KV_MAX_ATTEMPTS,
      retryDelayMs: retryDelay(config.KV_RETRY_MAX_DELAY_MS),
    },
  });
} catch (error) {
  logger.error(
    `Não foi possível consumir as filas do KV: ${error instanceof Error ? error.message : String(error)}`,
  );
  await engines.close().catch(() => undefined);
  logger.close();
  process.exit(1);
}
const running = consumer;
await serve(app, {
  port: config.KV_CONSUMER_PORT,
  host: config.HOST,
  logger,
  onShutdown: async () => {
    await running.stop();
    await engines.close();
  },
});
const address = app.server.address();
const port = typeof address === 'object' && address !== null ? address.port : config.KV_CONSUMER_PORT;
logger.info(`kv-consumer: /health e /metrics na porta ${port}; usa ${engines.description}`);
