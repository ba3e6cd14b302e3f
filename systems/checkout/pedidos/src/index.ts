export * from './domain/checkout-request.js';
export * from './domain/total.js';
export * from './domain/status.js';
export * from './domain/compensation.js';
export { buildApp, SERVICE, type PedidosApp, type PedidosDeps } from './app.js';
export { pedidosConfigSchema } from './config.js';
export { pedidosMigrations } from './adapters/migrations.js';
export { importPedidosSeed } from './adapters/seed-import.js';
export type { PedidosTables } from './adapters/schema.js';
export { createPedidosService, type Neighbours, type PedidosService } from './application/pedidos-service.js';
export * from './domain/saga.js';
export { buildAsyncApp, type PedidosAsyncApp, type PedidosAsyncDeps } from './app-async.js';
export {
  createOrchestrator,
  eventOf,
  ORCHESTRATOR_CONSUMER,
  type EventOutcome,
  type Orchestrator,
  type OrchestratorDeps,
} from './application/orchestrator.js';
export * from './domain/redrive.js';
export {
  createRedriver,
  DEFAULT_MAX_REDRIVES,
  DEFAULT_STALL_AFTER_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  DEFAULT_SWEEP_LIMIT,
  type RedriveDeps,
  type RedriveOptions,
  type RedriveResult,
  type Redriver,
} from './application/redrive.js';
export {
  createAsyncCheckout,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type AsyncCheckout,
  type AuthSettings,
  type Cliente,
  type CriarPedidoAsyncInput,
  type HistoricoValue,
  type PedidoDetalhe,
} from './application/async-checkout.js';
export { createCredentialsStore, type CredentialsStore } from './adapters/credentials.js';
export type { CriarPedidoInput } from './application/order-intake.js';
