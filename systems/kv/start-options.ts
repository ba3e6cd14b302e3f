/**
 * The pure part of `npm run kv` (start.ts): the command line, which engines the processes will
 * use (and which of those are development defaults), what each process is started with, and what
 * is printed. No I/O here, so all of it is unit-tested (start-options.test.ts).
 */
import { join, resolve } from 'node:path';
import {
  ConfigError,
  parseConfig,
  type ConfigOf,
  type ConfigOptions,
  type ConfigSchema,
} from '@dslab/config';
import { kvApiConfigOptions, kvApiConfigSchema } from '@dslab/kv-api';
import { kvConsumerConfigOptions, kvConsumerConfigSchema } from '@dslab/kv-consumer';
import {
  countOption,
  deadLetterQueueReport,
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
import { deadLetterQueueName, type DeadLetter } from '@dslab/messaging';

export const MAX_CONSUMERS = 16;
export const DEFAULT_DATA_DIR = './data/kv';
export { DEFAULT_DLQ_LIMIT };

export const USAGE = `npm run kv -- [--consumers N]
npm run kv -- dlq [--replay] [--limit N]

Starts kv-api and N kv-consumer processes (seed 002's key-value API) on this machine against the
PostgreSQL, Redis and RabbitMQ named in the environment, prefixes their lines with their names,
waits until every /health answers and prints the URLs with ready-to-paste curl lines. Ctrl-C
stops them all.

  --consumers N   kv-consumer processes, 1–${MAX_CONSUMERS}, competing for the same queues (1)
  dlq             print the dead letters of add_key and del_key (at most --limit per queue, ${DEFAULT_DLQ_LIMIT})
  dlq --replay    move them back to their queues, to be applied again
  --help

Environment (unset means the development default printed at start-up):
  DATABASE_URL, KV_SCHEMA        PostgreSQL and the schema of kv_store (kv)
  REDIS_URL, KV_CACHE_PREFIX     Redis and the prefix of the cache keys (kv:)
  AMQP_URL, KV_QUEUE_PREFIX      RabbitMQ and a prefix of the queue names (none)
  KV_PORT                        port of kv-api (8080); the consumers' /health and /metrics use
                                 KV_CONSUMER_PORT (8081), 8082, …
  DATA_DIR                       app.log of each process in DATA_DIR/<name>/ (${DEFAULT_DATA_DIR})
Every other setting (LOG_LEVEL, KV_MIN_VERSION_WAIT_MS, KV_PREFETCH, …) passes through.`;

export interface StartOptions {
  readonly consumers: number;
}

export type DlqOptions = DlqFlags;

export type ParsedCommandLine =
  | { readonly kind: 'start'; readonly options: StartOptions }
  | { readonly kind: 'dlq'; readonly options: DlqOptions }
  | HelpOrUsageError;

/** Parses argv (without node and the script). A bad command line says what is wrong. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  const parsed = parseLauncherArgs(argv, { consumers: { type: 'string' }, ...DLQ_FLAGS }, USAGE, ['dlq']);
  if (parsed.kind !== 'args') return parsed;
  const { values } = parsed;
  const problems: string[] = [];
  if (parsed.command === 'dlq') {
    const options = dlqFlags(values, ['consumers'], problems);
    if (problems.length > 0) return { kind: 'usage-error', message: problems.join('\n') };
    return { kind: 'dlq', options };
  }
  refuseDlqFlags(values, 'npm run kv', problems);
  const consumers = countOption('consumers', values.consumers, 1, MAX_CONSUMERS, problems);
  if (problems.length > 0) return { kind: 'usage-error', message: problems.join('\n') };
  return { kind: 'start', options: { consumers } };
}

/** One engine the processes will use, as the launcher prints it. */
export interface EngineUse {
  readonly name: 'PostgreSQL' | 'Redis' | 'RabbitMQ';
  readonly key: 'DATABASE_URL' | 'REDIS_URL' | 'AMQP_URL';
  readonly url: string;
  /** True when the environment does not set it and the development default is used. */
  readonly developmentDefault: boolean;
}

/** Where the launch goes, with absolute paths: what start.ts acts on. */
export interface LaunchPlan {
  readonly consumers: number;
  /** The interface every process listens on: this machine only. */
  readonly host: string;
  readonly apiPort: number;
  /** /health and /metrics of consumer i (1-based) are on consumerBasePort + i − 1. */
  readonly consumerBasePort: number;
  readonly dataDir: string;
  readonly engines: readonly EngineUse[];
  readonly schema: string;
  readonly cachePrefix: string;
  readonly queuePrefix: string;
}

/**
 * The plan for `options` in environment `env`, checked the way kv-api and kv-consumer will check
 * it (their own config schemas): a bad setting is found here, before anything is spawned.
 */
export function launchPlan(
  options: StartOptions,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): { readonly ok: true; readonly plan: LaunchPlan } | { readonly ok: false; readonly problems: string[] } {
  const parsed = {
    api: parseSettings(kvApiConfigSchema, kvApiConfigOptions, env),
    consumer: parseSettings(kvConsumerConfigSchema, kvConsumerConfigOptions, env),
  };
  if (!parsed.api.ok || !parsed.consumer.ok) {
    const all = [
      ...(parsed.api.ok ? [] : parsed.api.problems),
      ...(parsed.consumer.ok ? [] : parsed.consumer.problems),
    ];
    return { ok: false, problems: [...new Set(all)] };
  }
  const api = parsed.api.config;
  const consumer = parsed.consumer.config;
  const problems: string[] = [];
  const lastConsumerPort = consumer.KV_CONSUMER_PORT + options.consumers - 1;
  if (lastConsumerPort > 65_535)
    problems.push(
      `KV_CONSUMER_PORT ${consumer.KV_CONSUMER_PORT} leaves no room for ${options.consumers} consumers`,
    );
  if (api.KV_PORT >= consumer.KV_CONSUMER_PORT && api.KV_PORT <= lastConsumerPort)
    problems.push(
      `KV_PORT ${api.KV_PORT} is one of the consumers' ports (${consumer.KV_CONSUMER_PORT}–${lastConsumerPort})`,
    );
  if (api.KV_PORT === 0 || consumer.KV_CONSUMER_PORT === 0)
    problems.push('KV_PORT and KV_CONSUMER_PORT must be fixed ports for the launcher (not 0)');
  if (problems.length > 0) return { ok: false, problems };
  const isSet = (key: string) => (env[key] ?? '') !== '';
  return {
    ok: true,
    plan: {
      consumers: options.consumers,
      host: '127.0.0.1',
      apiPort: api.KV_PORT,
      consumerBasePort: consumer.KV_CONSUMER_PORT,
      dataDir: resolve(cwd, api.DATA_DIR),
      engines: [
        {
          name: 'PostgreSQL',
          key: 'DATABASE_URL',
          url: api.DATABASE_URL,
          developmentDefault: !isSet('DATABASE_URL'),
        },
        { name: 'Redis', key: 'REDIS_URL', url: api.REDIS_URL, developmentDefault: !isSet('REDIS_URL') },
        { name: 'RabbitMQ', key: 'AMQP_URL', url: api.AMQP_URL, developmentDefault: !isSet('AMQP_URL') },
      ],
      schema: api.KV_SCHEMA,
      cachePrefix: api.KV_CACHE_PREFIX,
      queuePrefix: api.KV_QUEUE_PREFIX,
    },
  };
}

function parseSettings<S extends ConfigSchema>(
  schema: S,
  options: ConfigOptions<S>,
  env: Readonly<Record<string, string | undefined>>,
):
  | { readonly ok: true; readonly config: ConfigOf<S> }
  | { readonly ok: false; readonly problems: readonly string[] } {
  try {
    return { ok: true, config: parseConfig(schema, { ...env }, options).config };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, problems: error.problems };
    throw error;
  }
}

/** kv-api, kv-consumer-1, kv-consumer-2, … */
export function processNames(plan: Pick<LaunchPlan, 'consumers'>): string[] {
  return ['kv-api', ...Array.from({ length: plan.consumers }, (_, index) => `kv-consumer-${index + 1}`)];
}

export interface ProcessSpec {
  readonly name: string;
  /** kv-api or kv-consumer: the deployable it runs (systems/kv/<deployable>/src/main.ts). */
  readonly deployable: 'kv-api' | 'kv-consumer';
  /** Its HTTP address (the API, or the consumer's /health and /metrics). */
  readonly url: string;
  readonly port: number;
}

export function processSpecs(plan: LaunchPlan): ProcessSpec[] {
  return processNames(plan).map((name, index) => {
    const port = index === 0 ? plan.apiPort : plan.consumerBasePort + index - 1;
    return {
      name,
      deployable: index === 0 ? 'kv-api' : 'kv-consumer',
      url: `http://${plan.host}:${port}`,
      port,
    };
  });
}

/**
 * Settings the launcher decides for every process; an inherited value would break the set-up
 * (KV_CONSUMER_PORT in the shell would put every consumer on one port), so they never pass through.
 */
const CONTROLLED_KEYS: ReadonlySet<string> = new Set([
  'HOST',
  'KV_PORT',
  'KV_CONSUMER_PORT',
  'DATA_DIR',
  'LOG_DIR',
]);

/**
 * The environment of one process: the launcher's own without CONTROLLED_KEYS (so the engine
 * URLs, prefixes and tuning pass through unchanged), plus its host, port and log folder.
 */
export function processEnvironment(
  spec: ProcessSpec,
  plan: LaunchPlan,
  inherited: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env = passThroughEnvironment(inherited, CONTROLLED_KEYS);
  env.HOST = plan.host;
  env[spec.deployable === 'kv-api' ? 'KV_PORT' : 'KV_CONSUMER_PORT'] = String(spec.port);
  env.DATA_DIR = plan.dataDir;
  env.LOG_DIR = join(plan.dataDir, spec.name);
  return env;
}

/**
 * Width of the name column in front of every line a process prints: the longest name there can
 * be, so the column does not move with --consumers.
 */
export const NAME_WIDTH = `kv-consumer-${MAX_CONSUMERS}`.length;

/** The example key of the curl lines. */
export const EXAMPLE_KEY = 'hello';

/** Ready-to-paste commands of the tour: write, read, read your write, delete. */
export function exampleCommands(apiUrl: string): string[] {
  return [
    `curl -i -X PUT ${apiUrl}/ -H 'content-type: application/json' -d '{"key_name":"${EXAMPLE_KEY}","key_value":"world"}'`,
    `curl -i '${apiUrl}/?key=${EXAMPLE_KEY}'`,
    `curl -i '${apiUrl}/?key=${EXAMPLE_KEY}&min_version=<version of the PUT>'`,
    `curl -i -X DELETE '${apiUrl}/?key=${EXAMPLE_KEY}'`,
  ];
}

/** What the launcher prints once every process answers /health. */
export function readyReport(plan: LaunchPlan): string {
  const specs = processSpecs(plan);
  const width = Math.max(...specs.map((spec) => spec.name.length));
  const api = specs[0]?.url ?? '';
  const engineWidth = Math.max(...plan.engines.map((engine) => engine.name.length));
  return [
    '',
    `KV is up: kv-api and ${plan.consumers} kv-consumer(s); logs in ${join(plan.dataDir, '<name>', 'app.log')}.`,
    '',
    ...specs.map(
      (spec) =>
        `  ${spec.name.padEnd(width)}  ${spec.url}${spec.deployable === 'kv-api' ? '  (API, /docs)' : '  (/health, /metrics)'}`,
    ),
    '',
    'Engines:',
    ...plan.engines.map(
      (engine) =>
        `  ${engine.name.padEnd(engineWidth)}  ${redactPassword(engine.url)}` +
        (engine.developmentDefault
          ? `  (development default: ${engine.key} is not set)`
          : `  (${engine.key})`),
    ),
    `  schema ${plan.schema}, cache keys ${plan.cachePrefix}<key>, queues ${plan.queuePrefix}add_key and ${plan.queuePrefix}del_key`,
    '',
    'Try it (a PUT answers 202 with the version; read it back with min_version to wait for it):',
    '',
    ...exampleCommands(api).map((command) => `  ${command}`),
    '',
    'Dead letters: npm run kv -- dlq (add --replay to apply them again). Ctrl-C stops every process.',
    '',
  ].join('\n');
}

/** `npm run kv -- dlq`'s report of one queue's dead letters. */
export function deadLetterReport(queue: string, letters: readonly DeadLetter[], limit: number): string {
  return deadLetterQueueReport(deadLetterQueueName(queue), letters, limit);
}
