import { runCheckoutMain } from '@dslab/checkout-kit';
import { loadConfigOrExit } from '@dslab/config';
import { fiscalMigrations } from './adapters/migrations.js';
import { importFiscalSeed } from './adapters/seed-import.js';
import { buildApp, SERVICE } from './app.js';
import { fiscalConfigSchema } from './config.js';
import { formatCnpj } from './domain/cnpj.js';

const { config, notes } = loadConfigOrExit(fiscalConfigSchema, SERVICE);

await runCheckoutMain({
  service: SERVICE,
  config,
  notes,
  migrations: fiscalMigrations,
  importSeed: (trx, engine, dataset) => importFiscalSeed(trx, engine, dataset, config.FISCAL_SERIE),
  build: (deps) => {
    deps.logger.info(
      `Emitente: CNPJ ${formatCnpj(config.FISCAL_CNPJ)}, UF ${config.FISCAL_UF}, série ${config.FISCAL_SERIE}`,
    );
    return buildApp({
      ...deps,
      seed: config.FISCAL_SEED,
      emitente: { cUF: config.FISCAL_UF, cnpj: config.FISCAL_CNPJ, serie: config.FISCAL_SERIE },
    });
  },
});
