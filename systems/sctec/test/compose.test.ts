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
import { dirname, join, relative, resolve } from 'node:path';
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

/**
 * systems/<system>/compose*.yaml: compose.yaml and its variants (compose.cluster.yaml), the files
 * `npm run compose:lint` lints in each system folder.
 */
const composeFiles = readdirSync(systemsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) =>
    readdirSync(join(systemsDir, entry.name))
      .filter((name) => /^compose.*\.ya?ml$/.test(name))
      .map((name) => join(systemsDir, entry.name, name)),
  )
  .filter((file) => existsSync(file))
  .sort();

const show = (file: string): string => relative(repoRoot, file);

describe('every systems/*/compose*.yaml', () => {
  test('the SCTEC compose files are among them (the search finds files at all)', () => {
    for (const name of ['compose.yaml', 'compose.cluster.yaml']) {
      assert.ok(composeFiles.includes(join(systemsDir, 'sctec', name)), composeFiles.join(', '));
    }
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

// ---------------------------------------------------------------------------------------------
// The cluster file (compose.cluster.yaml): what holds it together beyond the generic checks. The
// files it mounts exist, the replicas of a pair share the settings that make them one service,
// and the proxy's config (cluster/nginx.conf) names services of the file on their ports.

type Service = Record<string, unknown>;
interface ComposeDocument {
  services: Record<string, Service>;
}

const readCompose = (file: string): ComposeDocument =>
  parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeDocument;

/** Bind-mount sources of every service (short and long syntax), resolved against `baseDir`. */
function bindMounts(compose: ComposeDocument, baseDir: string): { service: string; source: string }[] {
  const mounts: { service: string; source: string }[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    for (const entry of (service.volumes as unknown[] | undefined) ?? []) {
      let source: string | undefined;
      if (typeof entry === 'string') {
        const [first, target] = entry.split(':');
        if (target !== undefined && first !== undefined && /^[./~]/.test(first)) source = first;
      } else if (typeof entry === 'object' && entry !== null) {
        const long = entry as { type?: string; source?: string };
        if (long.type === 'bind' && typeof long.source === 'string') source = long.source;
      }
      if (source !== undefined) mounts.push({ service: name, source: resolve(baseDir, source) });
    }
  }
  return mounts;
}

function missingMounts(compose: ComposeDocument, baseDir: string): string[] {
  return bindMounts(compose, baseDir)
    .filter((mount) => !existsSync(mount.source))
    .map((mount) => `service "${mount.service}" mounts ${mount.source}, which does not exist`);
}

/** One nginx directive: `name args;` or `name args { block }`. */
interface NginxDirective {
  readonly name: string;
  readonly args: readonly string[];
  readonly block?: readonly NginxDirective[];
}

/** A small nginx config parser: comments dropped, quoted strings kept whole, blocks nested. */
function parseNginx(text: string): NginxDirective[] {
  const tokens = [...text.replace(/#[^\n]*/g, '').matchAll(/"[^"]*"|'[^']*'|[{};]|[^\s{};]+/g)].map(
    (match) => match[0],
  );
  let at = 0;
  const block = (): NginxDirective[] => {
    const directives: NginxDirective[] = [];
    while (at < tokens.length) {
      const name = tokens[at++] ?? '';
      if (name === '}') return directives;
      const args: string[] = [];
      while (at < tokens.length && tokens[at] !== ';' && tokens[at] !== '{') args.push(tokens[at++] ?? '');
      const end = tokens[at++];
      directives.push(end === '{' ? { name, args, block: block() } : { name, args });
    }
    return directives;
  };
  return block();
}

const childrenOf = (directives: readonly NginxDirective[], name: string): NginxDirective[] =>
  directives.filter((directive) => directive.name === name);

const descendantsOf = (directives: readonly NginxDirective[], name: string): NginxDirective[] =>
  directives.flatMap((directive) => [
    ...(directive.name === name ? [directive] : []),
    ...descendantsOf(directive.block ?? [], name),
  ]);

interface Upstream {
  readonly name: string;
  readonly servers: { host: string; port: number }[];
}

function nginxUpstreams(text: string): Upstream[] {
  return descendantsOf(parseNginx(text), 'upstream').map((upstream) => ({
    name: upstream.args[0] ?? '',
    servers: childrenOf(upstream.block ?? [], 'server').map((server) => {
      const [host = '', port = '80'] = (server.args[0] ?? '').split(':');
      return { host, port: Number(port) };
    }),
  }));
}

/** The port a service's process listens on, from its environment (SCHEDULER_PORT, COORDINATOR_PORT...). */
function listenPort(service: Service): number | undefined {
  const environment = (service.environment ?? {}) as Record<string, unknown>;
  const entry = Object.entries(environment).find(([key]) => /_PORT$/.test(key));
  return entry === undefined ? undefined : Number(entry[1]);
}

/** Upstream hosts that are not services of the file, or not on the port the service listens on. */
function upstreamProblems(nginxText: string, compose: ComposeDocument): string[] {
  const problems: string[] = [];
  const upstreams = nginxUpstreams(nginxText);
  for (const upstream of upstreams) {
    if (upstream.servers.length === 0) problems.push(`upstream ${upstream.name} has no server`);
    for (const { host, port } of upstream.servers) {
      const service = compose.services[host];
      if (service === undefined) {
        problems.push(`upstream ${upstream.name} names ${host}, which is not a service of the file`);
      } else if (listenPort(service) !== port) {
        problems.push(
          `upstream ${upstream.name} sends to ${host}:${port}, but ${host} listens on ${String(listenPort(service))}`,
        );
      }
    }
  }
  const names = new Set(upstreams.map((upstream) => upstream.name));
  for (const proxyPass of descendantsOf(parseNginx(nginxText), 'proxy_pass')) {
    const target = /^https?:\/\/([^/:]+)/.exec(proxyPass.args[0] ?? '')?.[1] ?? '';
    if (!names.has(target)) problems.push(`proxy_pass ${proxyPass.args.join(' ')} names no upstream`);
  }
  return problems;
}

describe('SCTEC cluster compose file (compose.cluster.yaml)', () => {
  const file = join(systemsDir, 'sctec', 'compose.cluster.yaml');
  const nginxConf = join(systemsDir, 'sctec', 'cluster', 'nginx.conf');
  const compose = readCompose(file);
  const replicas = (prefix: string): [string, Service][] =>
    Object.entries(compose.services).filter(([name]) => new RegExp(`^${prefix}-\\d+$`).test(name));
  const schedulers = replicas('servico-agendamento');
  const coordinators = replicas('servico-coordenador');
  const environmentOf = (service: Service) => (service.environment ?? {}) as Record<string, unknown>;
  /** The one expression all `services` give `key` (raw, before interpolation), or a failure. */
  const shared = (services: [string, Service][], key: string): unknown => {
    const values = services.map(([, service]) => environmentOf(service)[key]);
    assert.ok(values[0] !== undefined, `${key} is not set`);
    assert.deepEqual(new Set(values).size, 1, `${key} differs: ${JSON.stringify(values)}`);
    return values[0];
  };

  test('two replicas of each deployable, built like compose.yaml builds them', () => {
    assert.deepEqual(
      schedulers.map(([name]) => name),
      ['servico-agendamento-1', 'servico-agendamento-2'],
    );
    assert.deepEqual(
      coordinators.map(([name]) => name),
      ['servico-coordenador-1', 'servico-coordenador-2'],
    );
    assert.deepEqual(composeDockerfiles(file).sort(), [
      join(systemsDir, 'sctec', 'servico-agendamento', 'Dockerfile'),
      join(systemsDir, 'sctec', 'servico-coordenador', 'Dockerfile'),
    ]);
  });

  test('every file a service mounts from the repository exists (the proxy config, read-only)', () => {
    const mounts = bindMounts(compose, dirname(file));
    assert.deepEqual(
      mounts.map((mount) => mount.source),
      [nginxConf],
    );
    assert.deepEqual(missingMounts(compose, dirname(file)), []);
    assert.ok(
      (compose.services.balanceador?.volumes as string[]).includes(
        './cluster/nginx.conf:/etc/nginx/nginx.conf:ro',
      ),
    );
  });

  test('both schedulers share JWT_SECRET and the database; both coordinators share LOCK_STORE_PREFIX', () => {
    assert.match(String(shared(schedulers, 'JWT_SECRET')), /^\$\{JWT_SECRET:-dev-only-[^}]+\}$/);
    assert.match(String(shared(schedulers, 'DATABASE_URL')), /@postgres:5432\//);
    shared(schedulers, 'DATABASE_SCHEMA');
    assert.equal(shared(schedulers, 'TRUST_PROXY'), 'true');
    assert.match(
      String(shared(coordinators, 'LOCK_STORE_PREFIX')),
      /^\$\{LOCK_STORE_PREFIX:-[a-z_][a-z0-9_]*\}$/,
    );
    assert.equal(shared(coordinators, 'LOCK_STORE'), 'redis');
    assert.equal(shared(coordinators, 'REDIS_URL'), 'redis://redis:6379');
    // The secret the schedulers present is the one the coordinators check.
    assert.match(
      String(shared([...schedulers, ...coordinators], 'COORDINATOR_SECRET')),
      /^\$\{COORDINATOR_SECRET:-dev-only-[^}]+\}$/,
    );
  });

  test('the upstream hosts in cluster/nginx.conf are services of the file, on their ports', () => {
    const text = readFileSync(nginxConf, 'utf8');
    assert.deepEqual(upstreamProblems(text, compose), []);
    const hostsOf = (name: string) =>
      nginxUpstreams(text)
        .find((upstream) => upstream.name === name)
        ?.servers.map((server) => server.host)
        .sort();
    assert.deepEqual(
      hostsOf('agendamento'),
      schedulers.map(([name]) => name),
    );
    assert.deepEqual(
      hostsOf('coordenadores'),
      coordinators.map(([name]) => name),
    );
  });

  test('the upstream check fails for a host that is no service, a wrong port or an unknown upstream', () => {
    const broken = `
      http {
        upstream coordenadores { server servico-coordenador-1:3000; server servico-fantasma:3000; }
        upstream agendamento { server servico-agendamento-1:8080 max_fails=1; }
        server { listen 80; location / { proxy_pass http://nenhum; } }
      }`;
    const problems = upstreamProblems(broken, compose);
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems.join('\n'), /servico-fantasma/);
    assert.match(problems.join('\n'), /servico-agendamento-1:8080/);
    assert.match(problems.join('\n'), /nenhum/);
    const ghostMount = { services: { proxy: { volumes: ['./cluster/ghost.conf:/etc/x.conf:ro'] } } };
    assert.equal(missingMounts(ghostMount, dirname(file)).length, 1);
  });

  test('the schedulers reach the coordinators through the proxy, which streams /eventos unbuffered', () => {
    const directives = parseNginx(readFileSync(nginxConf, 'utf8'));
    const servers = descendantsOf(directives, 'server').filter((server) => server.block !== undefined);
    const serverOn = (port: string) =>
      servers.find((server) =>
        childrenOf(server.block ?? [], 'listen').some((listen) => listen.args[0] === port),
      );
    const targets = (server: NginxDirective | undefined) =>
      new Set(descendantsOf(server?.block ?? [], 'proxy_pass').map((pass) => pass.args[0]));
    assert.equal(shared(schedulers, 'COORDINATOR_URL'), 'http://balanceador:3000');
    assert.deepEqual(targets(serverOn('3000')), new Set(['http://coordenadores']));
    assert.deepEqual(targets(serverOn('5000')), new Set(['http://agendamento']));
    for (const server of [serverOn('3000'), serverOn('5000')]) {
      const eventos = childrenOf(server?.block ?? [], 'location').find(
        (location) => location.args[0] === '/eventos',
      );
      assert.ok(eventos !== undefined, 'a location for /eventos');
      const setting = (name: string) => childrenOf(eventos.block ?? [], name)[0]?.args[0];
      assert.equal(setting('proxy_buffering'), 'off');
      assert.match(setting('proxy_read_timeout') ?? '', /^\d+h$/);
    }
    // Keep-alive to the replicas, and a dead replica skipped.
    for (const upstream of descendantsOf(directives, 'upstream')) {
      assert.ok(childrenOf(upstream.block ?? [], 'keepalive').length === 1, upstream.args[0]);
      for (const server of childrenOf(upstream.block ?? [], 'server')) {
        assert.ok(
          server.args.some((arg) => arg.startsWith('max_fails=')),
          server.args.join(' '),
        );
      }
    }
    assert.equal(descendantsOf(directives, 'proxy_http_version')[0]?.args[0], '1.1');
  });

  test('only the proxy publishes ports, and the start-up order follows the health checks', () => {
    const publishing = Object.entries(compose.services)
      .filter(([, service]) => service.ports !== undefined)
      .map(([name]) => name);
    assert.deepEqual(publishing, ['balanceador']);
    const published = (compose.services.balanceador?.ports as unknown[]).flatMap(publishedPorts);
    assert.deepEqual(published.map((entry) => `${entry.hostIp}:${entry.port}`).sort(), [
      '127.0.0.1:3000',
      '127.0.0.1:5000',
    ]);
    const healthy = { condition: 'service_healthy' };
    for (const [, service] of coordinators) assert.deepEqual(service.depends_on, { redis: healthy });
    for (const [, service] of schedulers) {
      const dependsOn = service.depends_on as Record<string, unknown>;
      assert.deepEqual(dependsOn.balanceador, healthy);
      assert.deepEqual(dependsOn.postgres, healthy);
    }
    assert.deepEqual(
      Object.keys(compose.services.balanceador?.depends_on as object).sort(),
      coordinators.map(([name]) => name),
    );
    assert.deepEqual(compose.services.redis?.command, [
      'redis-server',
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
    ]);
  });

  test('secrets come from the environment, with dev-only defaults', () => {
    const text = readFileSync(file, 'utf8');
    for (const name of ['JWT_SECRET', 'ADMIN_PASSWORD', 'COORDINATOR_SECRET', 'POSTGRES_PASSWORD']) {
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
