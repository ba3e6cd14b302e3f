export * from './domain/mod11.js';
export * from './domain/cnpj.js';
export * from './domain/chave-acesso.js';
export * from './domain/numero.js';
export * from './domain/emissao.js';
export { buildApp, DEFAULT_EMITENTE, SERVICE, type FiscalApp, type FiscalDeps } from './app.js';
export { DEVELOPMENT_CNPJ, fiscalConfigSchema } from './config.js';
export { fiscalMigrations } from './adapters/migrations.js';
export { importFiscalSeed } from './adapters/seed-import.js';
export type { FiscalTables } from './adapters/schema.js';
export {
  createFiscalService,
  toNotaFiscalValue,
  type Emissao,
  type Emitente,
  type FiscalService,
  type FiscalServiceDeps,
} from './application/fiscal-service.js';
export { fiscalCommandHandler } from './entry-points/broker.js';
