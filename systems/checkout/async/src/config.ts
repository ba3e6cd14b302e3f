/**
 * The settings of the asynchronous checkout's deployables: the worker process (worker-main.ts)
 * and the embedded single process (embedded-main.ts). Each main parses them once (the only
 * reader of process.env); the launcher parses the same schemas to check a start before it spawns.
 */
import { ASYNC_SERVICES, type AsyncService } from '@dslab/checkout-contracts/messages';
import { DEFAULT_PORTS } from '@dslab/checkout-kit';
import { fiscalConfigSchema } from '@dslab/checkout-fiscal';
import { logisticaConfigSchema } from '@dslab/checkout-logistica';
import { pagamentosConfigSchema, validateSimulatorConfig } from '@dslab/checkout-pagamentos';
import {
  DEFAULT_MAX_REDRIVES,
  DEFAULT_STALL_AFTER_MS,
  DEFAULT_SWEEP_INTERVAL_MS,
  pedidosConfigSchema,
} from '@dslab/checkout-pedidos';
import { env, type ConfigOf, type ConfigOptions, type Field } from '@dslab/config';
import { loggingSettings } from '@dslab/logging';
import type { SeedSettings } from './databases.js';
import type { AsyncRuntimeSettings, RedriveSettings, StepSettings } from './runtime.js';

/** The worker's /health and /metrics port; with several workers on one machine, 8110, 8111, … */
export const DEFAULT_HEALTH_PORT = 8110;

/** Queue names are `<prefix>.<service>.comandos` and `<prefix>.pedidos.eventos`. */
export const DEFAULT_QUEUE_PREFIX = 'checkout';

/** PostgreSQL schemas are `<prefix><service>`, the services' own defaults (checkout_pedidos, …). */
export const DEFAULT_SCHEMA_PREFIX = 'checkout_';

/** A queue prefix: what RabbitMQ accepts in a name, short enough to leave room for the suffixes. */
function queuePrefixSetting(description: string): Field<string> {
  return {
    description,
    fallback: { value: DEFAULT_QUEUE_PREFIX, devOnly: false },
    parse: (raw) =>
      /^[A-Za-z0-9_.-]{1,100}$/.test(raw)
        ? { ok: true, value: raw }
        : { ok: false, message: `must be 1–100 letters, digits, '_', '.' or '-', got "${raw}"` },
  };
}

/** A schema prefix: `<prefix><service>` must be a PostgreSQL identifier the db package accepts. */
function schemaPrefixSetting(description: string): Field<string> {
  return {
    description,
    fallback: { value: DEFAULT_SCHEMA_PREFIX, devOnly: false },
    parse: (raw) =>
      /^[a-z_][a-z0-9_]{0,40}$/.test(raw)
        ? { ok: true, value: raw }
        : { ok: false, message: `must be lower-case letters, digits or '_' (at most 41), got "${raw}"` },
  };
}

/** WORKER_SERVICES: a comma-separated subset of the five queues' owners, no repeats. */
function servicesSetting(description: string): Field<readonly AsyncService[]> {
  return {
    description,
    fallback: { value: ASYNC_SERVICES, devOnly: false },
    parse(raw) {
      const names = raw
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '');
      const unknown = names.filter((name) => !(ASYNC_SERVICES as readonly string[]).includes(name));
      if (names.length === 0 || unknown.length > 0)
        return {
          ok: false,
          message: `must list some of ${ASYNC_SERVICES.join(', ')} (comma-separated), got "${raw}"`,
        };
      if (new Set(names).size !== names.length)
        return { ok: false, message: `names a service twice: "${raw}"` };
      return { ok: true, value: names as AsyncService[] };
    },
  };
}

/** What both deployables share: storage, seed import, queues, consumers, the step simulators. */
const commonSettings = {
  HOST: env.string('interface to listen on').default('0.0.0.0'),
  DATA_DIR: env
    .string('directory of the SQLite files <service>.db (when DATABASE_URL is not set) and app.log')
    .default('./data/checkout'),
  ...loggingSettings,
  ECOMMERCE_DB: env
    .string("the seed's synthetic ecommerce.db each database imports its initial data from (npm run datagen)")
    .default('./data/ecommerce.db'),
  SEED_IMPORT: env.bool('import the initial data from ECOMMERCE_DB into an empty database').default(true),
  QUEUE_PREFIX: queuePrefixSetting(
    'namespace of the queues: <prefix>.<service>.comandos and <prefix>.pedidos.eventos',
  ),
  PREFETCH: env
    .int('messages handled at once per queue and process (RabbitMQ prefetch)', { min: 1, max: 1000 })
    .default(16),
  MAX_ATTEMPTS: env
    .int('deliveries of a failing message before it goes to the dead-letter queue', { min: 1, max: 100 })
    .default(8),
  STEP_TIMEOUT_MS: env
    .int('deadline of one step (a payment, a reservation, …) in a worker', { min: 100, max: 300_000 })
    .default(30_000),
  STALL_AFTER_MS: env
    .int(
      'an order untouched this long (× 2 per re-send, up to 64 ×) is stalled: the orchestrator sends its command again',
      { min: 100, max: 86_400_000 },
    )
    .default(DEFAULT_STALL_AFTER_MS),
  SWEEP_INTERVAL_MS: env
    .int('how often the orchestrator looks for stalled orders; 0 turns the sweep off', {
      min: 0,
      max: 3_600_000,
    })
    .default(DEFAULT_SWEEP_INTERVAL_MS),
  MAX_REDRIVES: env
    .int('re-sends of one step of a stalled order before it is left to an operator (logged at error)', {
      min: 0,
      max: 1000,
    })
    .default(DEFAULT_MAX_REDRIVES),
  PAGAMENTO_LATENCIA_MIN_MS: pagamentosConfigSchema.PAGAMENTO_LATENCIA_MIN_MS,
  PAGAMENTO_LATENCIA_MAX_MS: pagamentosConfigSchema.PAGAMENTO_LATENCIA_MAX_MS,
  PAGAMENTO_TAXA_REJEICAO: pagamentosConfigSchema.PAGAMENTO_TAXA_REJEICAO,
  PAGAMENTO_SEED: pagamentosConfigSchema.PAGAMENTO_SEED,
  FISCAL_UF: fiscalConfigSchema.FISCAL_UF,
  FISCAL_CNPJ: fiscalConfigSchema.FISCAL_CNPJ,
  FISCAL_SERIE: fiscalConfigSchema.FISCAL_SERIE,
  FISCAL_SEED: fiscalConfigSchema.FISCAL_SEED,
  LOGISTICA_SEED: logisticaConfigSchema.LOGISTICA_SEED,
};

/** Every setting of the worker process (worker-main.ts). */
export const workerConfigSchema = {
  ...commonSettings,
  AMQP_URL: env.url('RabbitMQ the workers consume from and publish to', { protocols: ['amqp', 'amqps'] }),
  DATABASE_URL: env
    .url('PostgreSQL of the services (one schema each); unset: SQLite files in DATA_DIR', {
      protocols: ['postgres', 'postgresql'],
    })
    .optional(),
  DATABASE_SCHEMA_PREFIX: schemaPrefixSetting(
    "PostgreSQL schemas are <prefix><service>, like the services' own (checkout_pedidos, …)",
  ),
  DATABASE_POOL_SIZE: env
    .int('PostgreSQL connections per service database and process', { min: 1, max: 100 })
    .default(4),
  WORKER_SERVICES: servicesSetting(
    `the queues this process consumes (comma-separated, default all: ${ASYNC_SERVICES.join(',')}); pedidos is the orchestrator`,
  ),
  HEALTH_PORT: env.port('HTTP port of GET /health and GET /metrics').default(DEFAULT_HEALTH_PORT),
};

export type WorkerConfig = ConfigOf<typeof workerConfigSchema>;

/** The payment simulator's cross-field rules, one message per broken rule. */
function checkSimulator(config: {
  readonly PAGAMENTO_LATENCIA_MIN_MS: number;
  readonly PAGAMENTO_LATENCIA_MAX_MS: number;
  readonly PAGAMENTO_TAXA_REJEICAO: number;
}): string[] {
  const checked = validateSimulatorConfig({
    minMs: config.PAGAMENTO_LATENCIA_MIN_MS,
    maxMs: config.PAGAMENTO_LATENCIA_MAX_MS,
    rejectionProbability: config.PAGAMENTO_TAXA_REJEICAO,
  });
  if (checked.ok) return [];
  return checked.errors.map((e) =>
    e.field === 'maxMs'
      ? `PAGAMENTO_LATENCIA_MAX_MS (${config.PAGAMENTO_LATENCIA_MAX_MS}) must not be less than PAGAMENTO_LATENCIA_MIN_MS (${config.PAGAMENTO_LATENCIA_MIN_MS})`
      : `PAGAMENTO_*: ${e.reason}`,
  );
}

export const workerConfigOptions: ConfigOptions<typeof workerConfigSchema> = { check: checkSimulator };

/**
 * Every setting of the embedded mode (embedded-main.ts): one process, the in-process bus, SQLite
 * files in DATA_DIR, catalogo and the pedidos API listening, and every worker.
 */
export const embeddedConfigSchema = {
  ...commonSettings,
  HTTP_PORT: env
    .port('HTTP port of the pedidos API (POST /auth/login, /pedidos, /docs)')
    .default(DEFAULT_PORTS.pedidos.http),
  GRPC_PORT: env.port('gRPC port of pedidos').default(DEFAULT_PORTS.pedidos.grpc),
  CATALOGO_HTTP_PORT: env.port('HTTP port of catalogo').default(DEFAULT_PORTS.catalogo.http),
  CATALOGO_GRPC_PORT: env.port('gRPC port of catalogo').default(DEFAULT_PORTS.catalogo.grpc),
  CHECKOUT_JWT_SECRET: pedidosConfigSchema.CHECKOUT_JWT_SECRET,
  CHECKOUT_SENHA_PADRAO: pedidosConfigSchema.CHECKOUT_SENHA_PADRAO,
  TOKEN_TTL_SECONDS: pedidosConfigSchema.TOKEN_TTL_SECONDS,
  REQUEST_TIMEOUT_MS: pedidosConfigSchema.REQUEST_TIMEOUT_MS,
};

export type EmbeddedConfig = ConfigOf<typeof embeddedConfigSchema>;

export const embeddedConfigOptions: ConfigOptions<typeof embeddedConfigSchema> = {
  check: checkSimulator,
};

/** The fields both deployables' configs have (the common settings). */
type CommonConfig = ConfigOf<typeof commonSettings>;

/** The step services' settings from a parsed config. */
export function stepSettingsOf(config: CommonConfig): StepSettings {
  return {
    simulator: {
      minMs: config.PAGAMENTO_LATENCIA_MIN_MS,
      maxMs: config.PAGAMENTO_LATENCIA_MAX_MS,
      rejectionProbability: config.PAGAMENTO_TAXA_REJEICAO,
    },
    pagamentoSeed: config.PAGAMENTO_SEED,
    emitente: { cUF: config.FISCAL_UF, cnpj: config.FISCAL_CNPJ, serie: config.FISCAL_SERIE },
    fiscalSeed: config.FISCAL_SEED,
    logisticaSeed: config.LOGISTICA_SEED,
  };
}

/** The orchestrator's sweep for stalled orders, from a parsed config. */
export function redriveSettingsOf(config: CommonConfig): RedriveSettings {
  return {
    stallAfterMs: config.STALL_AFTER_MS,
    sweepIntervalMs: config.SWEEP_INTERVAL_MS,
    maxRedrives: config.MAX_REDRIVES,
  };
}

/** The runtime's settings from a parsed config: the queues, the consumers, the steps, the sweep. */
export function runtimeSettingsOf(config: CommonConfig): AsyncRuntimeSettings {
  return {
    queuePrefix: config.QUEUE_PREFIX,
    prefetch: config.PREFETCH,
    maxAttempts: config.MAX_ATTEMPTS,
    stepTimeoutMs: config.STEP_TIMEOUT_MS,
    steps: stepSettingsOf(config),
    redrive: redriveSettingsOf(config),
  };
}

/** What the databases import on first start (undefined when SEED_IMPORT is off). */
export function seedSettingsOf(config: CommonConfig): SeedSettings | undefined {
  if (!config.SEED_IMPORT) return undefined;
  // The imported dispatches' codes: the service's own draws are LOGISTICA_SEED's (runtime.ts).
  return { file: config.ECOMMERCE_DB, fiscalSerie: config.FISCAL_SERIE, random: Math.random };
}

/** One line about the step simulators, for the start-up log. */
export function describeSteps(config: CommonConfig): string {
  return (
    `Simulador de pagamentos: ${config.PAGAMENTO_LATENCIA_MIN_MS}–${config.PAGAMENTO_LATENCIA_MAX_MS} ms, ` +
    `taxa de rejeição ${config.PAGAMENTO_TAXA_REJEICAO}` +
    (config.PAGAMENTO_SEED === undefined ? '' : `, semente ${config.PAGAMENTO_SEED}`)
  );
}

/** What the dead-letter command (dlq-main.ts) reads: the broker and the queues' namespace. */
export const dlqConfigSchema = {
  AMQP_URL: env.url('RabbitMQ whose checkout dead-letter queues are listed or replayed', {
    protocols: ['amqp', 'amqps'],
  }),
  QUEUE_PREFIX: queuePrefixSetting(
    'namespace of the queues: <prefix>.<service>.comandos and <prefix>.pedidos.eventos',
  ),
};
