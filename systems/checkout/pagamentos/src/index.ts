export * from './domain/simulator.js';
export * from './domain/status.js';
export * from './domain/request.js';
export * from './domain/idempotency.js';
