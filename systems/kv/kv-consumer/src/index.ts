export { buildKvConsumerApp, SERVICE, type KvConsumerAppDeps } from './app.js';
export {
  kvConsumerConfigOptions,
  kvConsumerConfigSchema,
  retryDelay,
  type KvConsumerConfig,
} from './config.js';
export { startKvConsumer, type KvConsumerDeps, type RunningKvConsumer } from './consumer.js';
export { createKvConsumerMetrics, type KvConsumerMetrics } from './metrics.js';
