/**
 * The checkout under test as real processes, each one as deployed (`node --import tsx` of its
 * main.ts, from the repository root), on a namespace of @dslab/checkout-async/testing (its
 * PostgreSQL schemas already migrated and seeded, its RabbitMQ queues declared):
 *
 * - grpc / rest (seed 003): the six services, each on free HTTP and gRPC ports; pedidos and
 *   catalogo call their neighbours over the transport. Started leaves first (pagamentos, estoque,
 *   fiscal, logistica in parallel), then catalogo, then pedidos, as each needs the ones before.
 * - async (seed 004): estoque, catalogo (prices and live stock, over REST) and pedidos in async
 *   mode (POST /pedidos answers 202) as HTTP processes, and one worker process per queue owner
 *   (`worker-pedidos` is the orchestrator, `worker-pagamentos`, …) so a fault can hit one step.
 *
 * Every process writes its output to `<logDir>/<name>.log` (a file, never a pipe: a full pipe
 * would stall it and skew the numbers) and can be killed, restarted on the same ports, paused and
 * resumed, which is what the fault scheduler does. Children die with this process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { schemaOf } from '@dslab/checkout-async';
import {
  JWT_SECRET,
  REPOSITORY_ROOT,
  SENHA,
  WORKER_MAIN,
  workerEnvironment,
  type Namespace,
} from '@dslab/checkout-async/testing';
import { ASYNC_SERVICES } from '@dslab/checkout-contracts/messages';
import { envPrefix, type CheckoutService } from '@dslab/checkout-kit';
import { freePort, startTcpProxy, waitUntilHealthy, type TcpProxy } from '@dslab/testing';
import type { LoadTransport } from './results.js';

export interface SystemOptions {
  readonly transport: LoadTransport;
  /** From createNamespace (postgres): schemas already migrated and seeded, queues declared. */
  readonly ns: Namespace;
  /** The payment simulator: latency range (ms) and rejection probability (0–1). */
  readonly payment: { readonly minMs: number; readonly maxMs: number; readonly rejection: number };
  /** PAGAMENTO_SEED: the payment simulator's draws are reproducible. */
  readonly seed: number;
  /** One `<process>.log` each (stdout and stderr), and `<process>/app.log`. */
  readonly logDir: string;
  /** LOG_LEVEL of every process (default 'warn': info lines at load would cost what we measure). */
  readonly logLevel?: string;
  /** Slows one hop down (see HopLatency). */
  readonly hopLatency?: { readonly service: CheckoutService; readonly delayMs: number };
  /** PREFETCH of each worker (default 16). */
  readonly prefetch?: number;
  /**
   * DATABASE_POOL_SIZE of every process (default 4). Only the worker deployable reads it; the
   * services open their pool at @dslab/db's default size.
   */
  readonly poolSize?: number;
  /** The caller's environment (read in its config module), minus every setting decided here. */
  readonly environment: NodeJS.ProcessEnv;
  /** How long one process may take to answer /health, at start and at restart (default 120 s). */
  readonly startTimeoutMs?: number;
}

/** One process of the system under test. */
export interface SutProcess {
  /** 'pagamentos', 'worker-pagamentos', … */
  readonly name: string;
  readonly service: CheckoutService;
  /** The current pid; undefined while it is down. */
  readonly pid: number | undefined;
  /** A process is running (it may be paused, or still starting). */
  readonly up: boolean;
  /** Where its GET /health answers. */
  readonly healthUrl: string;
  /** Its stdout and stderr. */
  readonly logFile: string;
  /** SIGKILL (a crash) and wait for the exit; nothing when it is down. */
  kill(): Promise<void>;
  /**
   * Starts it again with the same environment and ports (SIGKILLing it first if it is still up)
   * and resolves once /health answers 200.
   */
  restart(): Promise<void>;
  /** SIGSTOP: it holds its connections and answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** The last `lines` lines of its log. */
  tail(lines?: number): string;
}

/**
 * How a hop was slowed down: sync, pedidos reaches `service` through delaying TCP proxies (one
 * for its HTTP port, one for gRPC); async, that service's worker reaches RabbitMQ through one
 * (catalogo has no worker: pedidos reaches catalogo's HTTP port through one).
 */
export interface HopLatency {
  readonly service: CheckoutService;
  /** The current delay (setHopDelay changes it). */
  readonly delayMs: number;
  /** The proxies: what each forwards to (host:port) and the port it listens on. */
  readonly proxies: readonly { readonly target: string; readonly port: number }[];
}

export interface SystemUnderTest {
  readonly transport: LoadTransport;
  readonly processes: readonly SutProcess[];
  /** The processes a fault on `service` hits: async runs a service as an HTTP process and/or a worker. */
  processesOf(service: CheckoutService): SutProcess[];
  /** Where the load goes. */
  readonly pedidos: { readonly http: string; readonly grpc: string };
  /** The slowed hop, when `hopLatency` was given (even with 0 ms: the proxies are in place). */
  readonly hop: HopLatency | null;
  /**
   * Changes the hop's delay from now on (every chunk already on its way keeps its own): a start
   * with `hopLatency: { service, delayMs: 0 }` measures without it first, then with it. Throws
   * when the system was started without `hopLatency` (there is no proxy to slow down).
   */
  setHopDelay(ms: number): void;
  /** From the first spawn until every /health answered. */
  readonly startupSeconds: number;
  /** SIGTERM every process (SIGKILL after 10 s), wait for them, close the proxies. */
  stop(): Promise<void>;
}

/** What a process is started with. */
interface ProcessSpec {
  readonly name: string;
  readonly service: CheckoutService;
  readonly entry: string;
  readonly healthPort: number;
  readonly env: NodeJS.ProcessEnv;
}

/** Every child still running: SIGKILLed if this process exits first (a failed run, Ctrl-C handled). */
const living = new Set<ChildProcess>();
let exitHookInstalled = false;

function track(child: ChildProcess): void {
  living.add(child);
  child.once('exit', () => living.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const orphan of living) orphan.kill('SIGKILL');
    });
  }
}

/** The last `lines` lines of a file, read from its end (a long run's log may be large). */
function tailOf(file: string, lines: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = statSync(file).size;
    const length = Math.min(size, 16 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer
      .toString('utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n')
      .trimEnd();
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const isAlive = (child: ChildProcess | undefined): child is ChildProcess =>
  child !== undefined && child.exitCode === null && child.signalCode === null;

/** SIGTERM (SIGKILL after `graceMs`) and wait for the exit. */
async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (!isAlive(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A stopped process would hold SIGTERM pending: let it run first.
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

interface ManagedProcess extends SutProcess {
  readonly worker: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function managedProcess(spec: ProcessSpec, logDir: string, startTimeoutMs: number): ManagedProcess {
  const logFile = join(logDir, `${spec.name}.log`);
  const healthUrl = `http://127.0.0.1:${spec.healthPort}/health`;
  let child: ChildProcess | undefined;

  async function kill(): Promise<void> {
    if (!isAlive(child)) return;
    const current = child;
    const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    current.kill('SIGKILL');
    await exited;
  }

  async function start(): Promise<void> {
    await kill();
    // Appended: a restart's lines follow the crash's.
    const fd = openSync(logFile, 'a');
    let started: ChildProcess;
    try {
      started = spawn(process.execPath, ['--import', 'tsx', spec.entry], {
        cwd: REPOSITORY_ROOT,
        env: spec.env,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    child = started;
    track(started);
    // Without a listener a spawn failure would be thrown as an uncaught 'error' event.
    started.once('error', () => undefined);
    await waitUntilHealthy({
      child: started,
      url: `http://127.0.0.1:${spec.healthPort}`,
      name: spec.name,
      output: () => tailOf(logFile, 30),
      timeoutMs: startTimeoutMs,
    });
  }

  return {
    name: spec.name,
    service: spec.service,
    worker: spec.entry === WORKER_MAIN,
    healthUrl,
    logFile,
    get pid() {
      return isAlive(child) ? child.pid : undefined;
    },
    get up() {
      return isAlive(child);
    },
    kill,
    restart: start,
    start,
    pause() {
      if (isAlive(child)) child.kill('SIGSTOP');
    },
    resume() {
      if (isAlive(child)) child.kill('SIGCONT');
    },
    tail: (lines = 30) => tailOf(logFile, lines),
    async stop() {
      if (child !== undefined) await terminate(child, 10_000);
    },
  };
}

/** The entry point of a service's deployable (its main.ts). */
function serviceMain(service: CheckoutService): string {
  return join(REPOSITORY_ROOT, 'systems', 'checkout', service, 'src', 'main.ts');
}

interface Ports {
  readonly http: number;
  readonly grpc: number;
}

async function portsOf<const S extends CheckoutService>(services: readonly S[]): Promise<Record<S, Ports>> {
  const entries: [S, Ports][] = [];
  for (const service of services) entries.push([service, { http: await freePort(), grpc: await freePort() }]);
  return Object.fromEntries(entries) as Record<S, Ports>;
}

/** `<NAME>_HTTP_URL` and `<NAME>_GRPC_ADDR` of a neighbour, as the services' settings name them. */
function neighbourEnvironment(service: CheckoutService, ports: Ports): Record<string, string> {
  return {
    [`${envPrefix(service)}_HTTP_URL`]: `http://127.0.0.1:${ports.http}`,
    [`${envPrefix(service)}_GRPC_ADDR`]: `127.0.0.1:${ports.grpc}`,
  };
}

/** The simulators' settings (pagamentos' latency and rejection; every simulator's seed). */
function simulatorEnvironment(options: SystemOptions): Record<string, string> {
  return {
    PAGAMENTO_LATENCIA_MIN_MS: String(options.payment.minMs),
    PAGAMENTO_LATENCIA_MAX_MS: String(options.payment.maxMs),
    PAGAMENTO_TAXA_REJEICAO: String(options.payment.rejection),
    PAGAMENTO_SEED: String(options.seed),
    // FISCAL_SEED and LOGISTICA_SEED stay unset (codes from the OS): a service killed and restarted
    // with the same seed would draw the codes it already gave out, and the fault phases would
    // measure those collisions instead of the architecture.
  };
}

/** What every process gets: this machine only, the namespace's storage, its own log folder. */
function commonEnvironment(options: SystemOptions, name: string): Record<string, string> {
  const own = join(options.logDir, name);
  mkdirSync(own, { recursive: true });
  return {
    HOST: '127.0.0.1',
    DATABASE_URL: options.ns.postgresUrl,
    DATABASE_POOL_SIZE: String(options.poolSize ?? 4),
    ECOMMERCE_DB: options.ns.seedFile,
    DATA_DIR: own,
    LOG_DIR: own,
    LOG_LEVEL: options.logLevel ?? 'warn',
  };
}

/** A service's main.ts on its ports, its schema of the namespace, and `extra` (neighbours, transport). */
function serviceSpec(
  options: SystemOptions,
  service: CheckoutService,
  ports: Ports,
  extra: Record<string, string>,
): ProcessSpec {
  return {
    name: service,
    service,
    entry: serviceMain(service),
    healthPort: ports.http,
    env: {
      ...options.environment,
      ...commonEnvironment(options, service),
      HTTP_PORT: String(ports.http),
      GRPC_PORT: String(ports.grpc),
      DATABASE_SCHEMA: schemaOf(service, options.ns.schemaPrefix),
      // Each service reads its own simulator's settings and ignores the others'.
      ...simulatorEnvironment(options),
      ...extra,
    },
  };
}

function checkOptions(options: SystemOptions): void {
  const { hopLatency, seed, payment } = options;
  if (!Number.isInteger(seed) || seed < 0) throw new RangeError(`seed must be an integer ≥ 0, got ${seed}`);
  if (!(
    payment.minMs >= 0 &&
    payment.maxMs >= payment.minMs &&
    payment.rejection >= 0 &&
    payment.rejection <= 1
  ))
    throw new RangeError(`payment settings out of range: ${JSON.stringify(payment)}`);
  if (hopLatency === undefined) return;
  if (!Number.isFinite(hopLatency.delayMs) || hopLatency.delayMs < 0)
    throw new RangeError(`hop latency must be ≥ 0 ms, got ${hopLatency.delayMs}`);
  if (hopLatency.service === 'pedidos' && options.transport !== 'async')
    throw new RangeError(
      'hop latency on pedidos: pedidos is the caller of every hop; choose one of the services it calls',
    );
}

/** A delaying proxy to host:port (added to `proxies`, closed at the end); answers its port. */
async function delayingProxy(
  host: string,
  port: number,
  delayMs: number,
  proxies: TcpProxy[],
  described: { target: string; port: number }[],
): Promise<number> {
  const proxy = await startTcpProxy({ targetHost: host, targetPort: port, delayMs });
  proxies.push(proxy);
  described.push({ target: `${host}:${port}`, port: proxy.port });
  return proxy.port;
}

/** The processes to start, batch after batch, and pedidos' ports (where the load goes). */
interface Plan {
  readonly batches: readonly (readonly ProcessSpec[])[];
  readonly pedidos: Ports;
}

/** The plan of a grpc/rest system: the four leaves, catalogo, pedidos. */
async function syncPlan(
  options: SystemOptions,
  transport: 'grpc' | 'rest',
  proxies: TcpProxy[],
  described: { target: string; port: number }[],
): Promise<Plan> {
  const ports = await portsOf(['pedidos', 'pagamentos', 'estoque', 'fiscal', 'logistica', 'catalogo']);
  const hop = options.hopLatency;
  // What pedidos dials: the real ports, or the delaying proxies' for the slowed-down neighbour.
  const dialled = { ...ports };
  if (hop !== undefined && hop.service !== 'pedidos') {
    const real = ports[hop.service];
    dialled[hop.service] = {
      http: await delayingProxy('127.0.0.1', real.http, hop.delayMs, proxies, described),
      grpc: await delayingProxy('127.0.0.1', real.grpc, hop.delayMs, proxies, described),
    };
  }
  const leaves = (['pagamentos', 'estoque', 'fiscal', 'logistica'] as const).map((service) =>
    serviceSpec(options, service, ports[service], {}),
  );
  const catalogo = serviceSpec(options, 'catalogo', ports.catalogo, {
    TRANSPORT: transport,
    ...neighbourEnvironment('estoque', ports.estoque),
  });
  const pedidos = serviceSpec(options, 'pedidos', ports.pedidos, {
    TRANSPORT: transport,
    ...(['catalogo', 'pagamentos', 'estoque', 'fiscal', 'logistica'] as const).reduce<Record<string, string>>(
      (env, neighbour) => ({ ...env, ...neighbourEnvironment(neighbour, dialled[neighbour]) }),
      {},
    ),
  });
  return { batches: [leaves, [catalogo], [pedidos]], pedidos: ports.pedidos };
}

/** The plan of an async system: estoque and the five workers, catalogo, pedidos. */
async function asyncPlan(
  options: SystemOptions,
  proxies: TcpProxy[],
  described: { target: string; port: number }[],
): Promise<Plan> {
  const { ns } = options;
  const ports = await portsOf(['pedidos', 'estoque', 'catalogo']);
  const hop = options.hopLatency;
  let catalogoForPedidos = ports.catalogo;
  if (hop?.service === 'catalogo')
    catalogoForPedidos = {
      http: await delayingProxy('127.0.0.1', ports.catalogo.http, hop.delayMs, proxies, described),
      grpc: ports.catalogo.grpc,
    };
  const workers: ProcessSpec[] = [];
  for (const service of ASYNC_SERVICES) {
    const name = `worker-${service}`;
    const healthPort = await freePort();
    let amqpUrl = ns.amqpUrl;
    if (hop?.service === service) {
      const url = new URL(ns.amqpUrl);
      const port = await delayingProxy(
        url.hostname,
        Number(url.port || 5672),
        hop.delayMs,
        proxies,
        described,
      );
      url.hostname = '127.0.0.1';
      url.port = String(port);
      amqpUrl = url.toString();
    }
    workers.push({
      name,
      service,
      entry: WORKER_MAIN,
      healthPort,
      env: {
        ...options.environment,
        ...workerEnvironment(ns, healthPort),
        ...commonEnvironment(options, name),
        ...simulatorEnvironment(options),
        AMQP_URL: amqpUrl,
        WORKER_SERVICES: service,
        PREFETCH: String(options.prefetch ?? 16),
      },
    });
  }
  const estoque = serviceSpec(options, 'estoque', ports.estoque, {});
  const catalogo = serviceSpec(options, 'catalogo', ports.catalogo, {
    TRANSPORT: 'rest',
    ...neighbourEnvironment('estoque', ports.estoque),
  });
  const pedidos = serviceSpec(options, 'pedidos', ports.pedidos, {
    TRANSPORT: 'async',
    AMQP_URL: ns.amqpUrl,
    QUEUE_PREFIX: ns.prefix,
    CHECKOUT_JWT_SECRET: JWT_SECRET,
    CHECKOUT_SENHA_PADRAO: SENHA,
    ...neighbourEnvironment('catalogo', catalogoForPedidos),
    ...neighbourEnvironment('estoque', ports.estoque),
  });
  return { batches: [[estoque, ...workers], [catalogo], [pedidos]], pedidos: ports.pedidos };
}

/**
 * Starts the system, batch after batch (each batch in parallel), and resolves once every process
 * answers /health. A process that fails to start: everything started is killed, the proxies
 * closed, and the error names it with the last lines of its log.
 */
export async function startSystem(options: SystemOptions): Promise<SystemUnderTest> {
  checkOptions(options);
  mkdirSync(options.logDir, { recursive: true });
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const proxies: TcpProxy[] = [];
  const described: { target: string; port: number }[] = [];
  const processes: ManagedProcess[] = [];
  const closeProxies = async () => {
    for (const proxy of proxies.splice(0)) await proxy.close().catch(() => undefined);
  };
  try {
    const plan =
      options.transport === 'async'
        ? await asyncPlan(options, proxies, described)
        : await syncPlan(options, options.transport, proxies, described);
    const started = performance.now();
    for (const batch of plan.batches) {
      const managed = batch.map((spec) => managedProcess(spec, options.logDir, startTimeoutMs));
      processes.push(...managed);
      const results = await Promise.allSettled(managed.map((p) => p.start()));
      const failed = results.findIndex((r) => r.status === 'rejected');
      if (failed >= 0) {
        const reason = (results[failed] as PromiseRejectedResult).reason as unknown;
        const name = managed[failed]?.name ?? '?';
        throw new Error(
          `the ${options.transport} checkout did not start: ${name} failed (log ${join(options.logDir, `${name}.log`)}):\n` +
            (reason instanceof Error ? reason.message : String(reason)),
          { cause: reason },
        );
      }
    }
    const startupSeconds = (performance.now() - started) / 1000;
    const hop = options.hopLatency;
    // The HTTP processes first, then the workers: a fault on pedidos hits [pedidos, worker-pedidos].
    const ordered = [...processes.filter((p) => !p.worker), ...processes.filter((p) => p.worker)];
    return {
      transport: options.transport,
      processes: ordered,
      processesOf: (service) => ordered.filter((p) => p.service === service),
      pedidos: { http: `http://127.0.0.1:${plan.pedidos.http}`, grpc: `127.0.0.1:${plan.pedidos.grpc}` },
      hop:
        hop === undefined
          ? null
          : {
              service: hop.service,
              get delayMs() {
                return proxies[0]?.delayMs ?? hop.delayMs;
              },
              proxies: described,
            },
      setHopDelay(ms) {
        if (hop === undefined)
          throw new Error('setHopDelay: the system was started without hopLatency, so no hop has a proxy');
        for (const proxy of proxies) proxy.setDelay(ms);
      },
      startupSeconds,
      async stop() {
        await Promise.all(processes.map((p) => p.stop()));
        await closeProxies();
      },
    };
  } catch (error) {
    await Promise.all(processes.map((p) => p.kill()));
    await closeProxies();
    throw error;
  }
}
