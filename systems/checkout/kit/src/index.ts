/**
 * What the six checkout services share beyond the platform packages: their names and ports, the
 * common settings, the per-service database with its operation record, and the first-start
 * import of the seed's ecommerce.db.
 */
export * from './services.js';
export * from './settings.js';
export * from './database.js';
export * from './seed.js';
export * from './run.js';
export * from './http-app.js';
export * from './service-main.js';
export * from './money.js';
export * from './validation.js';
export * from './transaction.js';
export * from './http-routes.js';
export * from './grpc-handlers.js';
export * from './seed-import.js';
export * from './worker.js';
