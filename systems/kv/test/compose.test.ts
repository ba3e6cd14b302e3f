// systems/kv/compose.yaml and the one Dockerfile kv-api and kv-consumer build from (build argument
// SERVICE), validated without Docker (none runs here). The generic checks (every name resolves,
// health checks behind service_healthy, no port collision, multi-stage non-root images with a
// HEALTHCHECK) run over every systems/*/compose*.yaml in systems/sctec/test/compose.test.ts; these
// are the KV's own promises: the file, the two services' config schemas and the Dockerfile agree.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parseConfig, type Field } from '@dslab/config';
import { kvApiConfigOptions, kvApiConfigSchema } from '@dslab/kv-api';
import { kvConsumerConfigOptions, kvConsumerConfigSchema } from '@dslab/kv-consumer';
import { kvEngineSettings } from '@dslab/kv-core';
import {
  checkComposeFile,
  execForm,
  finalStage,
  imageEnvironment,
  dockerfileInstructionsFor,
  readComposeModel,
  composeDockerfiles,
  publishedPorts,
} from '@dslab/testing';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const kvDir = join(repoRoot, 'systems', 'kv');
const composeFile = join(kvDir, 'compose.yaml');
const dockerfile = join(kvDir, 'Dockerfile');

const { services, volumes, networks, serviceOf, environmentOf, buildOf } = readComposeModel(composeFile);
const compose = { services, volumes, networks };

const DEPLOYABLES = ['kv-api', 'kv-consumer'] as const;
type Deployable = (typeof DEPLOYABLES)[number];
const ENGINES = ['postgres', 'rabbitmq', 'redis'] as const;

function defaultOf(field: Field<unknown>): unknown {
  return field.fallback?.value;
}

/** Each deployable's settings: their names, its port setting and default, and the parser main.ts uses. */
interface DeployableSettings {
  readonly keys: readonly string[];
  readonly portKey: string;
  readonly port: string;
  readonly parse: (env: Record<string, string>) => {
    config: Readonly<Record<string, unknown>>;
    notes: string[];
  };
}

const SETTINGS: Record<Deployable, DeployableSettings> = {
  'kv-api': {
    keys: Object.keys(kvApiConfigSchema),
    portKey: 'KV_PORT',
    port: String(defaultOf(kvApiConfigSchema.KV_PORT)),
    parse: (env) => parseConfig(kvApiConfigSchema, env, kvApiConfigOptions),
  },
  'kv-consumer': {
    keys: Object.keys(kvConsumerConfigSchema),
    portKey: 'KV_CONSUMER_PORT',
    port: String(defaultOf(kvConsumerConfigSchema.KV_CONSUMER_PORT)),
    parse: (env) => parseConfig(kvConsumerConfigSchema, env, kvConsumerConfigOptions),
  },
};

/** The settings both services must agree on: where the data is and what it is called. */
const SHARED_KEYS = [
  'DATABASE_URL',
  'KV_SCHEMA',
  'REDIS_URL',
  'KV_CACHE_PREFIX',
  'KV_CACHE_TTL_MS',
  'AMQP_URL',
  'KV_QUEUE_PREFIX',
];

describe('KV compose file (systems/kv/compose.yaml)', () => {
  test('the generic checks pass: every name resolves and every promise it makes can hold', () => {
    assert.deepEqual(checkComposeFile(composeFile), []);
  });

  test('it runs kv-api, kv-consumer, PostgreSQL 16, Redis 7 and RabbitMQ 3 with management, and nothing else', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), [...DEPLOYABLES, ...ENGINES].sort());
    assert.match(String(serviceOf('postgres').image), /^postgres:16\b/);
    assert.match(String(serviceOf('redis').image), /^redis:7\b/);
    assert.match(String(serviceOf('rabbitmq').image), /^rabbitmq:3-management\b/);
  });

  test('both services are built from systems/kv/Dockerfile as themselves, with the repository root as context', () => {
    for (const name of DEPLOYABLES) {
      const build = buildOf(name);
      assert.equal(join(kvDir, build.context), repoRoot.replace(/\/$/, ''), name);
      assert.equal(build.dockerfile, 'systems/kv/Dockerfile', name);
      assert.equal(build.args.SERVICE, name);
    }
    assert.deepEqual(composeDockerfiles(composeFile), [dockerfile]);
  });

  test("each service listens on its config's default port, the one its image is built for and its health check polls", () => {
    for (const name of DEPLOYABLES) {
      const { port, portKey } = SETTINGS[name];
      assert.equal(String(buildOf(name).args.HTTP_PORT), port, name);
      const environment = environmentOf(name);
      assert.equal(environment[portKey], port, name);
      assert.equal(environment.HTTP_PORT, port, `${name}: the health check reads HTTP_PORT`);
      const healthcheck = serviceOf(name).healthcheck as { test: string[] };
      assert.match(healthcheck.test.join(' '), /process\.env\.HTTP_PORT \+ "\/health"/, name);
    }
    assert.deepEqual(
      [defaultOf(kvApiConfigSchema.KV_PORT), defaultOf(kvConsumerConfigSchema.KV_CONSUMER_PORT)],
      [8080, 8081],
    );
  });

  test('only the API (8080) and the RabbitMQ management UI (15672) are published, on 127.0.0.1 only', () => {
    const published = Object.entries(compose.services).flatMap(([name, service]) =>
      ((service.ports ?? []) as unknown[])
        .flatMap(publishedPorts)
        .map((port) => `${name} ${port.hostIp}:${port.port}/${port.protocol}`),
    );
    assert.deepEqual(published.sort(), ['kv-api 127.0.0.1:8080/tcp', 'rabbitmq 127.0.0.1:15672/tcp']);
    assert.equal(
      serviceOf('kv-consumer').ports,
      undefined,
      'a published port would stop --scale kv-consumer=N',
    );
  });

  test("every variable the file gives a service is one of that service's settings, and all of them parse without development defaults", () => {
    for (const name of DEPLOYABLES) {
      const { keys, parse: parseSettings } = SETTINGS[name];
      const environment = environmentOf(name);
      const unknown = Object.keys(environment).filter((key) => !keys.includes(key) && key !== 'HTTP_PORT');
      assert.deepEqual(unknown, [], `${name}: not a setting of the service`);
      const { notes } = parseSettings(environment);
      assert.deepEqual(notes, [], `${name} would run on development defaults`);
      // With the secrets set, they are what the services use.
      const secret = environmentOf(name, { POSTGRES_PASSWORD: 'pg-secret', RABBITMQ_PASSWORD: 'mq-secret' });
      assert.match(secret.DATABASE_URL ?? '', /:pg-secret@/);
      assert.match(secret.AMQP_URL ?? '', /:mq-secret@/);
    }
  });

  test('kv-api and kv-consumer agree on the database, schema, cache keys and queue names', () => {
    const api = SETTINGS['kv-api'].parse(environmentOf('kv-api')).config;
    const consumer = SETTINGS['kv-consumer'].parse(environmentOf('kv-consumer')).config;
    for (const key of SHARED_KEYS) assert.deepEqual(consumer[key], api[key], key);
  });

  test("both config schemas take kv-core's engine settings as they are (the launcher and compose rely on it)", () => {
    for (const name of DEPLOYABLES) {
      const schema: Record<string, Field<unknown>> = name === 'kv-api'
        ? kvApiConfigSchema
        : kvConsumerConfigSchema;
      for (const [key, field] of Object.entries(kvEngineSettings))
        assert.equal(schema[key], field, `${name}: ${key}`);
    }
    for (const key of SHARED_KEYS) assert.ok(key in kvEngineSettings, key);
  });

  test('the URLs name the engines of this file on their ports, with the credentials those engines are given', () => {
    const postgres = environmentOf('postgres');
    const rabbitmq = environmentOf('rabbitmq');
    for (const name of DEPLOYABLES) {
      const environment = environmentOf(name);
      const database = new URL(environment.DATABASE_URL ?? '');
      assert.equal(database.host, 'postgres:5432', name);
      assert.equal(database.username, postgres.POSTGRES_USER, name);
      assert.equal(database.password, postgres.POSTGRES_PASSWORD, name);
      assert.equal(database.pathname, `/${postgres.POSTGRES_DB ?? ''}`, name);
      const broker = new URL(environment.AMQP_URL ?? '');
      assert.equal(broker.host, 'rabbitmq:5672', name);
      assert.equal(broker.username, rabbitmq.RABBITMQ_DEFAULT_USER, name);
      assert.equal(broker.password, rabbitmq.RABBITMQ_DEFAULT_PASS, name);
      assert.equal(new URL(environment.REDIS_URL ?? '').host, 'redis:6379', name);
    }
    const text = readFileSync(composeFile, 'utf8');
    for (const secret of ['POSTGRES_PASSWORD', 'RABBITMQ_PASSWORD']) {
      assert.match(text, new RegExp(`\\$\\{${secret}:-dev-only-[^}]+\\}`), secret);
    }
  });

  test('start-up waits for healthy engines; the consumer also for the API (which migrates first)', () => {
    const healthy = (names: string[]) =>
      Object.fromEntries(names.map((name) => [name, { condition: 'service_healthy' }]));
    assert.deepEqual(serviceOf('kv-api').depends_on, healthy([...ENGINES]));
    assert.deepEqual(serviceOf('kv-consumer').depends_on, healthy(['kv-api', ...ENGINES]));
    for (const engine of ENGINES) assert.equal(serviceOf(engine).depends_on, undefined, engine);
  });

  test('PostgreSQL and RabbitMQ keep their data in named volumes; the Redis cache is deliberately not persisted', () => {
    assert.deepEqual(serviceOf('postgres').volumes, ['postgres-data:/var/lib/postgresql/data']);
    assert.deepEqual(serviceOf('rabbitmq').volumes, ['rabbitmq-data:/var/lib/rabbitmq']);
    assert.equal(
      serviceOf('rabbitmq').hostname,
      'rabbitmq',
      'the node name (and so its data folder) follows the hostname',
    );
    const redis = serviceOf('redis');
    assert.equal(redis.volumes, undefined);
    const command = (redis.command as string[]).join(' ');
    assert.match(
      command,
      /--save {2}--appendonly no/,
      'no snapshot, no AOF: a restored snapshot would be stale',
    );
    assert.match(command, /--maxmemory-policy volatile-lru/);
    for (const name of DEPLOYABLES) {
      assert.deepEqual(serviceOf(name).volumes, [`${name}-data:${environmentOf(name).DATA_DIR ?? ''}`], name);
    }
    assert.deepEqual(Object.keys(compose.volumes).sort(), [
      'kv-api-data',
      'kv-consumer-data',
      'postgres-data',
      'rabbitmq-data',
    ]);
  });

  test('every service is on the kv network, health-checked, restarted and logs to rotated json-file', () => {
    assert.deepEqual(Object.keys(compose.networks), ['kv']);
    for (const [name, service] of Object.entries(compose.services)) {
      assert.deepEqual(service.networks, ['kv'], name);
      assert.equal(service.restart, 'unless-stopped', name);
      assert.ok(service.healthcheck !== undefined, name);
      const logging = service.logging as { driver: string; options: Record<string, string> };
      assert.equal(logging.driver, 'json-file', name);
      assert.ok(logging.options['max-size'] !== undefined && logging.options['max-file'] !== undefined, name);
    }
    const rabbitCheck = (serviceOf('rabbitmq').healthcheck as { test: string[] }).test.join(' ');
    assert.match(rabbitCheck, /check_port_connectivity/, 'healthy only once AMQP accepts connections');
  });
});

// ---------------------------------------------------------------------------------------------

type BuildArgs = { SERVICE: Deployable; HTTP_PORT: string };

/** The Dockerfile's instructions as Docker runs them for these build arguments (ARG references substituted). */
const instructionsFor = dockerfileInstructionsFor(dockerfile);
/** The instructions as written (no build argument substituted). */
const instructions = instructionsFor({});

function finalStageFor(args: BuildArgs) {
  return finalStage(instructionsFor(args));
}

/** Names of the @dslab workspaces a workspace depends on, transitively (dependencies and devDependencies). */
function workspaceDependencies(start: string): Set<string> {
  const folders = new Map<string, string>();
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { resolved?: string; link?: boolean }>;
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    const match = /^node_modules\/(@dslab\/[^/]+)$/.exec(path);
    if (match?.[1] !== undefined && entry.link === true && entry.resolved !== undefined)
      folders.set(match[1], entry.resolved);
  }
  const seen = new Set<string>();
  const visit = (folder: string) => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, folder, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    for (const name of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })) {
      const target = folders.get(name);
      if (target === undefined || seen.has(target)) continue;
      seen.add(target);
      visit(target);
    }
  };
  visit(start);
  return seen;
}

describe('KV Dockerfile (systems/kv/Dockerfile, one per build argument SERVICE)', () => {
  test('it declares SERVICE and HTTP_PORT in the stages that use them, and refuses an unknown service', () => {
    const stages: string[][] = [];
    for (const instruction of instructions) {
      if (instruction.keyword === 'FROM') stages.push([]);
      else if (instruction.keyword === 'ARG') stages.at(-1)?.push(instruction.args.trim());
    }
    // manifests (shared by both), build, runtime.
    assert.deepEqual(stages, [[], ['SERVICE', 'HTTP_PORT'], ['SERVICE', 'HTTP_PORT']]);
    const check = instructions.find(
      (instruction) => instruction.keyword === 'RUN' && instruction.args.includes('case "${SERVICE}" in'),
    );
    assert.ok(check !== undefined, 'no check of SERVICE');
    assert.match(check.args, /\bkv-api\|kv-consumer\)/);
  });

  for (const service of DEPLOYABLES) {
    const { port, portKey } = SETTINGS[service];
    const args: BuildArgs = { SERVICE: service, HTTP_PORT: port };

    test(`${service}: CMD runs its main.ts with tsx; the image exposes, listens on and checks HTTP_PORT`, () => {
      const cmd = execForm(finalStageFor(args), 'CMD');
      assert.deepEqual(cmd.slice(0, 2), ['sh', '-c']);
      const environment = imageEnvironment(finalStageFor(args));
      const command = (cmd[2] ?? '').replace(
        /\$\{(\w+)\}/g,
        (_whole, name: string) => environment[name] ?? '',
      );
      assert.equal(command, `exec node --import tsx "systems/kv/${service}/src/main.ts"`);
      const exposed = finalStageFor(args)
        .filter((instruction) => instruction.keyword === 'EXPOSE')
        .flatMap((instruction) => instruction.args.split(/\s+/));
      assert.deepEqual(exposed, [port]);
      assert.equal(environment.SERVICE, service);
      assert.equal(environment.HTTP_PORT, port);
      assert.equal(environment[portKey], port, `${service} reads ${portKey}`);
      assert.equal(environment.HOST, '0.0.0.0');
      assert.ok(
        execForm(finalStageFor(args), 'HEALTHCHECK')
          .join(' ')
          .includes(`'http://127.0.0.1:' + process.env.HTTP_PORT + '/health'`),
      );
    });

    test(`${service}: npm ci installs its own workspace with the root (tsx), and the image holds every workspace it depends on`, () => {
      const installs = instructionsFor(args)
        .filter((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args))
        .map((instruction) => instruction.args);
      assert.deepEqual(installs, [`npm ci --workspace=systems/kv/${service} --include-workspace-root`]);
      const copy = instructionsFor(args).find(
        (instruction) => instruction.keyword === 'RUN' && instruction.args.includes('/out/systems/kv'),
      );
      assert.ok(copy !== undefined, 'no copy into /out');
      assert.match(
        copy.args,
        /cp -a package\.json tsconfig\.json tsconfig\.base\.json node_modules packages \/out\//,
      );
      const copied = [`systems/kv/${service}`, 'systems/kv/core'];
      assert.ok(
        copy.args.includes(`cp -a "systems/kv/${service}" systems/kv/core /out/systems/kv/`),
        copy.args,
      );
      const dependencies = workspaceDependencies(`systems/kv/${service}`);
      assert.ok(dependencies.has('systems/kv/core'), [...dependencies].join(', '));
      for (const folder of dependencies) {
        assert.ok(
          folder.startsWith('packages/') || copied.includes(folder),
          `${service} depends on ${folder}, which the image does not copy`,
        );
      }
    });
  }
});
