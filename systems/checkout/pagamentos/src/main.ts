import { runCheckoutMain } from '@dslab/checkout-kit';
import { loadConfigOrExit } from '@dslab/config';
import { pagamentosMigrations } from './adapters/migrations.js';
import { importPagamentosSeed } from './adapters/seed-import.js';
import { buildApp, SERVICE } from './app.js';
import { checkPagamentosConfig, pagamentosConfigSchema, simulatorFromConfig } from './config.js';

const { config, notes } = loadConfigOrExit(pagamentosConfigSchema, SERVICE, { check: checkPagamentosConfig });

await runCheckoutMain({
  service: SERVICE,
  config,
  notes,
  migrations: pagamentosMigrations,
  importSeed: importPagamentosSeed,
  build: (deps) => {
    const simulator = simulatorFromConfig(config);
    deps.logger.info(
      `Simulador de pagamentos: ${simulator.minMs}–${simulator.maxMs} ms, taxa de rejeição ${simulator.rejectionProbability}` +
        (config.PAGAMENTO_SEED === undefined ? '' : `, semente ${config.PAGAMENTO_SEED}`),
    );
    return buildApp({ ...deps, simulator, seed: config.PAGAMENTO_SEED });
  },
});
