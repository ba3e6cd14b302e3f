import { runCheckoutMain } from '@dslab/checkout-kit';
import { loadConfigOrExit } from '@dslab/config';
import { estoqueMigrations } from './adapters/migrations.js';
import { importEstoqueSeed } from './adapters/seed-import.js';
import { buildApp, SERVICE } from './app.js';
import { estoqueConfigSchema } from './config.js';

const { config, notes } = loadConfigOrExit(estoqueConfigSchema, SERVICE);

await runCheckoutMain({
  service: SERVICE,
  config,
  notes,
  migrations: estoqueMigrations,
  importSeed: importEstoqueSeed,
  build: buildApp,
});
