export * from './domain/simulator.js';
export * from './domain/status.js';
export * from './domain/request.js';
export * from './domain/idempotency.js';
export { buildApp, SERVICE, type PagamentosApp, type PagamentosDeps } from './app.js';
export {
  createPagamentosService,
  MENSAGEM_ANULADO,
  toPagamentoValue,
  type Outcome,
  type PagamentosService,
  type PagamentosServiceDeps,
  type ProcessarInput,
} from './application/pagamentos-service.js';
export {
  checkPagamentosConfig,
  pagamentosConfigSchema,
  simulatorFromConfig,
  type PagamentosConfig,
} from './config.js';
export { pagamentosMigrations } from './adapters/migrations.js';
export type { PagamentosTables } from './adapters/schema.js';
export { importPagamentosSeed } from './adapters/seed-import.js';
export { idempotencyKeyOf, pagamentosCommandHandler } from './entry-points/broker.js';
