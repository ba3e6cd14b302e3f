export * from './domain/checkout-request.js';
export * from './domain/total.js';
export * from './domain/status.js';
export * from './domain/compensation.js';
