// systems/checkout/compose.yaml and the one Dockerfile the six services build from (build argument
// SERVICE), validated without Docker (none runs here). The generic checks (every name resolves, health
// checks behind service_healthy, no port collision, multi-stage non-root images with a HEALTHCHECK)
// run over every systems/*/compose*.yaml in systems/sctec/test/compose.test.ts; these are the
// checkout's own promises: the file, the kit's service table, the launcher (npm run checkout) and the
// Dockerfile agree.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { DEFAULT_HEALTH_PORT, workerConfigSchema } from '@dslab/checkout-async';
import { CHECKOUT_SERVICES, DEFAULT_PORTS, envPrefix } from '@dslab/checkout-kit';
import { pedidosConfigSchema } from '@dslab/checkout-pedidos';
import {
  checkComposeFile,
  execForm,
  finalStage,
  imageEnvironment,
  dockerfileInstructionsFor,
  readComposeModel,
  composeDockerfiles,
  interpolate,
  publishedPorts,
} from '@dslab/testing';
import { NEIGHBOURS } from '../start-options.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const checkoutDir = join(repoRoot, 'systems', 'checkout');
const composeFile = join(checkoutDir, 'compose.yaml');

const { services, volumes, networks, serviceOf, environmentOf, buildOf } = readComposeModel(composeFile);
const compose = { services, volumes, networks };

const SEED_DIR = '/data/seed';
const ECOMMERCE_DB = `${SEED_DIR}/ecommerce.db`;

/** The one Dockerfile of the six services. */
const dockerfile = join(checkoutDir, 'Dockerfile');
type BuildArgName = 'SERVICE' | 'HTTP_PORT' | 'GRPC_PORT' | 'ENTRY';
type BuildArgs = Record<BuildArgName, string>;
/** The Dockerfile's defaults of the build arguments that have one. */
const BUILD_ARG_DEFAULTS: Partial<BuildArgs> = { GRPC_PORT: '', ENTRY: 'main.ts' };

/** What the Dockerfile's build arguments are for `service` when Compose builds it. */
function buildArgsOf(name: string): BuildArgs {
  const args = buildOf(name).args;
  const value = (key: BuildArgName): string => {
    const raw = args[key];
    if (raw === undefined) return BUILD_ARG_DEFAULTS[key] ?? '';
    return interpolate(typeof raw === 'string' ? raw : JSON.stringify(raw), {});
  };
  return {
    SERVICE: value('SERVICE'),
    HTTP_PORT: value('HTTP_PORT'),
    GRPC_PORT: value('GRPC_PORT'),
    ENTRY: value('ENTRY'),
  };
}

/** The async profile's services (docs/checkout-async.md), besides the six and datagen. */
const ASYNC_PROFILE = ['checkout-worker', 'pedidos-async', 'postgres', 'rabbitmq'] as const;
/** The engines: health-checked their own way, not on /health. */
const ENGINES = ['postgres', 'rabbitmq'] as const;

/** The Dockerfile's instructions as Docker runs them for these build arguments (ARG references substituted). */
const instructionsFor = dockerfileInstructionsFor(dockerfile);
/** The instructions as written (no build argument substituted). */
const instructions = instructionsFor({});

/** Instructions of the final stage (what the container runs with). */
function finalStageFor(args: BuildArgs) {
  return finalStage(instructionsFor(args));
}

/** The shell command of the final stage's CMD (`sh -c '…'`) with the image's environment expanded. */
function commandOf(args: BuildArgs): string {
  const cmd = execForm(finalStageFor(args), 'CMD');
  assert.deepEqual(cmd.slice(0, 2), ['sh', '-c'], `CMD is not sh -c: ${JSON.stringify(cmd)}`);
  const environment = imageEnvironment(finalStageFor(args));
  return (cmd[2] ?? '').replace(/\$\{(\w+)\}/g, (_whole, name: string) => environment[name] ?? '');
}

describe('checkout compose file (systems/checkout/compose.yaml)', () => {
  test('the generic checks pass: every name resolves and every promise it makes can hold', () => {
    assert.deepEqual(checkComposeFile(composeFile), []);
  });

  test("it runs every service of the kit's table, the one-shot datagen and the async profile, and nothing else", () => {
    assert.deepEqual(
      Object.keys(compose.services).sort(),
      [...CHECKOUT_SERVICES, 'datagen', ...ASYNC_PROFILE].sort(),
    );
    for (const name of Object.keys(compose.services)) {
      const expected = (ASYNC_PROFILE as readonly string[]).includes(name) ? ['async'] : undefined;
      assert.deepEqual(serviceOf(name).profiles, expected, name);
    }
  });

  test('each service publishes its default HTTP and gRPC ports, on 127.0.0.1 only, and listens on them', () => {
    for (const service of CHECKOUT_SERVICES) {
      const { http, grpc } = DEFAULT_PORTS[service];
      const published = ((serviceOf(service).ports ?? []) as unknown[]).flatMap(publishedPorts);
      assert.deepEqual(
        published.map((port) => `${port.hostIp}:${port.port}/${port.protocol}`).sort(),
        [`127.0.0.1:${http}/tcp`, `127.0.0.1:${grpc}/tcp`].sort(),
        service,
      );
      const environment = environmentOf(service);
      assert.equal(environment.HTTP_PORT, String(http), service);
      assert.equal(environment.GRPC_PORT, String(grpc), service);
    }
    assert.equal(serviceOf('datagen').ports, undefined);
    assert.equal(serviceOf('checkout-worker').ports, undefined, 'a published port would stop --scale');
    assert.deepEqual(
      ((serviceOf('pedidos-async').ports ?? []) as unknown[])
        .flatMap(publishedPorts)
        .map((port) => `${port.hostIp}:${port.port}`),
      ['127.0.0.1:8111'],
    );
  });

  test('each service is built from the one Dockerfile, as itself on its ports, with the repository root as context', () => {
    for (const service of CHECKOUT_SERVICES) {
      const build = buildOf(service);
      assert.equal(join(checkoutDir, build.context), repoRoot.replace(/\/$/, ''), service);
      assert.equal(build.dockerfile, 'systems/checkout/Dockerfile', service);
      const { http, grpc } = DEFAULT_PORTS[service];
      assert.deepEqual(
        buildArgsOf(service),
        { SERVICE: service, HTTP_PORT: String(http), GRPC_PORT: String(grpc), ENTRY: 'main.ts' },
        service,
      );
    }
    assert.ok(existsSync(dockerfile), dockerfile);
    assert.deepEqual(composeDockerfiles(composeFile), [dockerfile]);
    assert.deepEqual(buildOf('datagen'), buildOf('pedidos'), "datagen reuses pedidos' image");
    assert.deepEqual(buildOf('pedidos-async'), buildOf('pedidos'), "pedidos-async is pedidos' image");
    assert.deepEqual(buildArgsOf('checkout-worker'), {
      SERVICE: 'async',
      HTTP_PORT: String(DEFAULT_HEALTH_PORT),
      GRPC_PORT: '',
      ENTRY: 'worker-main.ts',
    });
  });

  test('every <NAME>_HTTP_URL and <NAME>_GRPC_ADDR names a service of the file, on its ports', () => {
    const names = new Map(CHECKOUT_SERVICES.map((service) => [envPrefix(service), service]));
    let seen = 0;
    for (const name of Object.keys(compose.services)) {
      for (const [key, value] of Object.entries(environmentOf(name))) {
        const match = /^([A-Z]+)_(HTTP_URL|GRPC_ADDR)$/.exec(key);
        if (match === null) continue;
        seen += 1;
        const target = names.get(match[1] ?? '');
        assert.ok(target !== undefined, `${name}: ${key} names no checkout service`);
        assert.ok(target in compose.services, `${name}: ${key}: ${target} is not in the file`);
        const ports = DEFAULT_PORTS[target];
        const expected =
          match[2] === 'HTTP_URL' ? `http://${target}:${ports.http}` : `${target}:${ports.grpc}`;
        assert.equal(value, expected, `${name}: ${key}`);
      }
    }
    assert.equal(seen, 14, 'pedidos: 5 neighbours × 2, catalogo: estoque × 2, pedidos-async: catalogo × 2');
  });

  test('the services that call others are told where, exactly as the launcher tells them', () => {
    for (const service of CHECKOUT_SERVICES) {
      const addressed = Object.keys(environmentOf(service))
        .filter((key) => /_(HTTP_URL|GRPC_ADDR)$/.test(key))
        .map((key) => key.replace(/_(HTTP_URL|GRPC_ADDR)$/, '').toLowerCase());
      assert.deepEqual([...new Set(addressed)].sort(), [...NEIGHBOURS[service]].sort(), service);
    }
  });

  test('TRANSPORT is CHECKOUT_TRANSPORT (rest by default) for pedidos and catalogo', () => {
    for (const service of CHECKOUT_SERVICES) {
      const raw = (serviceOf(service).environment as Record<string, unknown>).TRANSPORT;
      if (NEIGHBOURS[service].length === 0) {
        assert.equal(raw, undefined, service);
      } else {
        assert.equal(raw, '${CHECKOUT_TRANSPORT:-rest}', service);
        assert.equal(interpolate(raw, { CHECKOUT_TRANSPORT: 'grpc' }), 'grpc');
      }
    }
    assert.equal(environmentOf('pedidos-async').TRANSPORT, 'async');
  });

  test('start-up follows the calls: a service waits for the health of those it calls, and for datagen', () => {
    for (const service of CHECKOUT_SERVICES) {
      const expected: Record<string, { condition: string }> = {
        datagen: { condition: 'service_completed_successfully' },
      };
      for (const neighbour of NEIGHBOURS[service]) expected[neighbour] = { condition: 'service_healthy' };
      assert.deepEqual(serviceOf(service).depends_on, expected, service);
    }
    assert.equal(serviceOf('datagen').depends_on, undefined);
    const healthy = { condition: 'service_healthy' };
    const seeded = { condition: 'service_completed_successfully' };
    assert.deepEqual(serviceOf('checkout-worker').depends_on, {
      datagen: seeded,
      postgres: healthy,
      rabbitmq: healthy,
    });
    assert.deepEqual(serviceOf('pedidos-async').depends_on, {
      catalogo: healthy,
      datagen: seeded,
      postgres: healthy,
      rabbitmq: healthy,
    });
    for (const engine of ENGINES) assert.equal(serviceOf(engine).depends_on, undefined, engine);
  });

  test('datagen writes ecommerce.db into the shared volume that every service reads, read-only', () => {
    const datagen = serviceOf('datagen');
    assert.deepEqual(datagen.volumes, [`ecommerce-seed:${SEED_DIR}`]);
    const command = (datagen.command as string[]).join(' ');
    assert.match(
      command,
      /node --import tsx systems\/checkout\/datagen\/src\/main\.ts --out \/data\/seed\/ecommerce\.db/,
    );
    assert.match(
      command,
      /^sh -c test -s \/data\/seed\/ecommerce\.db \|\| exec /,
      'an existing file is kept',
    );
    assert.equal(datagen.restart, 'no');
    const dataVolumes = new Set<string>();
    for (const service of CHECKOUT_SERVICES) {
      const volumes = serviceOf(service).volumes as string[];
      assert.ok(volumes.includes(`ecommerce-seed:${SEED_DIR}:ro`), service);
      assert.equal(environmentOf(service).ECOMMERCE_DB, ECOMMERCE_DB, service);
      // Its own data: one named volume on DATA_DIR, shared with no other service.
      const dataDir = environmentOf(service).DATA_DIR;
      const own = volumes.filter((volume) => volume.endsWith(`:${dataDir}`));
      assert.deepEqual(own, [`${service}-data:${dataDir}`], service);
      dataVolumes.add(own[0] ?? '');
    }
    assert.equal(dataVolumes.size, CHECKOUT_SERVICES.length);
    for (const name of ['checkout-worker', 'pedidos-async']) {
      const volumes = serviceOf(name).volumes as string[];
      assert.deepEqual(volumes, [`${name}-data:/app/data`, `ecommerce-seed:${SEED_DIR}:ro`], name);
      assert.equal(environmentOf(name).ECOMMERCE_DB, ECOMMERCE_DB, name);
    }
    assert.deepEqual(
      Object.keys(compose.volumes).sort(),
      [
        'ecommerce-seed',
        ...CHECKOUT_SERVICES.map((service) => `${service}-data`),
        'checkout-worker-data',
        'pedidos-async-data',
        'postgres-data',
        'rabbitmq-data',
      ].sort(),
    );
  });

  test('every service is on the checkout network, health-checked on /health and logs to rotated json-file', () => {
    assert.deepEqual(Object.keys(compose.networks), ['checkout']);
    for (const name of Object.keys(compose.services)) {
      const service = serviceOf(name);
      const logging = service.logging as { driver: string; options: Record<string, string> };
      assert.equal(logging.driver, 'json-file', name);
      assert.ok(logging.options['max-size'] !== undefined && logging.options['max-file'] !== undefined, name);
      if (name === 'datagen') continue;
      assert.deepEqual(service.networks, ['checkout'], name);
      assert.equal(service.restart, 'unless-stopped', name);
      if ((ENGINES as readonly string[]).includes(name)) continue;
      const healthcheck = service.healthcheck as { test: string[] };
      assert.match(healthcheck.test.join(' '), /process\.env\.HTTP_PORT \+ "\/health"/, name);
    }
  });

  test('async profile: pedidos-async and the workers share one database, one broker and one queue prefix', () => {
    const api = environmentOf('pedidos-async');
    const worker = environmentOf('checkout-worker');
    for (const key of ['AMQP_URL', 'DATABASE_URL', 'QUEUE_PREFIX']) {
      assert.ok(api[key] !== undefined && api[key] !== '', key);
      assert.equal(worker[key], api[key], key);
    }
    const postgres = environmentOf('postgres');
    const rabbitmq = environmentOf('rabbitmq');
    assert.equal(
      api.DATABASE_URL,
      `postgres://${postgres.POSTGRES_USER}:${postgres.POSTGRES_PASSWORD}@postgres:5432/${postgres.POSTGRES_DB}`,
    );
    assert.equal(
      api.AMQP_URL,
      `amqp://${rabbitmq.RABBITMQ_DEFAULT_USER}:${rabbitmq.RABBITMQ_DEFAULT_PASS}@rabbitmq:5672`,
    );
    // The same password with a secret set on the host, and none of the dev-only defaults then.
    const secrets = { POSTGRES_PASSWORD: 'p', RABBITMQ_PASSWORD: 'r' };
    assert.match(environmentOf('pedidos-async', secrets).DATABASE_URL ?? '', /^postgres:\/\/checkout:p@/);
    assert.equal(environmentOf('postgres', secrets).POSTGRES_PASSWORD, 'p');
    assert.match(environmentOf('checkout-worker', secrets).AMQP_URL ?? '', /^amqp:\/\/checkout:r@/);
    assert.equal(environmentOf('rabbitmq', secrets).RABBITMQ_DEFAULT_PASS, 'r');
    for (const name of ['CHECKOUT_JWT_SECRET', 'CHECKOUT_SENHA_PADRAO']) {
      const raw = (serviceOf('pedidos-async').environment as Record<string, unknown>)[name];
      assert.match(String(raw), new RegExp(`^\\$\\{${name}:-dev-only-[^}]+\\}$`), name);
    }
    // No schema setting: pedidos' default (checkout_pedidos) is the workers' default prefix + pedidos.
    assert.equal(api.DATABASE_SCHEMA, undefined);
    assert.equal(worker.DATABASE_SCHEMA_PREFIX, undefined);
  });

  test('async profile: every setting given to pedidos-async and the workers is one they read', () => {
    const known = {
      'pedidos-async': new Set(Object.keys(pedidosConfigSchema)),
      // HTTP_PORT is the image's health-check port (the worker reads HEALTH_PORT, the same).
      'checkout-worker': new Set([...Object.keys(workerConfigSchema), 'HTTP_PORT']),
    };
    for (const [name, keys] of Object.entries(known))
      for (const key of Object.keys(environmentOf(name)))
        assert.ok(keys.has(key), `${name}: ${key} is not one of its settings`);
    const worker = environmentOf('checkout-worker');
    assert.equal(worker.HEALTH_PORT, String(DEFAULT_HEALTH_PORT));
    assert.equal(worker.HTTP_PORT, worker.HEALTH_PORT, 'the health check probes the port it listens on');
  });

  test('async profile: PostgreSQL and RabbitMQ are health-checked and keep their data in named volumes', () => {
    const postgres = serviceOf('postgres');
    assert.deepEqual(postgres.volumes, ['postgres-data:/var/lib/postgresql/data']);
    assert.match(
      (postgres.healthcheck as { test: string[] }).test.join(' '),
      /pg_isready -U checkout -d checkout/,
    );
    const rabbitmq = serviceOf('rabbitmq');
    assert.deepEqual(rabbitmq.volumes, ['rabbitmq-data:/var/lib/rabbitmq']);
    assert.equal(rabbitmq.image, 'rabbitmq:3-management');
    assert.match((rabbitmq.healthcheck as { test: string[] }).test.join(' '), /rabbitmq-diagnostics -q /);
    assert.equal(rabbitmq.hostname, 'rabbitmq', 'its data lives under its node name');
    assert.equal(postgres.ports, undefined, 'not published: the services reach it on the network');
  });
});

describe('checkout Dockerfile (systems/checkout/Dockerfile, one per build argument SERVICE)', () => {
  test('it declares SERVICE, HTTP_PORT and GRPC_PORT in the stages that use them, and refuses an unknown service', () => {
    const stages: string[][] = [];
    for (const instruction of instructions) {
      if (instruction.keyword === 'FROM') stages.push([]);
      else if (instruction.keyword === 'ARG') stages.at(-1)?.push(instruction.args.trim());
    }
    // manifests (shared by every service), build, runtime.
    const declared = ['SERVICE', 'HTTP_PORT', 'GRPC_PORT', 'ENTRY=main.ts'];
    assert.deepEqual(stages, [[], declared, declared]);
    const check = instructions.find(
      (instruction) => instruction.keyword === 'RUN' && instruction.args.includes('case "${SERVICE}" in'),
    );
    assert.ok(check !== undefined, 'no check of SERVICE');
    assert.match(check.args, new RegExp(`\\b${[...CHECKOUT_SERVICES, 'async'].join('\\|')}\\)`));
    assert.match(check.args, /\bmain\.ts\|worker-main\.ts\|embedded-main\.ts\)/);
  });

  for (const service of CHECKOUT_SERVICES) {
    const { http, grpc } = DEFAULT_PORTS[service];
    const args: BuildArgs = {
      SERVICE: service,
      HTTP_PORT: String(http),
      GRPC_PORT: String(grpc),
      ENTRY: 'main.ts',
    };

    test(`${service}: CMD runs its main.ts with tsx, and the image exposes, listens on and checks its ports`, () => {
      assert.equal(commandOf(args), `exec node --import tsx "systems/checkout/${service}/src/main.ts"`);
      const stage = finalStageFor(args);
      const exposed = stage
        .filter((instruction) => instruction.keyword === 'EXPOSE')
        .flatMap((instruction) => instruction.args.split(/\s+/));
      assert.deepEqual(exposed.sort(), [String(http), String(grpc)].sort());
      const environment = imageEnvironment(finalStageFor(args));
      assert.equal(environment.SERVICE, service);
      assert.equal(environment.HTTP_PORT, String(http));
      assert.equal(environment.GRPC_PORT, String(grpc));
      assert.equal(environment.ECOMMERCE_DB, ECOMMERCE_DB);
      assert.ok(
        execForm(finalStageFor(args), 'HEALTHCHECK')
          .join(' ')
          .includes(`'http://127.0.0.1:' + process.env.HTTP_PORT + '/health'`),
      );
    });

    test(`${service}: npm ci installs its own workspace with the root (tsx) and nothing else`, () => {
      const installs = instructionsFor(args)
        .filter((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args))
        .map((instruction) => instruction.args);
      assert.deepEqual(installs, [`npm ci --workspace=systems/checkout/${service} --include-workspace-root`]);
    });
  }
});

describe('checkout Dockerfile: the async worker (SERVICE=async, ENTRY=worker-main.ts)', () => {
  const args: BuildArgs = {
    SERVICE: 'async',
    HTTP_PORT: String(DEFAULT_HEALTH_PORT),
    GRPC_PORT: '',
    ENTRY: 'worker-main.ts',
  };

  test('CMD runs the worker with tsx; the image exposes and health-checks its /health port only', () => {
    assert.equal(commandOf(args), 'exec node --import tsx "systems/checkout/async/src/worker-main.ts"');
    const exposed = finalStageFor(args)
      .filter((instruction) => instruction.keyword === 'EXPOSE')
      .flatMap((instruction) => instruction.args.split(/\s+/))
      .filter((port) => port !== '');
    assert.deepEqual(exposed, [String(DEFAULT_HEALTH_PORT)]);
    const environment = imageEnvironment(finalStageFor(args));
    assert.equal(
      environment.HEALTH_PORT,
      String(DEFAULT_HEALTH_PORT),
      'the worker listens where it is probed',
    );
    assert.equal(environment.HTTP_PORT, String(DEFAULT_HEALTH_PORT));
    assert.equal(environment.ECOMMERCE_DB, ECOMMERCE_DB);
  });

  test('npm ci installs the async workspace (it depends on the six services) with the root', () => {
    const installs = instructionsFor(args)
      .filter((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args))
      .map((instruction) => instruction.args);
    assert.deepEqual(installs, ['npm ci --workspace=systems/checkout/async --include-workspace-root']);
  });
});
