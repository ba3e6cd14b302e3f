export { buildKvApi, SERVICE, type KvApiDeps } from './app.js';
export {
  checkEngineSettings,
  kvApiConfigOptions,
  kvApiConfigSchema,
  kvEngineSettings,
  type KvApiConfig,
} from './config.js';
export { openKvEngines, openRedis, type EngineSettings, type KvEngines } from './engines.js';
export {
  boundedProbe,
  combineProbes,
  engineHealth,
  engineProbes,
  HEALTH_TIMEOUT_MS,
  type Probe,
} from './health.js';
export { keyOfQuery, QUEUED_MESSAGES, readHref, registerKvRoutes } from './entry-points/http/routes.js';
