export { buildKvConsumerApp, SERVICE, type KvConsumerAppDeps } from './app.js';
export {
  kvConsumerConfigOptions,
  kvConsumerConfigSchema,
  kvConsumerEngineSettings,
  retryDelay,
  type KvConsumerConfig,
} from './config.js';
export { startKvConsumer, type KvConsumerDeps, type RunningKvConsumer } from './consumer.js';
export { openKvEngines, type EngineSettings, type KvEngines } from './engines.js';
export { boundedProbe, combineProbes, engineHealth, engineProbes, type Probe } from './health.js';
export { createKvConsumerMetrics, type KvConsumerMetrics } from './metrics.js';
