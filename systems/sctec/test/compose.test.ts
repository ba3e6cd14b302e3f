// Compose files and Dockerfiles are validated, not run: no Docker engine exists on the machines that
// run these tests. dclint (npm run compose:lint) checks the schema and style; these tests check the
// cross-references and the runtime promises, and prove the checker can fail.

import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  checkComposeFile,
  checkComposeText,
  checkDockerfile,
  checkDockerfileText,
  composeDockerfiles,
  findFiles,
  publishedPorts,
  type ComposeProblemKind,
} from '../../../packages/testing/src/compose-check.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const systemsDir = join(repoRoot, 'systems');

/** systems/<system>/compose.yaml, one per system that has one. */
const composeFiles = readdirSync(systemsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(systemsDir, entry.name, 'compose.yaml'))
  .filter((file) => existsSync(file))
  .sort();

const show = (file: string): string => relative(repoRoot, file);

describe('every systems/*/compose.yaml', () => {
  test('the SCTEC compose file is among them (the search finds files at all)', () => {
    assert.ok(composeFiles.includes(join(systemsDir, 'sctec', 'compose.yaml')), composeFiles.join(', '));
  });

  for (const file of composeFiles) {
    test(`${show(file)}: every name it uses resolves and every promise it makes can hold`, () => {
      assert.deepEqual(checkComposeFile(file), []);
    });

    test(`${show(file)}: every Dockerfile it builds is multi-stage, non-root and health-checked`, () => {
      for (const dockerfile of composeDockerfiles(file)) {
        assert.deepEqual(checkDockerfile(dockerfile), [], show(dockerfile));
      }
    });
  }
});

test('every Dockerfile under systems/ is multi-stage, runs as a non-root USER and has a HEALTHCHECK', () => {
  const dockerfiles = findFiles(systemsDir, (name) => name === 'Dockerfile' || name.endsWith('.Dockerfile'));
  assert.ok(
    dockerfiles.length >= 2,
    `expected the SCTEC Dockerfiles, found: ${dockerfiles.map(show).join(', ')}`,
  );
  for (const dockerfile of dockerfiles) {
    assert.deepEqual(checkDockerfile(dockerfile), [], show(dockerfile));
  }
});

describe('SCTEC compose file (seed 000, delivery 5)', () => {
  const compose = parse(readFileSync(join(systemsDir, 'sctec', 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, Record<string, unknown>>;
  };
  const scheduler = compose.services['servico-agendamento'];
  const coordinator = compose.services['servico-coordenador'];

  test('both deployables are built from their own Dockerfile, with the repository root as context', () => {
    assert.deepEqual(composeDockerfiles(join(systemsDir, 'sctec', 'compose.yaml')).sort(), [
      join(systemsDir, 'sctec', 'servico-agendamento', 'Dockerfile'),
      join(systemsDir, 'sctec', 'servico-coordenador', 'Dockerfile'),
    ]);
  });

  test('when the stack starts, the scheduler reaches the coordinator by its Compose service name', () => {
    assert.ok(scheduler !== undefined && coordinator !== undefined);
    const environment = scheduler.environment as Record<string, unknown>;
    assert.equal(environment.COORDINATOR_URL, 'http://servico-coordenador:3000');
    assert.deepEqual(scheduler.depends_on, { 'servico-coordenador': { condition: 'service_healthy' } });
  });

  test('both services publish their seed ports and log to rotated json-file, so `logs -f` shows both', () => {
    for (const [service, port] of [
      [scheduler, 5000],
      [coordinator, 3000],
    ] as const) {
      assert.ok(service !== undefined);
      const published = (service.ports as unknown[]).flatMap(publishedPorts).map((entry) => entry.port);
      assert.deepEqual(published, [port]);
      const logging = service.logging as { driver: string; options: Record<string, string> };
      assert.equal(logging.driver, 'json-file');
      assert.ok(logging.options['max-size'] !== undefined && logging.options['max-file'] !== undefined);
      assert.equal(service.restart, 'unless-stopped');
    }
  });

  test('secrets come from the environment, with dev-only defaults', () => {
    const text = readFileSync(join(systemsDir, 'sctec', 'compose.yaml'), 'utf8');
    for (const name of ['JWT_SECRET', 'ADMIN_PASSWORD', 'COORDINATOR_SECRET']) {
      assert.match(text, new RegExp(`${name}: \\$\\{${name}:-dev-only-[^}]+\\}`), name);
    }
  });
});

describe('the compose checker', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'compose-check-'));
  after(() => rmSync(workDir, { recursive: true, force: true }));
  // A complete build context for the clean file, and one without its Dockerfile for the broken file
  // (to tell "missing context" from "missing Dockerfile").
  mkdirSync(join(workDir, 'complete'));
  writeFileSync(join(workDir, 'complete', 'Dockerfile'), 'FROM scratch\n');
  mkdirSync(join(workDir, 'app'));
  writeFileSync(join(workDir, 'present.env'), 'A=1\n');

  test('a clean file yields no problems (the broken one below fails for its faults only)', () => {
    const clean = `
services:
  api:
    build:
      context: ./complete
    depends_on:
      db:
        condition: service_healthy
    volumes:
      - data:/data
      - ./local:/local
      - /anonymous
    env_file: present.env
    ports:
      - '127.0.0.1:\${API_PORT:-8080}:8080'
      - '9000'
    networks: [back]
    healthcheck:
      test: [CMD, 'true']
  db:
    image: postgres:16
    ports:
      - '127.0.0.2:8080:5432'
    networks:
      back: {}
    healthcheck:
      test: [CMD-SHELL, pg_isready]
networks:
  back:
volumes:
  data:
`;
    assert.deepEqual(checkComposeText(clean, { baseDir: workDir }), []);
  });

  test('a broken file yields one problem of every kind the checker knows', () => {
    const broken = `
name: rejected-by-docker-compose-1.29
x-common: &common
  networks: [ghost-net]
services:
  api:
    <<: *common
    build:
      context: ./app
      dockerfile: Missing.Dockerfile
    depends_on:
      cache:
        condition: service_healthy
      phantom:
        condition: service_started
      metrics:
        condition: service_started
    volumes:
      - ghost-volume:/data
    secrets: [ghost-secret]
    configs:
      - source: ghost-config
    env_file:
      - absent.env
      - path: optional.env
        required: false
    ports:
      - '8080:80'
    healthcheck:
      test: [CMD, 'true']
  worker:
    build: ./no-such-context
    ports:
      - target: 80
        published: 8080
    healthcheck:
      test: [NONE]
  cache:
    image: redis:7
    healthcheck:
      disable: true
  metrics:
    image: prom/prometheus:v3.0.0
    profiles: [observability]
    healthcheck:
      test: [CMD, 'true']
`;
    const problems = checkComposeText(broken, { baseDir: workDir });
    const kinds = new Set(problems.map((problem) => problem.kind));
    const expected: ComposeProblemKind[] = [
      'top-level-name',
      'undeclared-network',
      'undeclared-volume',
      'undeclared-secret',
      'undeclared-config',
      'unknown-dependency',
      'dependency-without-healthcheck',
      'dependency-in-inactive-profile',
      'missing-healthcheck',
      'missing-build-context',
      'missing-dockerfile',
      'missing-env-file',
      'port-collision',
    ];
    assert.deepEqual([...kinds].sort(), [...expected].sort(), JSON.stringify(problems, null, 2));
    // The optional env file and the healthy services raise nothing; the two services without a
    // healthcheck (worker: NONE, cache: disabled) are both named.
    assert.equal(problems.filter((problem) => problem.kind === 'missing-env-file').length, 1);
    assert.deepEqual(
      problems
        .filter((problem) => problem.kind === 'missing-healthcheck')
        .map((problem) => problem.service)
        .sort(),
      ['cache', 'worker'],
    );
  });

  test('text that is not YAML, or has no services, is reported rather than thrown', () => {
    assert.deepEqual(
      checkComposeText('services: [unclosed', { baseDir: workDir }).map((problem) => problem.kind),
      ['invalid-yaml'],
    );
    assert.deepEqual(
      checkComposeText('networks: {}\n', { baseDir: workDir }).map((problem) => problem.kind),
      ['no-services'],
    );
  });

  test('ports collide per interface and protocol, including ranges and the all-interfaces wildcard', () => {
    const kindsFor = (ports: string): string[] =>
      checkComposeText(
        `services:\n  a:\n    image: x:1\n    healthcheck: {test: [CMD, 'true']}\n    ports: ${ports}\n`,
        { baseDir: workDir },
      ).map((problem) => problem.kind);
    assert.deepEqual(kindsFor(`['127.0.0.1:80:80', '127.0.0.2:80:80']`), []);
    assert.deepEqual(kindsFor(`['80:80/udp', '80:80/tcp']`), []);
    assert.deepEqual(kindsFor(`['127.0.0.1:80:80', '0.0.0.0:80:81']`), ['port-collision']);
    assert.deepEqual(kindsFor(`['8000-8010:8000-8010', '8005:9000']`), ['port-collision']);
    assert.deepEqual(kindsFor(`['[::1]:80:80', '80:80']`), ['port-collision']);
    assert.deepEqual(kindsFor(`['\${P:-80}:80', '80:81']`), ['port-collision']);
  });
});

describe('the Dockerfile checker', () => {
  test('a single-stage image that runs as root without a HEALTHCHECK fails all three checks', () => {
    const kinds = checkDockerfileText(
      'FROM node:20-bookworm-slim\nCOPY . .\nUSER root\nCMD ["node", "main.js"]\n',
    ).map((problem) => problem.kind);
    assert.deepEqual(kinds.sort(), ['missing-healthcheck', 'runs-as-root', 'single-stage']);
  });

  test('only the final stage counts: a USER or HEALTHCHECK in the build stage does not carry over', () => {
    const text = [
      'FROM node:20 AS build',
      'USER node',
      'HEALTHCHECK CMD true',
      'FROM node:20-slim',
      '# USER node   (a comment is not an instruction)',
      'HEALTHCHECK NONE',
      'CMD ["node"]',
    ].join('\n');
    assert.deepEqual(
      checkDockerfileText(text)
        .map((problem) => problem.kind)
        .sort(),
      ['missing-healthcheck', 'runs-as-root'],
    );
  });

  test('continuation lines, lower-case keywords and uid form are understood', () => {
    const text = [
      'from node:20 as build',
      'RUN echo one \\',
      '  # a comment inside a continuation',
      '  && echo two',
      'FROM node:20-slim',
      'user 1000:1000',
      'HEALTHCHECK --interval=5s \\',
      '  CMD ["node", "-e", "process.exit(0)"]',
    ].join('\n');
    assert.deepEqual(checkDockerfileText(text), []);
    assert.deepEqual(
      checkDockerfileText(text.replace('user 1000:1000', 'USER 0:0')).map((problem) => problem.kind),
      ['runs-as-root'],
    );
  });
});
