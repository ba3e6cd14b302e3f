// Cross-reference checks for Compose files and Dockerfiles.
//
// There is no Docker engine (and no `docker compose`) on the machines that run our tests, so a
// Compose file is never started here. dclint checks style and the Compose schema; this module
// checks what the schema cannot: that the names a service uses point at things that exist
// (networks, volumes, secrets, configs, services it depends on, build contexts, Dockerfiles,
// env files) and that the runtime promises hold (health checks behind `service_healthy`,
// published ports that do not collide, no top-level `name:` that Debian's docker-compose 1.29
// rejects). Every function returns a list of problems; an empty list means "clean".

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';

export type ComposeProblemKind =
  | 'invalid-yaml'
  | 'no-services'
  | 'top-level-name'
  | 'undeclared-network'
  | 'undeclared-volume'
  | 'undeclared-secret'
  | 'undeclared-config'
  | 'unknown-dependency'
  | 'dependency-without-healthcheck'
  | 'dependency-in-inactive-profile'
  | 'missing-healthcheck'
  | 'missing-build-context'
  | 'missing-dockerfile'
  | 'missing-env-file'
  | 'port-collision';

export interface ComposeProblem {
  readonly kind: ComposeProblemKind;
  /** The service the problem belongs to; absent for file-level problems. */
  readonly service?: string;
  readonly message: string;
}

export interface ComposeCheckOptions {
  /** Folder that relative paths (build contexts, env files) are resolved against: the compose file's folder. */
  readonly baseDir: string;
  /**
   * Variables for `${VAR}` / `${VAR:-default}` interpolation. Defaults to none, so the file is checked
   * as it behaves on a machine that sets nothing (its own defaults apply).
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Injected in tests; defaults to `fs.existsSync`. */
  readonly exists?: (path: string) => boolean;
}

type Json = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function keysOf(value: unknown): string[] {
  return isRecord(value) ? Object.keys(value) : [];
}

function listOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value as unknown[];
  return value === undefined || value === null ? [] : [value];
}

// ---------------------------------------------------------------------------------------------
// Interpolation (Compose's `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`,
// `${VAR:+alt}` and `$$` for a literal dollar), applied to every string value before checking.

const VARIABLE =
  /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export function interpolate(text: string, env: Readonly<Record<string, string | undefined>>): string {
  return text.replace(
    VARIABLE,
    (match: string, braced?: string, operator?: string, argument?: string, bare?: string): string => {
      if (match === '$$') return '$';
      const name = braced ?? bare ?? '';
      const value = env[name];
      const set = value !== undefined;
      const nonEmpty = set && value !== '';
      const arg = interpolate(argument ?? '', env);
      switch (operator) {
        case ':-':
          return nonEmpty ? value : arg;
        case '-':
          return set ? value : arg;
        case ':+':
          return nonEmpty ? arg : '';
        case '+':
          return set ? arg : '';
        default:
          // `?` and `:?` make Compose refuse to start when unset; for checking, use the value or empty.
          return value ?? '';
      }
    },
  );
}

function interpolateAll(value: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item: unknown) => interpolateAll(item, env));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env)]));
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Parsing

interface ParsedCompose {
  readonly document: Json;
  readonly services: Readonly<Record<string, Json>>;
}

function parseCompose(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): ParsedCompose | ComposeProblem {
  const document = parseDocument(text, { merge: true, prettyErrors: false });
  const [firstError] = document.errors;
  if (firstError !== undefined)
    return { kind: 'invalid-yaml', message: `invalid YAML: ${firstError.message}` };
  const raw: unknown = interpolateAll(document.toJS({ maxAliasCount: 1000 }), env);
  if (!isRecord(raw)) return { kind: 'invalid-yaml', message: 'the document is not a mapping' };
  const services: Record<string, Json> = {};
  for (const [name, service] of Object.entries(isRecord(raw.services) ? raw.services : {})) {
    services[name] = isRecord(service) ? service : {};
  }
  return { document: raw, services };
}

function hasHealthcheck(service: Json): boolean {
  const healthcheck = service.healthcheck;
  if (!isRecord(healthcheck)) return false;
  if (healthcheck.disable === true) return false;
  // `test: ["NONE"]` (or "NONE") switches the image's check off; no `test` keeps the image's.
  const [first] = listOf(healthcheck.test).map(asString);
  return first?.toUpperCase() !== 'NONE';
}

/** Names of the named volumes a service mounts (bind mounts, anonymous volumes and tmpfs excluded). */
function namedVolumesOf(service: Json): string[] {
  const names: string[] = [];
  for (const entry of listOf(service.volumes)) {
    if (typeof entry === 'string') {
      const [source, target] = entry.split(':');
      if (target === undefined || source === undefined) continue; // anonymous volume: "/path"
      if (/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(source)) names.push(source);
    } else if (isRecord(entry)) {
      const type = asString(entry.type) ?? 'volume';
      const source = asString(entry.source);
      if (type === 'volume' && source !== undefined && source !== '') names.push(source);
    }
  }
  return names;
}

function namesOf(value: unknown, key: 'source'): string[] {
  // secrets/configs: ["name", { source: "name", target: ... }]
  const names: string[] = [];
  for (const entry of listOf(value)) {
    const name = isRecord(entry) ? asString(entry[key]) : asString(entry);
    if (name !== undefined) names.push(name);
  }
  return names;
}

function networksOf(service: Json): string[] {
  const networks = service.networks;
  if (Array.isArray(networks)) return networks.map(asString).filter((name) => name !== undefined);
  return keysOf(networks);
}

interface Dependency {
  readonly name: string;
  readonly condition: string;
  readonly required: boolean;
}

function dependenciesOf(service: Json): Dependency[] {
  const dependsOn = service.depends_on;
  if (Array.isArray(dependsOn)) {
    return dependsOn
      .map(asString)
      .filter((name) => name !== undefined)
      .map((name) => ({ name, condition: 'service_started', required: true }));
  }
  if (!isRecord(dependsOn)) return [];
  return Object.entries(dependsOn).map(([name, spec]) => ({
    name,
    condition: (isRecord(spec) ? asString(spec.condition) : undefined) ?? 'service_started',
    required: !(isRecord(spec) && spec.required === false),
  }));
}

function profilesOf(service: Json): string[] {
  return listOf(service.profiles)
    .map(asString)
    .filter((name) => name !== undefined);
}

function isRemoteContext(context: string): boolean {
  return /^(?:[a-z][a-z0-9+.-]*:\/\/|git@|github\.com\/)/i.test(context);
}

interface BuildTarget {
  readonly context: string;
  readonly dockerfile: string | undefined;
}

/** The resolved build context and Dockerfile of a service (undefined when it has no local build). */
function buildOf(service: Json, baseDir: string): BuildTarget | undefined {
  const build = service.build;
  const contextText = isRecord(build) ? (asString(build.context) ?? '.') : asString(build);
  if (contextText === undefined || isRemoteContext(contextText)) return undefined;
  const context = resolve(baseDir, contextText);
  if (isRecord(build) && build.dockerfile_inline !== undefined) return { context, dockerfile: undefined };
  // The Compose spec resolves `dockerfile` against the build context, not against the compose file.
  const dockerfileText = (isRecord(build) ? asString(build.dockerfile) : undefined) ?? 'Dockerfile';
  const dockerfile = isAbsolute(dockerfileText) ? dockerfileText : resolve(context, dockerfileText);
  return { context, dockerfile };
}

function envFilesOf(service: Json): string[] {
  const files: string[] = [];
  for (const entry of listOf(service.env_file)) {
    if (isRecord(entry)) {
      const path = asString(entry.path);
      if (path !== undefined && entry.required !== false) files.push(path);
    } else {
      const path = asString(entry);
      if (path !== undefined) files.push(path);
    }
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// Published ports

interface PublishedPort {
  readonly hostIp: string; // '' = every interface
  readonly port: number;
  readonly protocol: string;
  readonly text: string;
}

function expandRange(text: string): number[] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (match === null) return [];
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  const ports: number[] = [];
  for (let port = first; port <= last && ports.length < 65536; port += 1) ports.push(port);
  return ports;
}

/** Host-side ports a service publishes; a container-only entry ("3000") publishes nothing fixed. */
export function publishedPorts(entry: unknown): PublishedPort[] {
  if (isRecord(entry)) {
    const published = asString(entry.published);
    if (published === undefined || published === '') return [];
    const hostIp = asString(entry.host_ip) ?? '';
    const protocol = asString(entry.protocol) ?? 'tcp';
    return expandRange(published).map((port) => ({ hostIp, port, protocol, text: JSON.stringify(entry) }));
  }
  const text = asString(entry);
  if (text === undefined) return [];
  let rest = text.trim();
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  let hostIp = '';
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2); // skip "]:"
    const [published] = rest.split(':');
    return expandRange(published ?? '').map((port) => ({ hostIp, port, protocol, text }));
  }
  const parts = rest.split(':');
  if (parts.length < 2) return []; // container port only
  const published = parts[parts.length - 2] ?? '';
  if (parts.length > 2) hostIp = parts.slice(0, -2).join(':');
  return expandRange(published).map((port) => ({ hostIp, port, protocol, text }));
}

const WILDCARDS = new Set(['', '0.0.0.0', '::']);

function collide(a: PublishedPort, b: PublishedPort): boolean {
  return (
    a.port === b.port &&
    a.protocol === b.protocol &&
    (a.hostIp === b.hostIp || WILDCARDS.has(a.hostIp) || WILDCARDS.has(b.hostIp))
  );
}

// ---------------------------------------------------------------------------------------------
// The checks

/** Checks one compose document given as text; relative paths resolve against `options.baseDir`. */
export function checkComposeText(text: string, options: ComposeCheckOptions): ComposeProblem[] {
  const exists = options.exists ?? existsSync;
  const parsed = parseCompose(text, options.env ?? {});
  if ('kind' in parsed) return [parsed];
  const { document, services } = parsed;
  const problems: ComposeProblem[] = [];
  const report = (kind: ComposeProblemKind, service: string | undefined, message: string): void => {
    problems.push(service === undefined ? { kind, message } : { kind, service, message });
  };

  if ('name' in document) {
    report(
      'top-level-name',
      undefined,
      "top-level `name:` is rejected by Debian's docker-compose 1.29; remove it",
    );
  }
  const serviceNames = Object.keys(services);
  if (serviceNames.length === 0) report('no-services', undefined, 'the file declares no services');

  const declared = {
    networks: new Set(['default', ...keysOf(document.networks)]),
    volumes: new Set(keysOf(document.volumes)),
    secrets: new Set(keysOf(document.secrets)),
    configs: new Set(keysOf(document.configs)),
  };
  const ports: { service: string; port: PublishedPort }[] = [];

  for (const [name, service] of Object.entries(services)) {
    // Every top-level object a service refers to must be declared.
    const references = [
      { kind: 'undeclared-network', names: networksOf(service), top: 'networks', uses: 'joins network' },
      { kind: 'undeclared-volume', names: namedVolumesOf(service), top: 'volumes', uses: 'mounts volume' },
      {
        kind: 'undeclared-secret',
        names: namesOf(service.secrets, 'source'),
        top: 'secrets',
        uses: 'uses secret',
      },
      {
        kind: 'undeclared-config',
        names: namesOf(service.configs, 'source'),
        top: 'configs',
        uses: 'uses config',
      },
    ] as const;
    for (const { kind, names, top, uses } of references) {
      for (const reference of names) {
        if (!declared[top].has(reference)) {
          report(
            kind,
            name,
            `service "${name}" ${uses} "${reference}", which is not declared under top-level ${top}`,
          );
        }
      }
    }

    for (const dependency of dependenciesOf(service)) {
      const target = services[dependency.name];
      if (target === undefined) {
        report(
          'unknown-dependency',
          name,
          `service "${name}" depends on "${dependency.name}", which is not a service in this file`,
        );
        continue;
      }
      if (dependency.condition === 'service_healthy' && !hasHealthcheck(target)) {
        report(
          'dependency-without-healthcheck',
          name,
          `service "${name}" waits for "${dependency.name}" to be healthy, but "${dependency.name}" has no healthcheck`,
        );
      }
      const targetProfiles = profilesOf(target);
      const ownProfiles = profilesOf(service);
      if (
        dependency.required &&
        targetProfiles.length > 0 &&
        !targetProfiles.some((profile) => ownProfiles.includes(profile))
      ) {
        report(
          'dependency-in-inactive-profile',
          name,
          `service "${name}" requires "${dependency.name}", which only starts with --profile ${targetProfiles.join('/')}`,
        );
      }
    }

    if (!hasHealthcheck(service)) {
      report('missing-healthcheck', name, `service "${name}" has no healthcheck`);
    }

    const build = buildOf(service, options.baseDir);
    if (build !== undefined) {
      if (!exists(build.context)) {
        report(
          'missing-build-context',
          name,
          `service "${name}" builds from "${build.context}", which does not exist`,
        );
      } else if (build.dockerfile !== undefined && !exists(build.dockerfile)) {
        report(
          'missing-dockerfile',
          name,
          `service "${name}" builds with "${build.dockerfile}", which does not exist`,
        );
      }
    }

    for (const file of envFilesOf(service)) {
      const path = resolve(options.baseDir, file);
      if (!exists(path))
        report('missing-env-file', name, `service "${name}" reads env_file "${path}", which does not exist`);
    }

    for (const entry of listOf(service.ports)) {
      for (const port of publishedPorts(entry)) {
        const clash = ports.find((other) => collide(other.port, port));
        if (clash === undefined) {
          ports.push({ service: name, port });
        } else {
          report(
            'port-collision',
            name,
            `service "${name}" publishes ${port.protocol} port ${port.port} ("${port.text}"), already published by "${clash.service}" ("${clash.port.text}")`,
          );
        }
      }
    }
  }
  return problems;
}

/** Checks a compose file on disk; relative paths resolve against the file's folder. */
export function checkComposeFile(
  file: string,
  options: Omit<ComposeCheckOptions, 'baseDir'> = {},
): ComposeProblem[] {
  return checkComposeText(readFileSync(file, 'utf8'), { ...options, baseDir: dirname(resolve(file)) });
}

/** Absolute paths of the local Dockerfiles the services of a compose file build with. */
export function composeDockerfiles(
  file: string,
  options: Omit<ComposeCheckOptions, 'baseDir'> = {},
): string[] {
  const parsed = parseCompose(readFileSync(file, 'utf8'), options.env ?? {});
  if ('kind' in parsed) return [];
  const baseDir = dirname(resolve(file));
  const files = Object.values(parsed.services)
    .map((service) => buildOf(service, baseDir)?.dockerfile)
    .filter((path) => path !== undefined);
  return [...new Set(files)];
}

const SKIPPED_FOLDERS = new Set(['node_modules', '.git', 'dist', 'data', 'coverage']);

/** Files under `root` (skipping node_modules, .git, dist, data) whose base name matches. */
export function findFiles(root: string, matches: (baseName: string) => boolean): string[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) walk(path);
      } else if (entry.isFile() && matches(entry.name)) {
        found.push(path);
      }
    }
  };
  walk(root);
  return found.sort();
}

/** Compose files under `root`, by the names Compose and dclint look for. */
export function findComposeFiles(root: string): string[] {
  return findFiles(root, (name) => /^(?:docker-)?compose.*\.ya?ml$/.test(name));
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles

export type DockerfileProblemKind = 'single-stage' | 'runs-as-root' | 'missing-healthcheck';

export interface DockerfileProblem {
  readonly kind: DockerfileProblemKind;
  readonly message: string;
}

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Logical instructions: continuation lines joined, comments and parser directives dropped. */
export function dockerfileInstructions(text: string): Instruction[] {
  const escape = /^#\s*escape\s*=\s*`/im.test(text.split('\n').slice(0, 5).join('\n')) ? '`' : '\\';
  const instructions: Instruction[] = [];
  let pending = '';
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.startsWith('#')) continue; // comments (also inside continuations) and directives
    if (line === '' && pending === '') continue;
    if (line.endsWith(escape)) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = `${pending}${line}`.trim();
    pending = '';
    if (whole === '') continue;
    const match = /^(\S+)\s*(.*)$/s.exec(whole);
    if (match !== null) instructions.push({ keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '' });
  }
  if (pending.trim() !== '') {
    const match = /^(\S+)\s*(.*)$/s.exec(pending.trim());
    if (match !== null) instructions.push({ keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '' });
  }
  return instructions;
}

/** A Dockerfile must be multi-stage, and its final stage must run as a non-root user with a HEALTHCHECK. */
export function checkDockerfileText(text: string): DockerfileProblem[] {
  const instructions = dockerfileInstructions(text);
  const problems: DockerfileProblem[] = [];
  const fromIndexes = instructions.flatMap((instruction, index) =>
    instruction.keyword === 'FROM' ? [index] : [],
  );
  if (fromIndexes.length < 2) {
    problems.push({
      kind: 'single-stage',
      message: `expected at least two FROM stages (build and runtime), found ${fromIndexes.length}`,
    });
  }
  const finalStage = instructions.slice(fromIndexes.at(-1) ?? 0);
  const user = finalStage.filter((instruction) => instruction.keyword === 'USER').at(-1);
  const userName = user?.args.trim().split(/[\s:]/)[0];
  if (userName === undefined || userName === '' || userName === 'root' || userName === '0') {
    problems.push({
      kind: 'runs-as-root',
      message:
        user === undefined
          ? 'the final stage has no USER: the container runs as root'
          : `the final stage runs as USER ${user.args}`,
    });
  }
  const healthcheck = finalStage.filter((instruction) => instruction.keyword === 'HEALTHCHECK').at(-1);
  if (healthcheck === undefined || /^NONE\b/i.test(healthcheck.args.trim())) {
    problems.push({ kind: 'missing-healthcheck', message: 'the final stage has no HEALTHCHECK' });
  }
  return problems;
}

export function checkDockerfile(file: string): DockerfileProblem[] {
  return checkDockerfileText(readFileSync(file, 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// Reading one system's compose file and Dockerfile in its own cross-reference test.

export type ComposeService = Record<string, unknown>;

export interface ComposeModel {
  readonly services: Record<string, ComposeService>;
  readonly volumes: Record<string, unknown>;
  readonly networks: Record<string, unknown>;
  /** The named service; throws (failing the test) when the file has none by that name. */
  readonly serviceOf: (name: string) => ComposeService;
  /** A service's environment as Compose runs it with `env` set on the host (defaults apply otherwise). */
  readonly environmentOf: (name: string, env?: Readonly<Record<string, string>>) => Record<string, string>;
  /** A service's build section: context, Dockerfile and build arguments. */
  readonly buildOf: (name: string) => { context: string; dockerfile: string; args: Record<string, unknown> };
}

/** Parses a compose file (YAML merge keys on) into what its cross-reference test asks about. */
export function readComposeModel(file: string): ComposeModel {
  const parsed = (parseDocument(readFileSync(file, 'utf8'), { merge: true }).toJS() ?? {}) as {
    services?: Record<string, ComposeService>;
    volumes?: Record<string, unknown>;
    networks?: Record<string, unknown>;
  };
  const services = parsed.services ?? {};
  const serviceOf = (name: string): ComposeService => {
    const service = services[name];
    if (service === undefined) throw new Error(`service "${name}" is not in ${file}`);
    return service;
  };
  return {
    services,
    volumes: parsed.volumes ?? {},
    networks: parsed.networks ?? {},
    serviceOf,
    environmentOf: (name, env = {}) => {
      const raw = (serviceOf(name).environment ?? {}) as Record<string, unknown>;
      return Object.fromEntries(
        Object.entries(raw).map(([key, value]) => [key, interpolate(String(value), env)]),
      );
    },
    buildOf: (name) =>
      serviceOf(name).build as { context: string; dockerfile: string; args: Record<string, unknown> },
  };
}

/**
 * A Dockerfile's instructions as Docker runs them for the given build arguments: `${NAME}` is
 * substituted in RUN, EXPOSE and ENV (where an ARG is in scope at run time); other instructions
 * keep the reference for the test to check.
 */
export function dockerfileInstructionsFor(
  file: string,
): (args: Readonly<Record<string, string>>) => Instruction[] {
  const instructions = dockerfileInstructions(readFileSync(file, 'utf8'));
  return (args) =>
    instructions.map(({ keyword, args: text }) => ({
      keyword,
      args: text.replace(/\$\{(\w+)\}/g, (whole, name: string) =>
        Object.hasOwn(args, name) && /^(RUN|EXPOSE|ENV)$/.test(keyword) ? (args[name] ?? whole) : whole,
      ),
    }));
}

/** The instructions of a Dockerfile's last stage (from its last FROM on): what the image runs. */
export function finalStage(instructions: readonly Instruction[]): Instruction[] {
  return instructions.slice(instructions.map((instruction) => instruction.keyword).lastIndexOf('FROM'));
}

/** The argument list of a stage's last `keyword` instruction, in exec (JSON) form; throws if absent or in shell form. */
export function execForm(
  stage: readonly Instruction[],
  keyword: 'CMD' | 'ENTRYPOINT' | 'HEALTHCHECK',
): string[] {
  const instruction = stage.filter((candidate) => candidate.keyword === keyword).at(-1);
  if (instruction === undefined) throw new Error(`no ${keyword}`);
  const json = /\[.*\]$/s.exec(instruction.args)?.[0];
  if (json === undefined) throw new Error(`${keyword} is not in exec form: ${instruction.args}`);
  return JSON.parse(json) as string[];
}

/** A stage's environment: its ENV key=value pairs, as the container starts with them. */
export function imageEnvironment(stage: readonly Instruction[]): Record<string, string> {
  const pairs = stage
    .filter((instruction) => instruction.keyword === 'ENV')
    .flatMap((instruction) => instruction.args.split(/\s+/))
    .map((pair) => pair.split('='));
  return Object.fromEntries(pairs.map(([key, value]) => [key ?? '', value ?? '']));
}
