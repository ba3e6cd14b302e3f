export * from './domain/rastreamento.js';
export * from './domain/envio.js';
export * from './domain/agendamento.js';
export { buildApp, SERVICE, type LogisticaApp, type LogisticaDeps } from './app.js';
export { logisticaConfigSchema } from './config.js';
export { logisticaMigrations } from './adapters/migrations.js';
export { importLogisticaSeed } from './adapters/seed-import.js';
export type { LogisticaTables } from './adapters/schema.js';
export {
  createLogisticaService,
  toEnvioValue,
  type Agendamento,
  type LogisticaService,
  type LogisticaServiceDeps,
} from './application/logistica-service.js';
export { logisticaCommandHandler } from './entry-points/broker.js';
