/**
 * The pure part of `npm run checkout` (start.ts): the command line, what each of the six services
 * is started with, and what is printed once they answer. No I/O here, so all of it is unit-tested
 * (start-options.test.ts); start.ts does the spawning, the waiting and the signals.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_OUT, DEFAULT_SEED, MAX_SEED } from '@dslab/checkout-datagen';
import {
  CHECKOUT_SERVICES,
  DEFAULT_PORTS,
  envPrefix,
  TRANSPORTS,
  type CheckoutService,
  type Transport,
} from '@dslab/checkout-kit';
import { passThroughEnvironment, redactPassword } from '@dslab/launcher';

export const STORAGE_ENGINES = ['sqlite', 'postgres'] as const;
export type StorageEngine = (typeof STORAGE_ENGINES)[number];

export const DEFAULT_DATA_DIR = './data/checkout';

/**
 * Who calls whom (docs/checkout.md): pedidos orchestrates the other five, catalogo reads live
 * stock from estoque, the rest call nobody. The Compose file wires the same edges (its test checks).
 */
export const NEIGHBOURS: Readonly<Record<CheckoutService, readonly CheckoutService[]>> = {
  pedidos: ['catalogo', 'pagamentos', 'estoque', 'fiscal', 'logistica'],
  pagamentos: [],
  estoque: [],
  fiscal: [],
  logistica: [],
  catalogo: ['estoque'],
};

export const USAGE = `npm run checkout -- [options]

Starts the six checkout services (pedidos, pagamentos, estoque, fiscal, logistica, catalogo) as
child processes on their default ports, waits until every /health answers, and prints where they
are with an example order. Ctrl-C stops them all.

  --transport grpc|rest      how pedidos and catalogo call their neighbours (rest)
  --engine sqlite|postgres   sqlite: one file per service in the data dir (sqlite);
                             postgres: DATABASE_URL from the environment, one schema per service
  --data-dir DIR             SQLite files, and each service's app.log in DIR/<service>/
                             (${DEFAULT_DATA_DIR})
  --seed N                   datagen seed, 0–${MAX_SEED}, used only when ${DEFAULT_OUT} does not exist
                             yet and is generated (${DEFAULT_SEED})
  --help

Other settings pass through from the environment to every service: LOG_LEVEL, LOG_FORMAT,
REQUEST_TIMEOUT_MS, SEED_IMPORT, the payment simulator's PAGAMENTO_LATENCIA_MIN_MS,
PAGAMENTO_LATENCIA_MAX_MS, PAGAMENTO_TAXA_REJEICAO and PAGAMENTO_SEED.`;

export interface StartOptions {
  readonly transport: Transport;
  readonly engine: StorageEngine;
  /** As given on the command line (relative paths resolve against the working directory). */
  readonly dataDir: string;
  /** The datagen seed; undefined when not given. */
  readonly seed: number | undefined;
  /** PostgreSQL URL (engine postgres only), from DATABASE_URL. */
  readonly databaseUrl: string | undefined;
}

export type ParsedCommandLine =
  | { readonly kind: 'start'; readonly options: StartOptions }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'usage-error'; readonly message: string };

function isOneOf<const T extends string>(value: string, allowed: readonly T[]): value is T {
  return (allowed as readonly string[]).includes(value);
}

/**
 * Parses argv (without node and the script) and the launcher's environment (only DATABASE_URL is
 * read). A bad command line is a 'usage-error' whose message says what is wrong; start.ts prints it
 * with USAGE and exits 2.
 */
export function parseStartOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedCommandLine {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        transport: { type: 'string', default: 'rest' },
        engine: { type: 'string', default: 'sqlite' },
        'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    return { kind: 'usage-error', message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { kind: 'help', text: USAGE };

  const problems: string[] = [];
  const transport = isOneOf(values.transport, TRANSPORTS) ? values.transport : undefined;
  if (transport === undefined)
    problems.push(`--transport must be ${TRANSPORTS.join(' or ')}, got "${values.transport}"`);
  const engine = isOneOf(values.engine, STORAGE_ENGINES) ? values.engine : undefined;
  if (engine === undefined)
    problems.push(`--engine must be ${STORAGE_ENGINES.join(' or ')}, got "${values.engine}"`);
  const dataDir = values['data-dir'];
  if (dataDir.trim() === '') problems.push('--data-dir needs a directory');
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!/^\d+$/.test(values.seed) || seed > MAX_SEED) {
      problems.push(`--seed must be an integer from 0 to ${MAX_SEED}, got "${values.seed}"`);
    }
  }
  let databaseUrl: string | undefined;
  if (engine === 'postgres') {
    databaseUrl = env.DATABASE_URL;
    const problem = postgresUrlProblem(databaseUrl);
    if (problem !== undefined) problems.push(problem);
  }
  if (transport === undefined || engine === undefined || problems.length > 0)
    return { kind: 'usage-error', message: problems.join('\n') };
  return {
    kind: 'start',
    options: {
      transport,
      engine,
      dataDir,
      seed,
      databaseUrl,
    },
  };
}

function postgresUrlProblem(url: string | undefined): string | undefined {
  if (url === undefined || url === '') {
    return '--engine postgres needs DATABASE_URL in the environment, e.g. DATABASE_URL=postgres://user:password@127.0.0.1:5432/checkout npm run checkout -- --engine postgres';
  }
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return 'DATABASE_URL is not a URL (expected postgres://user:password@host:5432/database)';
  }
  return protocol === 'postgres:' || protocol === 'postgresql:'
    ? undefined
    : `DATABASE_URL must be a postgres:// or postgresql:// URL, got "${protocol}"`;
}

/** Where everything goes, with absolute paths: what start.ts acts on. */
export interface LaunchPlan {
  readonly transport: Transport;
  readonly engine: StorageEngine;
  readonly dataDir: string;
  /** The seed's ecommerce.db the services import on first start (generated when missing). */
  readonly ecommerceDb: string;
  /** Seed for the datagen when ecommerceDb has to be generated. */
  readonly seed: number;
  /** True when --seed was given (start.ts says when it is not used because the file exists). */
  readonly seedGiven: boolean;
  readonly databaseUrl: string | undefined;
  /** The interface every service listens on: this machine only. */
  readonly host: string;
}

export function launchPlan(options: StartOptions, cwd: string): LaunchPlan {
  return {
    transport: options.transport,
    engine: options.engine,
    dataDir: resolve(cwd, options.dataDir),
    ecommerceDb: resolve(cwd, DEFAULT_OUT),
    seed: options.seed ?? DEFAULT_SEED,
    seedGiven: options.seed !== undefined,
    databaseUrl: options.databaseUrl,
    host: '127.0.0.1',
  };
}

/** `<NAME>_HTTP_URL` and `<NAME>_GRPC_ADDR` of every service: a service's neighbour settings. */
function addressKeys(service: CheckoutService): [string, string] {
  return [`${envPrefix(service)}_HTTP_URL`, `${envPrefix(service)}_GRPC_ADDR`];
}

/**
 * Settings the launcher decides for every service; an inherited value would break the set-up
 * (HTTP_PORT in the shell would put all six on one port, DATABASE_URL would take the SQLite run to
 * PostgreSQL, DATABASE_SCHEMA would make six services share one schema), so they never pass through.
 */
const CONTROLLED_KEYS: ReadonlySet<string> = new Set([
  'HOST',
  'HTTP_PORT',
  'GRPC_PORT',
  'DATA_DIR',
  'LOG_DIR',
  'DATABASE_URL',
  'DATABASE_SCHEMA',
  'ECOMMERCE_DB',
  'TRANSPORT',
  ...CHECKOUT_SERVICES.flatMap(addressKeys),
]);

/**
 * The environment of one service: the launcher's own environment without CONTROLLED_KEYS, plus
 * its ports, the shared data dir (SQLite file DATA_DIR/<service>.db), its own log folder, the
 * seed file and, for pedidos and catalogo, the transport and their neighbours' addresses. With
 * PostgreSQL, DATABASE_SCHEMA is left unset so each service uses its own default schema.
 */
export function serviceEnvironment(
  service: CheckoutService,
  plan: LaunchPlan,
  inherited: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env = passThroughEnvironment(inherited, CONTROLLED_KEYS);
  Object.assign(env, {
    HOST: plan.host,
    HTTP_PORT: String(DEFAULT_PORTS[service].http),
    GRPC_PORT: String(DEFAULT_PORTS[service].grpc),
    DATA_DIR: plan.dataDir,
    // One app.log per service: DATA_DIR/<service>/app.log (LOG_DIR defaults to DATA_DIR).
    LOG_DIR: join(plan.dataDir, service),
    ECOMMERCE_DB: plan.ecommerceDb,
  });
  if (plan.engine === 'postgres' && plan.databaseUrl !== undefined) env.DATABASE_URL = plan.databaseUrl;
  const neighbours = NEIGHBOURS[service];
  if (neighbours.length > 0) env.TRANSPORT = plan.transport;
  for (const neighbour of neighbours) {
    const [httpKey, grpcKey] = addressKeys(neighbour);
    const address = serviceAddress(neighbour, plan.host);
    env[httpKey] = address.http;
    env[grpcKey] = address.grpc;
  }
  return env;
}

export function serviceAddress(service: CheckoutService, host: string): { http: string; grpc: string } {
  const ports = DEFAULT_PORTS[service];
  return { http: `http://${host}:${ports.http}`, grpc: `${host}:${ports.grpc}` };
}

/** Width of the service-name column that prefixes every line a service prints. */
export const NAME_WIDTH = Math.max(...CHECKOUT_SERVICES.map((service) => service.length));

/** A shell word: kept as is when it is plain, single-quoted otherwise. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The first order of the tour: client 1 buys one unit of product 1 (in stock in the seed-42 data). */
const EXAMPLE_ORDER = { cliente_id: 1, itens: [{ produto_id: 1, quantidade: 1 }] };

/**
 * A ready-to-paste command that creates an order over the chosen transport. `protoDir` is
 * contracts/proto as seen from where the user is (grpcurl reads the .proto files).
 */
export function exampleCommand(
  plan: Pick<LaunchPlan, 'transport' | 'host'>,
  idempotencyKey: string,
  protoDir: string,
): string {
  const pedidos = serviceAddress('pedidos', plan.host);
  if (plan.transport === 'rest') {
    return [
      `curl -X POST ${pedidos.http}/pedidos`,
      `-H 'content-type: application/json'`,
      `-H 'Idempotency-Key: ${idempotencyKey}'`,
      `-d '${JSON.stringify(EXAMPLE_ORDER)}'`,
    ].join(' ');
  }
  return [
    `grpcurl -plaintext -import-path ${shellWord(protoDir)} -proto checkout/v1/pedidos.proto`,
    `-d '${JSON.stringify({ ...EXAMPLE_ORDER, idempotency_key: idempotencyKey })}'`,
    `${pedidos.grpc} checkout.v1.Pedidos/CriarPedido`,
  ].join(' ');
}

/** What the launcher prints once every service answers /health. */
export function readyReport(plan: LaunchPlan, idempotencyKey: string, protoDir: string): string {
  const rows = [
    ['service', 'REST', 'gRPC'],
    ...CHECKOUT_SERVICES.map((service) => {
      const address = serviceAddress(service, plan.host);
      return [service, address.http, address.grpc];
    }),
  ];
  const widths = [0, 1].map((column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const table = rows.map(
    ([service = '', http = '', grpc = '']) =>
      `  ${service.padEnd(widths[0] ?? 0)}  ${http.padEnd(widths[1] ?? 0)}  ${grpc}`,
  );
  const storage =
    plan.engine === 'sqlite'
      ? `SQLite files in ${plan.dataDir}`
      : `PostgreSQL ${redactPassword(plan.databaseUrl ?? '')}, schemas checkout_<service>`;
  const pedidos = serviceAddress('pedidos', plan.host);
  return [
    '',
    `Checkout is up: pedidos and catalogo call their neighbours over ${plan.transport}; ${storage}; logs in ${join(plan.dataDir, '<service>', 'app.log')}.`,
    '',
    ...table,
    '',
    `Create an order (${plan.transport}):`,
    '',
    `  ${exampleCommand(plan, idempotencyKey, protoDir)}`,
    '',
    plan.transport === 'rest'
      ? `Read it back with GET ${pedidos.http}/pedidos/<id>.`
      : `Read it back with checkout.v1.Pedidos/ObterPedido and -d '{"pedido_id":<id>}'.`,
    'Every service serves both transports; its REST API is documented at <REST>/docs. Ctrl-C stops all six.',
    '',
  ].join('\n');
}
