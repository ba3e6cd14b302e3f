export { buildApp, SERVICE, type SchedulerDeps } from './app.js';
export { DEFAULT_TELESCOPE, prepareDatabase } from './bootstrap.js';
export type { SchedulerTables } from './adapters/schema.js';
