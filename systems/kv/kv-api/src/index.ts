export { buildKvApi, SERVICE, type KvApiDeps } from './app.js';
export { kvApiConfigOptions, kvApiConfigSchema, type KvApiConfig } from './config.js';
export { keyOfQuery, QUEUED_MESSAGES, readHref, registerKvRoutes } from './entry-points/http/routes.js';
