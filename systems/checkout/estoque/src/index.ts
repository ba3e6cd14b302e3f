export * from './domain/reserva.js';
export * from './domain/request.js';
export { buildApp, SERVICE, type EstoqueApp, type EstoqueDeps } from './app.js';
export {
  createEstoqueService,
  type EstoqueService,
  type EstoqueServiceDeps,
  type Outcome,
} from './application/estoque-service.js';
export { estoqueConfigSchema } from './config.js';
export { estoqueMigrations } from './adapters/migrations.js';
export { importEstoqueSeed } from './adapters/seed-import.js';
export type { EstoqueTables } from './adapters/schema.js';
export { estoqueCommandHandler } from './entry-points/broker.js';
