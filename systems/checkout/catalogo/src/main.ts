import { createGrpcEstoqueClient, createRestEstoqueClient } from '@dslab/checkout-clients';
import { neighbourAddress, runCheckoutMain } from '@dslab/checkout-kit';
import { loadConfigOrExit } from '@dslab/config';
import { catalogoMigrations } from './adapters/migrations.js';
import { importCatalogoSeed } from './adapters/seed-import.js';
import { buildApp, SERVICE } from './app.js';
import { catalogoConfigSchema } from './config.js';

const { config, notes } = loadConfigOrExit(catalogoConfigSchema, SERVICE);

await runCheckoutMain({
  service: SERVICE,
  config,
  notes,
  migrations: catalogoMigrations,
  importSeed: importCatalogoSeed,
  build: (deps, onShutdown) => {
    const address = neighbourAddress(config, 'estoque');
    const estoque =
      config.TRANSPORT === 'grpc'
        ? createGrpcEstoqueClient(address.grpc)
        : createRestEstoqueClient(address.http);
    onShutdown(() => estoque.close());
    deps.logger.info(
      `Estoque via ${config.TRANSPORT} em ${config.TRANSPORT === 'grpc' ? address.grpc : address.http}`,
    );
    return buildApp({ ...deps, estoque });
  },
});
