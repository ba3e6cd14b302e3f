/**
 * SCTEC scaled out on this machine's engines: N coordinators sharing their lock state in
 * Redis and N schedulers sharing one PostgreSQL schema, each group behind one balanced address.
 * Used by `npm run start:cluster`, the chaos run and the cluster racing tests; every member is
 * a real process that can be killed, restarted, stopped and continued.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, spawnService, type ServiceProcess } from '@dslab/testing';
import { Redis } from 'ioredis';
import { startBalancer, type Balancer } from './balancer.js';

const entries = {
  scheduler: fileURLToPath(new URL('../servico-agendamento/src/main.ts', import.meta.url)),
  coordinator: fileURLToPath(new URL('../servico-coordenador/src/main.ts', import.meta.url)),
};

export interface ClusterOptions {
  /** PostgreSQL shared by the schedulers. */
  readonly databaseUrl: string;
  /** Schema of this cluster in that database (created if missing). */
  readonly databaseSchema: string;
  /** Redis holding the coordinators' lock state. */
  readonly redisUrl: string;
  /** Key prefix of this cluster in Redis. */
  readonly redisPrefix: string;
  /** Per-member data directories (app.log, the coordinator's event-id mark) go below this. */
  readonly dataDir: string;
  readonly schedulers?: number;
  readonly coordinators?: number;
  /** Front ports (0 or absent: free ports). Members always get free ports. */
  readonly schedulerFrontPort?: number;
  readonly coordinatorFrontPort?: number;
  /** Shared by all schedulers so a token from one is valid on the other. */
  readonly jwtSecret: string;
  readonly adminEmail: string;
  readonly adminPassword: string;
  readonly schedulerEnv?: Readonly<Record<string, string>>;
  readonly coordinatorEnv?: Readonly<Record<string, string>>;
  readonly logLevel?: string;
  /** Print the members' output on this console (the launcher); tests capture it instead. */
  readonly echo?: boolean;
}

export type MemberKind = 'scheduler' | 'coordinator';

export interface ClusterMember {
  readonly name: string;
  readonly kind: MemberKind;
  readonly url: string;
  /** The running process, or undefined while the member is down. */
  readonly process: ServiceProcess | undefined;
  readonly paused: boolean;
  /** SIGKILL (a crash); the member stays down until restart(). */
  kill(): Promise<void>;
  /** Starts the member again on the same port and waits until it is healthy. */
  restart(): Promise<void>;
  /** SIGSTOP: the process freezes with its connections and leases as they are. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Everything every incarnation of this member printed. */
  output(): string;
  /**
   * Resolves true as soon as the running process prints a line matching `pattern` (false after
   * `timeoutMs` or if the member is down): lets the chaos run strike at a precise moment, e.g.
   * right after a scheduler was granted a lock.
   */
  nextOutput(pattern: RegExp, timeoutMs: number): Promise<boolean>;
}

export interface Cluster {
  /** The schedulers' balanced address: what clients use. */
  readonly url: string;
  /** The coordinators' balanced address: what the schedulers use. */
  readonly coordinatorUrl: string;
  readonly members: readonly ClusterMember[];
  readonly schedulers: readonly ClusterMember[];
  readonly coordinators: readonly ClusterMember[];
  stop(): Promise<void>;
}

function createMember(
  name: string,
  kind: MemberKind,
  port: number,
  env: Record<string, string>,
  echo: boolean,
): ClusterMember {
  let current: ServiceProcess | undefined;
  let paused = false;
  let previousOutput = '';
  const member: ClusterMember = {
    name,
    kind,
    url: `http://127.0.0.1:${port}`,
    get process() {
      return current;
    },
    get paused() {
      return paused;
    },
    async kill() {
      const running = current;
      if (running === undefined) return;
      current = undefined;
      paused = false;
      await running.kill();
      previousOutput += running.output();
    },
    async restart() {
      await member.kill();
      current = await spawnService({ entry: entries[kind], port, env, echo, timeoutMs: 30_000 });
    },
    pause() {
      if (current === undefined || paused) return;
      current.child.kill('SIGSTOP');
      paused = true;
    },
    resume() {
      if (current === undefined || !paused) return;
      current.child.kill('SIGCONT');
      paused = false;
    },
    output: () => previousOutput + (current?.output() ?? ''),
    nextOutput(pattern, timeoutMs) {
      const stdout = current?.child.stdout;
      if (stdout === undefined || stdout === null) return Promise.resolve(false);
      return new Promise((resolve) => {
        const finish = (found: boolean) => {
          clearTimeout(timer);
          stdout.removeListener('data', onData);
          resolve(found);
        };
        const onData = (chunk: Buffer) => {
          if (pattern.test(chunk.toString('utf8'))) finish(true);
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        stdout.on('data', onData);
      });
    },
  };
  return member;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const schedulerCount = options.schedulers ?? 2;
  const coordinatorCount = options.coordinators ?? 2;
  const echo = options.echo ?? false;
  const logLevel = options.logLevel ?? 'info';
  const members: ClusterMember[] = [];
  const balancers: Balancer[] = [];
  const stop = async () => {
    for (const member of members) member.resume();
    await Promise.all(members.map(async (member) => member.process?.stop()));
    await Promise.all(balancers.map((balancer) => balancer.close()));
  };

  try {
    const coordinatorPorts = await distinctFreePorts(coordinatorCount);
    const coordinatorFront = await startBalancer({
      backends: coordinatorPorts.map((port) => ({ host: '127.0.0.1', port })),
      port: options.coordinatorFrontPort ?? 0,
    });
    balancers.push(coordinatorFront);
    const coordinators = coordinatorPorts.map((port, i) => {
      const dataDir = join(options.dataDir, `coordenador-${i + 1}`);
      mkdirSync(dataDir, { recursive: true });
      return createMember(
        `coordenador-${i + 1}`,
        'coordinator',
        port,
        {
          COORDINATOR_PORT: String(port),
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          LOG_LEVEL: logLevel,
          LOCK_STORE: 'redis',
          REDIS_URL: options.redisUrl,
          LOCK_STORE_PREFIX: options.redisPrefix,
          ...options.coordinatorEnv,
        },
        echo,
      );
    });
    members.push(...coordinators);
    await Promise.all(coordinators.map((member) => member.restart()));

    const schedulerPorts = await distinctFreePorts(schedulerCount);
    const schedulerFront = await startBalancer({
      backends: schedulerPorts.map((port) => ({ host: '127.0.0.1', port })),
      port: options.schedulerFrontPort ?? 0,
    });
    balancers.push(schedulerFront);
    const schedulers = schedulerPorts.map((port, i) => {
      const dataDir = join(options.dataDir, `agendamento-${i + 1}`);
      mkdirSync(dataDir, { recursive: true });
      return createMember(
        `agendamento-${i + 1}`,
        'scheduler',
        port,
        {
          SCHEDULER_PORT: String(port),
          HOST: '127.0.0.1',
          DATA_DIR: dataDir,
          LOG_LEVEL: logLevel,
          DATABASE_URL: options.databaseUrl,
          DATABASE_SCHEMA: options.databaseSchema,
          COORDINATOR_URL: coordinatorFront.url,
          JWT_SECRET: options.jwtSecret,
          ADMIN_EMAIL: options.adminEmail,
          ADMIN_PASSWORD: options.adminPassword,
          // Clients reach the schedulers through one balancer address: a per-address limit
          // would throttle all of them as one.
          RATE_LIMIT_PER_MINUTE: '0',
          ...options.schedulerEnv,
        },
        echo,
      );
    });
    members.push(...schedulers);
    // One after the other: the first runs the migrations and creates the admin and telescope.
    for (const member of schedulers) await member.restart();

    return {
      url: schedulerFront.url,
      coordinatorUrl: coordinatorFront.url,
      members,
      schedulers,
      coordinators,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/**
 * Deletes every Redis key of a cluster's prefix (locks, queues, token counter, event stream):
 * what a throwaway cluster (tests, the chaos run) leaves behind otherwise.
 */
export async function purgeRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
