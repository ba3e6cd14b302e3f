// systems/checkout/compose.yaml and the six Dockerfiles, validated without Docker (none runs here).
// The generic checks (every name resolves, health checks behind service_healthy, no port collision,
// multi-stage non-root images with a HEALTHCHECK) run over every systems/*/compose*.yaml in
// systems/sctec/test/compose.test.ts; these are the checkout's own promises: the file, the kit's
// service table, the launcher (npm run checkout) and the Dockerfiles agree.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { CHECKOUT_SERVICES, DEFAULT_PORTS, envPrefix, type CheckoutService } from '@dslab/checkout-kit';
import {
  checkComposeFile,
  composeDockerfiles,
  dockerfileInstructions,
  interpolate,
  publishedPorts,
} from '@dslab/testing';
import { NEIGHBOURS } from '../start-options.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const checkoutDir = join(repoRoot, 'systems', 'checkout');
const composeFile = join(checkoutDir, 'compose.yaml');

type Service = Record<string, unknown>;
const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  networks: Record<string, unknown>;
};

const SEED_DIR = '/data/seed';
const ECOMMERCE_DB = `${SEED_DIR}/ecommerce.db`;

function serviceOf(name: string): Service {
  const service = compose.services[name];
  assert.ok(service !== undefined, `service "${name}" is not in compose.yaml`);
  return service;
}

/** A service's environment as Compose runs it on a machine that sets nothing (defaults apply). */
function environmentOf(name: string): Record<string, string> {
  const raw = (serviceOf(name).environment ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(raw).map(([key, value]) => [key, interpolate(String(value), {})]));
}

const dockerfileOf = (service: CheckoutService) => join(checkoutDir, service, 'Dockerfile');

/** Instructions of the final stage of a Dockerfile (what the container runs with). */
function finalStage(service: CheckoutService) {
  const instructions = dockerfileInstructions(readFileSync(dockerfileOf(service), 'utf8'));
  const lastFrom = instructions.map((instruction) => instruction.keyword).lastIndexOf('FROM');
  return instructions.slice(lastFrom);
}

/** The one argument list of the final stage's last `keyword` instruction, in exec (JSON) form. */
function execForm(service: CheckoutService, keyword: 'CMD' | 'HEALTHCHECK'): string[] {
  const instruction = finalStage(service)
    .filter((candidate) => candidate.keyword === keyword)
    .at(-1);
  assert.ok(instruction !== undefined, `${service}: no ${keyword}`);
  const json = /\[.*\]$/s.exec(instruction.args)?.[0];
  assert.ok(json !== undefined, `${service}: ${keyword} is not in exec form: ${instruction.args}`);
  return JSON.parse(json) as string[];
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

  test('each service is built from its own Dockerfile with the repository root as context', () => {
    for (const service of CHECKOUT_SERVICES) {
      const build = serviceOf(service).build as { context: string; dockerfile: string };
      assert.equal(join(checkoutDir, build.context), repoRoot.replace(/\/$/, ''), service);
      assert.equal(build.dockerfile, `systems/checkout/${service}/Dockerfile`);
      assert.ok(existsSync(dockerfileOf(service)), dockerfileOf(service));
    }
    assert.deepEqual(
      composeDockerfiles(composeFile).sort(),
      CHECKOUT_SERVICES.map(dockerfileOf).sort(),
      'datagen reuses a service image',
    );
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

describe('checkout Dockerfiles (systems/checkout/<service>/Dockerfile)', () => {
  for (const service of CHECKOUT_SERVICES) {
    test(`${service}: CMD runs its main.ts with tsx, and the image exposes, listens on and checks its ports`, () => {
      assert.deepEqual(execForm(service, 'CMD'), [
        'node',
        '--import',
        'tsx',
        `systems/checkout/${service}/src/main.ts`,
      ]);
      const { http, grpc } = DEFAULT_PORTS[service];
      const stage = finalStage(service);
      const exposed = stage
        .filter((instruction) => instruction.keyword === 'EXPOSE')
        .flatMap((instruction) => instruction.args.split(/\s+/));
      assert.deepEqual(exposed.sort(), [String(http), String(grpc)].sort());
      const env = stage
        .filter((instruction) => instruction.keyword === 'ENV')
        .map((instruction) => instruction.args)
        .join(' ');
      assert.match(env, new RegExp(`\\bHTTP_PORT=${http}\\b`));
      assert.match(env, new RegExp(`\\bGRPC_PORT=${grpc}\\b`));
      assert.match(env, new RegExp(`\\bECOMMERCE_DB=${ECOMMERCE_DB}\\b`));
      assert.ok(execForm(service, 'HEALTHCHECK').join(' ').includes(`process.env.HTTP_PORT || '${http}'`));
    });

    test(`${service}: npm ci installs its own workspace with the root (tsx) and nothing else`, () => {
      const installs = dockerfileInstructions(readFileSync(dockerfileOf(service), 'utf8'))
        .filter((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args))
        .map((instruction) => instruction.args);
      assert.deepEqual(installs, [`npm ci --workspace=systems/checkout/${service} --include-workspace-root`]);
    });
  }
});
