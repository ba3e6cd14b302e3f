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
import { CHECKOUT_SERVICES, DEFAULT_PORTS, envPrefix } from '@dslab/checkout-kit';
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
const BUILD_ARGS = ['SERVICE', 'HTTP_PORT', 'GRPC_PORT'] as const;
type BuildArgs = Record<(typeof BUILD_ARGS)[number], string>;

/** What the Dockerfile's build arguments are for `service` when Compose builds it. */
function buildArgsOf(name: string): BuildArgs {
  const args = buildOf(name).args;
  return {
    SERVICE: interpolate(String(args.SERVICE), {}),
    HTTP_PORT: interpolate(String(args.HTTP_PORT), {}),
    GRPC_PORT: interpolate(String(args.GRPC_PORT), {}),
  };
}

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

  test("it runs every service of the kit's table, plus the one-shot datagen, and nothing else", () => {
    assert.deepEqual(Object.keys(compose.services).sort(), [...CHECKOUT_SERVICES, 'datagen'].sort());
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
  });

  test('each service is built from the one Dockerfile, as itself on its ports, with the repository root as context', () => {
    for (const service of CHECKOUT_SERVICES) {
      const build = buildOf(service);
      assert.equal(join(checkoutDir, build.context), repoRoot.replace(/\/$/, ''), service);
      assert.equal(build.dockerfile, 'systems/checkout/Dockerfile', service);
      const { http, grpc } = DEFAULT_PORTS[service];
      assert.deepEqual(
        buildArgsOf(service),
        { SERVICE: service, HTTP_PORT: String(http), GRPC_PORT: String(grpc) },
        service,
      );
    }
    assert.ok(existsSync(dockerfile), dockerfile);
    assert.deepEqual(composeDockerfiles(composeFile), [dockerfile]);
    assert.deepEqual(buildOf('datagen'), buildOf('pedidos'), "datagen reuses pedidos' image");
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
    assert.equal(seen, 12, 'pedidos: 5 neighbours × 2, catalogo: estoque × 2');
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
    assert.deepEqual(
      Object.keys(compose.volumes).sort(),
      ['ecommerce-seed', ...CHECKOUT_SERVICES.map((service) => `${service}-data`)].sort(),
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
      const healthcheck = service.healthcheck as { test: string[] };
      assert.match(healthcheck.test.join(' '), /process\.env\.HTTP_PORT \+ "\/health"/, name);
    }
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
    assert.deepEqual(stages, [[], [...BUILD_ARGS], [...BUILD_ARGS]]);
    const check = instructions.find(
      (instruction) => instruction.keyword === 'RUN' && instruction.args.includes('case "${SERVICE}" in'),
    );
    assert.ok(check !== undefined, 'no check of SERVICE');
    assert.match(check.args, new RegExp(`\\b${[...CHECKOUT_SERVICES].join('\\|')}\\)`));
  });

  for (const service of CHECKOUT_SERVICES) {
    const { http, grpc } = DEFAULT_PORTS[service];
    const args: BuildArgs = { SERVICE: service, HTTP_PORT: String(http), GRPC_PORT: String(grpc) };

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
