export * from './domain/produtos.js';
export * from './domain/query.js';
export * from './domain/ids.js';
export { buildApp, SERVICE, type CatalogoApp, type CatalogoDeps } from './app.js';
export {
  createCatalogoService,
  type CatalogoService,
  type CatalogoServiceDeps,
} from './application/catalogo-service.js';
export { catalogoConfigSchema } from './config.js';
export { catalogoMigrations } from './adapters/migrations.js';
export { importCatalogoSeed } from './adapters/seed-import.js';
export type { CatalogoTables } from './adapters/schema.js';
