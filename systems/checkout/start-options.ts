/**
 * The pure part of `npm run checkout` (start.ts): the command line, what each process is started
 * with, and what is printed once they answer. No I/O here, so all of it is unit-tested
 * (start-options.test.ts); start.ts does the spawning, the waiting and the signals.
 *
 * Two ways to run: the six services calling each other over grpc or rest (seed 003), or
 * `--transport async` (seed 004): with AMQP_URL, catalogo and estoque as usual, pedidos in async
 * mode and N checkout-worker processes on RabbitMQ; without it, the embedded single process.
 */
import { join, resolve } from 'node:path';
import { DEFAULT_HEALTH_PORT, DEFAULT_QUEUE_PREFIX } from '@dslab/checkout-async';
import { DEFAULT_OUT, DEFAULT_SEED, MAX_SEED } from '@dslab/checkout-datagen';
import {
  CHECKOUT_SERVICES,
  DEFAULT_PORTS,
  envPrefix,
  TRANSPORTS,
  type CheckoutService,
  type Transport,
} from '@dslab/checkout-kit';
import {
  countOption,
  DEFAULT_DLQ_LIMIT,
  DLQ_FLAGS,
  dlqFlags,
  parseLauncherArgs,
  passThroughEnvironment,
  redactPassword,
  refuseDlqFlags,
  type DlqFlags,
  type HelpOrUsageError,
} from '@dslab/launcher';

export const STORAGE_ENGINES = ['sqlite', 'postgres'] as const;
export type StorageEngine = (typeof STORAGE_ENGINES)[number];

export const DEFAULT_DATA_DIR = './data/checkout';

/** How the launch runs an order: pedidos calls its neighbours (grpc, rest) or the workers run it (async). */
export const LAUNCH_TRANSPORTS = [...TRANSPORTS, 'async'] as const;
export type LaunchTransport = (typeof LAUNCH_TRANSPORTS)[number];

/** checkout-worker processes `--workers` may ask for. */
export const MAX_WORKERS = 16;

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
npm run checkout -- --transport async [--workers N] [--engine sqlite|postgres]
npm run checkout -- dlq [--replay] [--limit N]

Starts the six checkout services (pedidos, pagamentos, estoque, fiscal, logistica, catalogo) as
child processes on their default ports, waits until every /health answers, and prints where they
are with an example order. Ctrl-C stops them all.

  --transport grpc|rest|async
                             grpc, rest: how pedidos and catalogo call their neighbours (rest);
                             async: POST /pedidos answers 202 and workers run the steps (seed 004):
                             with AMQP_URL set, catalogo, estoque, pedidos (async) and N
                             checkout-worker processes on RabbitMQ; without it, ONE embedded
                             process (in-process bus, SQLite)
  --workers N                checkout-worker processes, 1–${MAX_WORKERS} (async with AMQP_URL; 1); their
                             /health and /metrics on ${DEFAULT_HEALTH_PORT}, ${DEFAULT_HEALTH_PORT + 1}, …
  --engine sqlite|postgres   sqlite: one file per service in the data dir (sqlite);
                             postgres: DATABASE_URL from the environment, one schema per service
  --data-dir DIR             SQLite files, and each process's app.log in DIR/<name>/
                             (${DEFAULT_DATA_DIR})
  --seed N                   datagen seed, 0–${MAX_SEED}, used only when ${DEFAULT_OUT} does not exist
                             yet and is generated (${DEFAULT_SEED})
  dlq                        print the dead letters of the async checkout's five queues (AMQP_URL,
                             QUEUE_PREFIX), at most --limit per queue (${DEFAULT_DLQ_LIMIT})
  dlq --replay               move them back to their queues, to be handled again
  --help

Other settings pass through from the environment to every process: LOG_LEVEL, LOG_FORMAT,
REQUEST_TIMEOUT_MS, SEED_IMPORT, the payment simulator's PAGAMENTO_LATENCIA_MIN_MS,
PAGAMENTO_LATENCIA_MAX_MS, PAGAMENTO_TAXA_REJEICAO and PAGAMENTO_SEED; for async, QUEUE_PREFIX
(${DEFAULT_QUEUE_PREFIX}), PREFETCH, MAX_ATTEMPTS, CHECKOUT_JWT_SECRET, CHECKOUT_SENHA_PADRAO and
TOKEN_TTL_SECONDS (the secrets have development defaults, announced at start-up).`;

export interface StartOptions {
  readonly transport: LaunchTransport;
  readonly engine: StorageEngine;
  /** As given on the command line (relative paths resolve against the working directory). */
  readonly dataDir: string;
  /** The datagen seed; undefined when not given. */
  readonly seed: number | undefined;
  /** PostgreSQL URL (engine postgres only), from DATABASE_URL. */
  readonly databaseUrl: string | undefined;
  /** checkout-worker processes (async with a broker; 1 otherwise). */
  readonly workers: number;
  /** RabbitMQ (async only), from AMQP_URL; undefined: the embedded mode. */
  readonly amqpUrl: string | undefined;
}

export interface DlqCommandOptions extends DlqFlags {
  readonly amqpUrl: string;
  readonly queuePrefix: string;
}

export type ParsedCommandLine =
  | { readonly kind: 'start'; readonly options: StartOptions }
  | { readonly kind: 'dlq'; readonly options: DlqCommandOptions }
  | HelpOrUsageError;

function isOneOf<const T extends string>(value: string, allowed: readonly T[]): value is T {
  return (allowed as readonly string[]).includes(value);
}

/** The flags of starting (the dlq command refuses them). */
const START_FLAGS = {
  transport: { type: 'string' },
  engine: { type: 'string' },
  'data-dir': { type: 'string' },
  seed: { type: 'string' },
  workers: { type: 'string' },
} as const;

/**
 * Parses argv (without node and the script) and the launcher's environment (DATABASE_URL,
 * AMQP_URL and QUEUE_PREFIX are read). A bad command line is a 'usage-error' whose message says
 * what is wrong; start.ts prints it with USAGE and exits 2.
 */
export function parseStartOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedCommandLine {
  const parsed = parseLauncherArgs(argv, { ...START_FLAGS, ...DLQ_FLAGS }, USAGE, ['dlq']);
  if (parsed.kind !== 'args') return parsed;
  const { values } = parsed;
  const problems: string[] = [];
  if (parsed.command === 'dlq') {
    const options = dlqFlags(values, Object.keys(START_FLAGS), problems);
    const amqpUrl = env.AMQP_URL ?? '';
    if (amqpUrl === '')
      problems.push(
        'dlq reads the dead letters from RabbitMQ: set AMQP_URL, e.g. AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npm run checkout -- dlq',
      );
    else {
      const problem = amqpUrlProblem(amqpUrl);
      if (problem !== undefined) problems.push(problem);
    }
    const queuePrefix =
      env.QUEUE_PREFIX === undefined || env.QUEUE_PREFIX === '' ? DEFAULT_QUEUE_PREFIX : env.QUEUE_PREFIX;
    if (problems.length > 0) return { kind: 'usage-error', message: problems.join('\n') };
    return { kind: 'dlq', options: { ...options, amqpUrl, queuePrefix } };
  }

  refuseDlqFlags(values, 'npm run checkout', problems);
  const transportText = values.transport ?? 'rest';
  const transport = isOneOf(transportText, LAUNCH_TRANSPORTS) ? transportText : undefined;
  if (transport === undefined)
    problems.push(
      `--transport must be ${LAUNCH_TRANSPORTS.slice(0, -1).join(', ')} or ${LAUNCH_TRANSPORTS.at(-1) ?? ''}, got "${transportText}"`,
    );
  const engineText = values.engine ?? 'sqlite';
  const engine = isOneOf(engineText, STORAGE_ENGINES) ? engineText : undefined;
  if (engine === undefined)
    problems.push(`--engine must be ${STORAGE_ENGINES.join(' or ')}, got "${engineText}"`);
  const dataDir = values['data-dir'] ?? DEFAULT_DATA_DIR;
  if (dataDir.trim() === '') problems.push('--data-dir needs a directory');
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!/^\d+$/.test(values.seed) || seed > MAX_SEED) {
      problems.push(`--seed must be an integer from 0 to ${MAX_SEED}, got "${values.seed}"`);
    }
  }
  let amqpUrl: string | undefined;
  if (transport === 'async') {
    amqpUrl = env.AMQP_URL === '' ? undefined : env.AMQP_URL;
    if (amqpUrl !== undefined) {
      const problem = amqpUrlProblem(amqpUrl);
      if (problem !== undefined) problems.push(problem);
    } else {
      if (values.workers !== undefined)
        problems.push(
          '--workers needs AMQP_URL: without a broker, --transport async runs ONE embedded process ' +
            '(e.g. AMQP_URL=amqp://guest:guest@127.0.0.1:5672 npm run checkout -- --transport async --workers 4)',
        );
      if (engine === 'postgres')
        problems.push(
          '--engine postgres with --transport async needs AMQP_URL too: the embedded mode (no AMQP_URL) runs on SQLite',
        );
    }
  } else if (values.workers !== undefined) {
    problems.push('--workers goes with --transport async');
  }
  const workers = countOption('workers', values.workers, 1, MAX_WORKERS, problems);
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
      workers,
      amqpUrl,
    },
  };
}

/** Why `url` (the value of `key`) is not a URL of one of `protocols`; undefined when it is. */
function urlProblem(
  key: string,
  url: string,
  protocols: readonly string[],
  example: string,
): string | undefined {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return `${key} is not a URL (expected ${example})`;
  }
  return protocols.includes(protocol)
    ? undefined
    : `${key} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL, got "${protocol}"`;
}

function amqpUrlProblem(url: string): string | undefined {
  return urlProblem('AMQP_URL', url, ['amqp:', 'amqps:'], 'amqp://user:password@host:5672');
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

/**
 * What runs: `services` (the six, seed 003), `distributed` (async on RabbitMQ: catalogo, estoque,
 * pedidos in async mode and the workers) or `embedded` (async in one process).
 */
export type LaunchMode = 'services' | 'distributed' | 'embedded';

/** Where everything goes, with absolute paths: what start.ts acts on. */
export interface LaunchPlan {
  readonly transport: LaunchTransport;
  readonly mode: LaunchMode;
  readonly engine: StorageEngine;
  readonly dataDir: string;
  /** The seed's ecommerce.db the services import on first start (generated when missing). */
  readonly ecommerceDb: string;
  /** Seed for the datagen when ecommerceDb has to be generated. */
  readonly seed: number;
  /** True when --seed was given (start.ts says when it is not used because the file exists). */
  readonly seedGiven: boolean;
  readonly databaseUrl: string | undefined;
  /** RabbitMQ (distributed mode). */
  readonly amqpUrl: string | undefined;
  /** checkout-worker processes (distributed mode). */
  readonly workers: number;
  /** The interface every service listens on: this machine only. */
  readonly host: string;
}

export function launchPlan(options: StartOptions, cwd: string): LaunchPlan {
  const mode: LaunchMode =
    options.transport !== 'async' ? 'services' : options.amqpUrl === undefined ? 'embedded' : 'distributed';
  return {
    transport: options.transport,
    mode,
    engine: options.engine,
    dataDir: resolve(cwd, options.dataDir),
    ecommerceDb: resolve(cwd, DEFAULT_OUT),
    seed: options.seed ?? DEFAULT_SEED,
    seedGiven: options.seed !== undefined,
    databaseUrl: options.databaseUrl,
    amqpUrl: mode === 'distributed' ? options.amqpUrl : undefined,
    workers: mode === 'distributed' ? options.workers : 0,
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
  // The async processes' own: each worker's port, one schema per service like the services',
  // and the embedded process's ports.
  'HEALTH_PORT',
  'DATABASE_SCHEMA_PREFIX',
  'CATALOGO_HTTP_PORT',
  'CATALOGO_GRPC_PORT',
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
  // Async: pedidos publishes to RabbitMQ (and reads prices from catalogo over REST); catalogo
  // still reads live stock from estoque over REST.
  if (neighbours.length > 0)
    env.TRANSPORT = plan.transport === 'async' && service !== 'pedidos' ? 'rest' : plan.transport;
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
  plan: { readonly transport: Transport; readonly host: string },
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

/** What the launcher prints once every service answers /health (grpc, rest). */
export function readyReport(plan: LaunchPlan, idempotencyKey: string, protoDir: string): string {
  const transport: Transport = plan.transport === 'grpc' ? 'grpc' : 'rest';
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
    `Checkout is up: pedidos and catalogo call their neighbours over ${transport}; ${storage}; logs in ${join(plan.dataDir, '<service>', 'app.log')}.`,
    '',
    ...table,
    '',
    `Create an order (${transport}):`,
    '',
    `  ${exampleCommand({ transport, host: plan.host }, idempotencyKey, protoDir)}`,
    '',
    transport === 'rest'
      ? `Read it back with GET ${pedidos.http}/pedidos/<id>.`
      : `Read it back with checkout.v1.Pedidos/ObterPedido and -d '{"pedido_id":<id>}'.`,
    'Every service serves both transports; its REST API is documented at <REST>/docs. Ctrl-C stops all six.',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// --transport async

/** One process of an async launch. */
export interface AsyncProcessSpec {
  /** Its name in front of its lines: a service, checkout-worker-<i>, or checkout (embedded). */
  readonly name: string;
  /**
   * What it runs: a service's own main.ts, the worker deployable, or the embedded process
   * (systems/checkout/async/src/{worker,embedded}-main.ts).
   */
  readonly entry:
    | { readonly kind: 'service'; readonly service: CheckoutService }
    | { readonly kind: 'worker'; readonly index: number }
    | { readonly kind: 'embedded' };
  /** Where its GET /health answers. */
  readonly healthUrl: string;
}

/** The /health and /metrics port of worker `index` (1-based): 8110, 8111, … */
export function workerPort(index: number): number {
  return DEFAULT_HEALTH_PORT + index - 1;
}

/** The name column's width in an async launch: the longest name there can be. */
export const ASYNC_NAME_WIDTH = `checkout-worker-${MAX_WORKERS}`.length;

/**
 * The processes of an async launch. Distributed: estoque (catalogo's live stock and the stock
 * reads; the workers write the same database), catalogo (prices), pedidos in async mode and the
 * workers; embedded: one process.
 */
export function asyncProcessSpecs(plan: LaunchPlan): AsyncProcessSpec[] {
  const health = (service: CheckoutService) => `${serviceAddress(service, plan.host).http}/health`;
  if (plan.mode === 'embedded')
    return [{ name: 'checkout', entry: { kind: 'embedded' }, healthUrl: health('pedidos') }];
  const services = (['estoque', 'catalogo', 'pedidos'] as const).map((service): AsyncProcessSpec => ({
    name: service,
    entry: { kind: 'service', service },
    healthUrl: health(service),
  }));
  const workers = Array.from({ length: plan.workers }, (_, i): AsyncProcessSpec => ({
    name: `checkout-worker-${i + 1}`,
    entry: { kind: 'worker', index: i + 1 },
    healthUrl: `http://${plan.host}:${workerPort(i + 1)}/health`,
  }));
  return [...services, ...workers];
}

/**
 * The environment of one async process. A service gets what serviceEnvironment gives it (pedidos
 * TRANSPORT=async; AMQP_URL passes through). A worker gets its own HEALTH_PORT and log folder, the
 * data dir and seed file, DATABASE_URL with PostgreSQL (schemas checkout_<service>, the services'
 * own). The embedded process gets the services' default ports for pedidos and catalogo.
 */
export function asyncProcessEnvironment(
  spec: AsyncProcessSpec,
  plan: LaunchPlan,
  inherited: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  if (spec.entry.kind === 'service') return serviceEnvironment(spec.entry.service, plan, inherited);
  const env = passThroughEnvironment(inherited, CONTROLLED_KEYS);
  Object.assign(env, {
    HOST: plan.host,
    DATA_DIR: plan.dataDir,
    LOG_DIR: join(plan.dataDir, spec.name),
    ECOMMERCE_DB: plan.ecommerceDb,
  });
  if (spec.entry.kind === 'worker') {
    env.HEALTH_PORT = String(workerPort(spec.entry.index));
    if (plan.engine === 'postgres' && plan.databaseUrl !== undefined) env.DATABASE_URL = plan.databaseUrl;
    if (plan.amqpUrl !== undefined) env.AMQP_URL = plan.amqpUrl;
    return env;
  }
  // Embedded: the in-process bus; a broker URL in the shell is not for it.
  delete env.AMQP_URL;
  Object.assign(env, {
    HTTP_PORT: String(DEFAULT_PORTS.pedidos.http),
    GRPC_PORT: String(DEFAULT_PORTS.pedidos.grpc),
    CATALOGO_HTTP_PORT: String(DEFAULT_PORTS.catalogo.http),
    CATALOGO_GRPC_PORT: String(DEFAULT_PORTS.catalogo.grpc),
  });
  return env;
}

/** What an async launch says before it starts: the mode, and what it expects from the environment. */
export function asyncStartNotice(plan: LaunchPlan): string {
  if (plan.mode === 'embedded')
    return [
      'Asynchronous checkout, embedded mode: ONE process with an in-process bus and SQLite files in ' +
        `${plan.dataDir}.`,
      'For RabbitMQ and PostgreSQL with N workers, set AMQP_URL (and DATABASE_URL with --engine postgres):',
      '  AMQP_URL=amqp://guest:guest@127.0.0.1:5672 DATABASE_URL=postgres://user:password@127.0.0.1:5432/checkout \\',
      '    npm run checkout -- --transport async --engine postgres --workers 4',
      '',
    ].join('\n');
  const storage =
    plan.engine === 'postgres'
      ? `PostgreSQL ${redactPassword(plan.databaseUrl ?? '')} (schemas checkout_<service>)`
      : `SQLite files in ${plan.dataDir} shared by the processes (use --engine postgres with DATABASE_URL to scale out)`;
  return [
    `Asynchronous checkout on RabbitMQ ${redactPassword(plan.amqpUrl ?? '')} with ${plan.workers} worker(s); ${storage}.`,
    '',
  ].join('\n');
}

/** Who logs in in the example: a customer of the seed's data and the password every one has. */
export interface ExampleLogin {
  readonly email: string;
  readonly senha: string;
  /** True when the password is CHECKOUT_SENHA_PADRAO's development default. */
  readonly developmentDefault: boolean;
}

/** Ready-to-paste commands: log in, place an order with the token, read it back (Location). */
export function asyncExampleCommands(
  plan: Pick<LaunchPlan, 'host'>,
  login: ExampleLogin,
  idempotencyKey: string,
): string[] {
  const pedidos = serviceAddress('pedidos', plan.host).http;
  const credentials = JSON.stringify({ email: login.email, senha: login.senha });
  return [
    `TOKEN=$(curl -s -X POST ${pedidos}/auth/login -H 'content-type: application/json' ` +
      `-d ${shellWord(credentials)} | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token')`,
    `curl -i -X POST ${pedidos}/pedidos -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' ` +
      `-H 'Idempotency-Key: ${idempotencyKey}' -d '${JSON.stringify({ itens: EXAMPLE_ORDER.itens })}'`,
    `curl -s ${pedidos}/pedidos/<id from the Location header> -H "authorization: Bearer $TOKEN"`,
  ];
}

/** What the launcher prints once every process of an async launch answers /health. */
export function asyncReadyReport(plan: LaunchPlan, login: ExampleLogin, idempotencyKey: string): string {
  const specs = asyncProcessSpecs(plan);
  const width = Math.max(...specs.map((spec) => spec.name.length));
  const what = (spec: AsyncProcessSpec): string => {
    switch (spec.entry.kind) {
      case 'embedded':
        return `pedidos ${serviceAddress('pedidos', plan.host).http}, catalogo ${serviceAddress('catalogo', plan.host).http}, all five workers in process`;
      case 'worker':
        return `${spec.healthUrl.replace(/\/health$/, '')}  (/health, /metrics)`;
      case 'service':
        return (
          serviceAddress(spec.entry.service, plan.host).http +
          (spec.entry.service === 'pedidos' ? '  (async API: /auth/login, /pedidos, /docs)' : '')
        );
    }
  };
  const logs = join(plan.dataDir, plan.mode === 'embedded' ? 'checkout' : '<name>', 'app.log');
  return [
    '',
    plan.mode === 'embedded'
      ? `Checkout (async, embedded) is up: one process, in-process bus, SQLite in ${plan.dataDir}; log in ${logs}.`
      : `Checkout (async) is up: ${plan.workers} worker(s) on RabbitMQ ${redactPassword(plan.amqpUrl ?? '')}; logs in ${logs}.`,
    '',
    ...specs.map((spec) => `  ${spec.name.padEnd(width)}  ${what(spec)}`),
    '',
    `Log in as a customer of the seed's data (password ${login.developmentDefault ? "CHECKOUT_SENHA_PADRAO's development default" : 'CHECKOUT_SENHA_PADRAO'}), place an order (202 + Location), read it back:`,
    '',
    ...asyncExampleCommands(plan, login, idempotencyKey).map((command) => `  ${command}`),
    '',
    plan.mode === 'embedded'
      ? 'GET /pedidos/<id> shows the status and the history of steps. Ctrl-C stops the process.'
      : 'GET /pedidos/<id> shows the status and the history of steps. Dead letters: npm run checkout -- dlq. Ctrl-C stops every process.',
    '',
  ].join('\n');
}
