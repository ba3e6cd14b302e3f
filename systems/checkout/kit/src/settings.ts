import { env, type ConfigOf, type Field } from '@dslab/config';
import { loggingSettings } from '@dslab/logging';
import { DEFAULT_PORTS, envPrefix, TRANSPORTS, type CheckoutService } from './services.js';

/** Longest budget any request may ask for (x-timeout-ms / grpc-timeout are capped here). */
export const MAX_REQUEST_TIMEOUT_MS = 60_000;

/** Budget of a request that names none (REQUEST_TIMEOUT_MS's default). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Largest accepted JSON body (BODY_LIMIT_BYTES's default). */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The settings every checkout service accepts; spread into its config schema. The service's own
 * settings (the payment simulator's, pedidos' neighbours) are added beside these.
 */
export function checkoutServiceSettings(service: CheckoutService) {
  return {
    HOST: env.string('interface to listen on (HTTP and gRPC)').default('0.0.0.0'),
    HTTP_PORT: env
      .port(`HTTP port of ${service} (REST, /docs, /health, /metrics)`)
      .default(DEFAULT_PORTS[service].http),
    GRPC_PORT: env.port(`gRPC port of ${service}`).default(DEFAULT_PORTS[service].grpc),
    DATA_DIR: env
      .string(`directory of ${service}.db (SQLite, when DATABASE_URL is not set) and app.log`)
      .default('./data/checkout'),
    DATABASE_URL: env
      .url(`PostgreSQL instead of the SQLite file (schema DATABASE_SCHEMA)`, {
        protocols: ['postgres', 'postgresql'],
      })
      .optional(),
    DATABASE_SCHEMA: env
      .string('PostgreSQL schema of this service (one per service: each owns its data)')
      .default(`checkout_${service}`),
    ECOMMERCE_DB: env
      .string("the seed's synthetic ecommerce.db the service imports its initial data from (npm run datagen)")
      .default('./data/ecommerce.db'),
    SEED_IMPORT: env.bool('import the initial data from ECOMMERCE_DB on first start').default(true),
    REQUEST_TIMEOUT_MS: env
      .int('budget of a request that names none (x-timeout-ms / gRPC deadline)', {
        min: 1,
        max: MAX_REQUEST_TIMEOUT_MS,
      })
      .default(DEFAULT_REQUEST_TIMEOUT_MS),
    BODY_LIMIT_BYTES: env
      .int('largest accepted JSON body', { min: 1024, max: 10 * 1024 * 1024 })
      .default(DEFAULT_BODY_LIMIT_BYTES),
    RATE_LIMIT_PER_MINUTE: env
      .int('requests per minute per client address; 0 (default) is off for these internal services', {
        min: 0,
      })
      .default(0),
    ...loggingSettings,
  };
}

/** The parsed common settings: what every service's config has (the kit's main reads these). */
export type CheckoutServiceConfig = ConfigOf<ReturnType<typeof checkoutServiceSettings>>;

type NeighbourSettings = Record<string, Field<string>>;

/**
 * Where a service finds the neighbours it calls, over both transports, and which transport it
 * uses (TRANSPORT). Defaults are the neighbours' default ports on 127.0.0.1.
 */
export function neighbourSettings(neighbours: readonly CheckoutService[]) {
  const addresses: NeighbourSettings = {};
  for (const name of neighbours) {
    const prefix = envPrefix(name);
    addresses[`${prefix}_HTTP_URL`] = env
      .url(`base URL of ${name}'s REST API`, { protocols: ['http', 'https'] })
      .default(`http://127.0.0.1:${DEFAULT_PORTS[name].http}`);
    addresses[`${prefix}_GRPC_ADDR`] = env
      .string(`host:port of ${name}'s gRPC server`)
      .default(`127.0.0.1:${DEFAULT_PORTS[name].grpc}`);
  }
  return {
    TRANSPORT: env.oneOf('how this service calls the others: grpc or rest', TRANSPORTS).default('rest'),
    ...addresses,
  };
}

/** The address of `name` from a parsed config that spread neighbourSettings. */
export function neighbourAddress(
  config: Readonly<Record<string, unknown>>,
  name: CheckoutService,
): { readonly http: string; readonly grpc: string } {
  const prefix = envPrefix(name);
  const http = config[`${prefix}_HTTP_URL`];
  const grpc = config[`${prefix}_GRPC_ADDR`];
  if (typeof http !== 'string' || typeof grpc !== 'string')
    throw new Error(`the configuration has no address settings for ${name} (spread neighbourSettings)`);
  return { http, grpc };
}
