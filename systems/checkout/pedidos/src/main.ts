import { closeClients, createClients } from '@dslab/checkout-clients';
import { neighbourAddress, runCheckoutMain } from '@dslab/checkout-kit';
import { loadConfigOrExit } from '@dslab/config';
import { pedidosMigrations } from './adapters/migrations.js';
import { importPedidosSeed } from './adapters/seed-import.js';
import { buildApp, SERVICE } from './app.js';
import { pedidosConfigSchema } from './config.js';

const { config, notes } = loadConfigOrExit(pedidosConfigSchema, SERVICE);

await runCheckoutMain({
  service: SERVICE,
  config,
  notes,
  migrations: pedidosMigrations,
  importSeed: importPedidosSeed,
  build: (deps, onShutdown) => {
    const address = (name: Parameters<typeof neighbourAddress>[1]) => neighbourAddress(config, name);
    const neighbours = createClients(config.TRANSPORT, {
      catalogo: address('catalogo'),
      pagamentos: address('pagamentos'),
      estoque: address('estoque'),
      fiscal: address('fiscal'),
      logistica: address('logistica'),
    });
    onShutdown(() => closeClients(neighbours));
    deps.logger.info(`Serviços vizinhos via ${config.TRANSPORT}`);
    return buildApp({
      ...deps,
      neighbours,
      compensationReserveMs: config.COMPENSATION_RESERVE_MS,
      recoveryIntervalMs: config.RECOVERY_INTERVAL_MS,
      recoveryBudgetMs: config.RECOVERY_BUDGET_MS,
    });
  },
});
