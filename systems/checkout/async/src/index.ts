/**
 * The asynchronous checkout's runtime (seed 004 on RabbitMQ): the services' databases opened for
 * the workers, the step workers, relays and orchestrator in one process, the worker deployable's
 * settings and health endpoint, the embedded single-process mode, and the dead-letter command.
 */
export * from './config.js';
export { CHECKOUT_PROCESS_SETTINGS } from './child-environment.js';
export * from './databases.js';
export * from './runtime.js';
export * from './embedded.js';
export * from './dlq.js';
export { metricsText, startHealthServer, type HealthServer } from './health-server.js';
export { serviceLoggers, type ServiceLoggers } from './loggers.js';
