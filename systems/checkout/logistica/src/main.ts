import { runCheckoutMain } from '@dslab/checkout-kit';
import { loadConfigOrExit } from '@dslab/config';
import { randomSource } from '@dslab/random';
import { logisticaMigrations } from './adapters/migrations.js';
import { importLogisticaSeed } from './adapters/seed-import.js';
import { buildApp, SERVICE } from './app.js';
import { logisticaConfigSchema } from './config.js';

const { config, notes } = loadConfigOrExit(logisticaConfigSchema, SERVICE);
// One source for the imported dispatches' codes and the service's: a seed reproduces both.
const random = randomSource({ seed: config.LOGISTICA_SEED });

await runCheckoutMain({
  service: SERVICE,
  config,
  notes,
  migrations: logisticaMigrations,
  importSeed: (trx, engine, dataset) => importLogisticaSeed(trx, engine, dataset, random),
  build: (deps) => buildApp({ ...deps, random }),
});
