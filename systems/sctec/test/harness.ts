import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { systemClock, type Clock } from '@dslab/clock';
import { migrate, openDatabase, type Engine } from '@dslab/db';
import { createEventPublisher } from '@dslab/event-client';
import { createLockClient, type LockClient } from '@dslab/lock-client';
import { createLogger } from '@dslab/logging';
import {
  call,
  createTestDatabase,
  freePort,
  spawnService,
  startOnFreePort,
  TEST_POSTGRES_URL,
  TEST_REDIS_URL,
  uniqueName,
  type RaceRequest,
  type ServiceProcess,
  type TestDatabase,
} from '@dslab/testing';
import type { Kysely } from 'kysely';
import { purgeRedisPrefix, startCluster, type Cluster } from '../cluster/topology.js';
import { schedulerMigrations } from '../servico-agendamento/src/adapters/migrations.js';
import { createSchedulerStore } from '../servico-agendamento/src/adapters/store.js';
import type { UnsafeSwitches } from '../servico-agendamento/src/application/booking-service.js';
import { buildApp, DEFAULT_TELESCOPE, type SchedulerTables } from '../servico-agendamento/src/index.js';
import { createEventRelay } from '../servico-agendamento/src/entry-points/http/routes-events.js';

export const JWT_SECRET = 'test-secret-test-secret-test-secret-0123';
export const SLOT_MS = 300_000;

/** A real servico-coordenador process on a free port with its own data directory. */
export async function startCoordinatorProcess(
  env: Record<string, string> = {},
): Promise<ServiceProcess & { dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'coord-'));
  const port = await freePort();
  const service = await spawnService({
    entry: fileURLToPath(new URL('../servico-coordenador/src/main.ts', import.meta.url)),
    port,
    env: { COORDINATOR_PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
  });
  return {
    ...service,
    dataDir,
    stop: async () => {
      await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Sctec {
  url: string;
  database: TestDatabase<SchedulerTables>;
  lines: string[];
  clock: Clock;
  /** Registers a scientist and returns id and token. */
  scientist(name?: string): Promise<{ id: number; token: string; email: string }>;
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

let counter = 0;

/**
 * The scheduler started through buildApp on port 0 with a real database (SQLite file or a
 * PostgreSQL schema of its own) and a real lock client pointed at `coordinatorUrl`.
 */
export async function startScheduler(options: {
  engine: Engine;
  coordinatorUrl: string;
  unsafe?: Partial<UnsafeSwitches>;
  clock?: Clock;
  jwtTtlSeconds?: number;
  locks?: LockClient;
  /** Folder of a built web client to serve at / and /app/ (default: the scheduler's default). */
  webClientDir?: string;
  /**
   * Live events as main.ts wires them: publish to the coordinator, relay its stream at GET /eventos.
   * Off by default (GET /eventos then answers 503).
   */
  liveEvents?: boolean;
  /** Fair share settings, passed to buildApp as they are (defaults: buildApp's). */
  quota?: { defaultMinutes?: number; refundNoticeMs?: number };
  waitlist?: { holdMs?: number; sweepMs?: number };
  receipts?: { privateKeyPem?: string };
}): Promise<Sctec> {
  const database = await createTestDatabase<SchedulerTables>(options.engine, 'sctec');
  await migrate(database, schedulerMigrations(database.engine));
  const store = createSchedulerStore(database.db);
  const clock = options.clock ?? systemClock;
  await store.ensureTelescope({ ...DEFAULT_TELESCOPE, criado_em_utc: new Date(clock.now()).toISOString() });
  if (options.unsafe?.skipUnique === true) await store.dropSlotUniqueIndex();
  const lines: string[] = [];
  const logger = createLogger({
    service: 'servico-agendamento',
    console: false,
    onLine: (l) => lines.push(l),
  });
  const locks = options.locks ?? createLockClient({ baseUrl: options.coordinatorUrl });
  const events =
    options.liveEvents === true
      ? {
          publisher: createEventPublisher({ baseUrl: options.coordinatorUrl }),
          relay: createEventRelay({ url: `${options.coordinatorUrl}/eventos`, logger }),
        }
      : undefined;
  const app = await buildApp({
    database,
    locks,
    logger,
    clock,
    jwtSecret: JWT_SECRET,
    ...(options.jwtTtlSeconds === undefined ? {} : { jwtTtlSeconds: options.jwtTtlSeconds }),
    ...(options.unsafe === undefined ? {} : { unsafe: options.unsafe }),
    ...(options.webClientDir === undefined ? {} : { webClientDir: options.webClientDir }),
    ...(options.quota === undefined ? {} : { quota: options.quota }),
    ...(options.waitlist === undefined ? {} : { waitlist: options.waitlist }),
    ...(options.receipts === undefined ? {} : { receipts: options.receipts }),
    events,
  });
  const server = await startOnFreePort(app);
  const url = server.url;

  const scientist = (name?: string) => registerScientist(url, name);

  async function adminToken() {
    const { hashPassword } = await import('../servico-agendamento/src/adapters/passwords.js');
    const email = `admin${++counter}@sctec.test`;
    await store.insertScientist({
      nome: 'Admin',
      email,
      senha_hash: await hashPassword('admin-senha-1'),
      instituicao: null,
      papel: 'admin',
      criado_em_utc: new Date().toISOString(),
    });
    const token = await call<{ access_token: string }>(url, 'POST', '/auth/token', {
      body: { email, senha: 'admin-senha-1' },
    });
    return token.body.access_token;
  }

  return {
    url,
    database,
    lines,
    clock,
    scientist,
    adminToken,
    async close() {
      await server.close();
      if (options.locks === undefined) await locks.close();
      await events?.publisher.close();
      logger.close();
      await database.dispose();
    },
  };
}

/** Registers a scientist through the API at `url` and logs in: id, token and e-mail. */
export async function registerScientist(
  url: string,
  name = 'Cientista',
): Promise<{ id: number; token: string; email: string }> {
  counter += 1;
  const email = `c${counter}-${Math.random().toString(36).slice(2, 8)}@obs.example`;
  const created = await call<{ id: number }>(url, 'POST', '/cientistas', {
    body: { nome: name, email, senha: 'senha-segura-1' },
  });
  if (created.status !== 201) throw new Error(`register: ${created.status} ${created.text}`);
  const token = await call<{ access_token: string }>(url, 'POST', '/auth/token', {
    body: { email, senha: 'senha-segura-1' },
  });
  return { id: created.body.id, token: token.body.access_token, email };
}

/** What the racing tests need of a running SCTEC, whatever its topology. */
export interface RacingTarget {
  /** Where clients send requests (one scheduler, or the schedulers' balanced address). */
  readonly url: string;
  /** The schedulers' database, for the invariant checker. */
  readonly db: Kysely<SchedulerTables>;
  scientist(name?: string): Promise<{ id: number; token: string; email: string }>;
  close(): Promise<void>;
}

/**
 * SCTEC scaled out (`npm run start:cluster`'s topology) as a racing target: 2 coordinators on
 * Redis, 2 schedulers on one PostgreSQL schema of its own, clients through the balanced address.
 * Closing stops every process, drops the schema and deletes the Redis keys of its prefix.
 */
export async function startClusterTarget(): Promise<RacingTarget & { readonly cluster: Cluster }> {
  const schema = uniqueName('cluster');
  const dataDir = mkdtempSync(join(tmpdir(), 'sctec-cluster-'));
  const cluster = await startCluster({
    databaseUrl: TEST_POSTGRES_URL,
    databaseSchema: schema,
    redisUrl: TEST_REDIS_URL,
    redisPrefix: schema,
    dataDir,
    jwtSecret: JWT_SECRET,
    adminEmail: 'admin@cluster.test',
    adminPassword: 'cluster-admin-password',
    logLevel: 'warn',
  });
  const database = await openDatabase<SchedulerTables>({
    engine: 'postgres',
    url: TEST_POSTGRES_URL,
    schema,
  });
  return {
    cluster,
    url: cluster.url,
    db: database.db,
    scientist: (name) => registerScientist(cluster.url, name),
    async close() {
      await cluster.stop();
      await database.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await database.close();
      await purgeRedisPrefix(TEST_REDIS_URL, schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POST /agendamentos of Hubble-Acad from `inicio` (to `fim`, if given) as the holder of `token`. */
export function bookingRequest(token: string, inicio: string, fim?: string): RaceRequest {
  return {
    method: 'POST',
    path: '/agendamentos',
    headers: { authorization: `Bearer ${token}` },
    body: {
      telescopio_id: 'Hubble-Acad',
      horario_inicio_utc: inicio,
      ...(fim === undefined ? {} : { horario_fim_utc: fim }),
    },
  };
}

/** Slot starts on the 5-minute grid, `daysAhead` days from now, as the seed writes them. */
export function futureSlot(index: number, daysAhead = 2): string {
  const base = Math.ceil((Date.now() + daysAhead * 86_400_000) / SLOT_MS) * SLOT_MS;
  return new Date(base + index * SLOT_MS).toISOString().replace('.000Z', 'Z');
}

/**
 * Inside a describe(): starts a coordinator process and a scheduler before the tests and stops
 * both after them (also when set-up failed half-way, so the file cannot hang on a child).
 */
export function withSctec(options: { engine: Engine; jwtTtlSeconds?: number }): {
  readonly sctec: Sctec;
  readonly coordinator: ServiceProcess;
} {
  let coordinator: (ServiceProcess & { dataDir: string }) | undefined;
  let sctec: Sctec | undefined;
  before(async () => {
    coordinator = await startCoordinatorProcess();
    sctec = await startScheduler({
      engine: options.engine,
      coordinatorUrl: coordinator.url,
      ...(options.jwtTtlSeconds === undefined ? {} : { jwtTtlSeconds: options.jwtTtlSeconds }),
    });
  });
  after(async () => {
    await sctec?.close();
    await coordinator?.stop();
  });
  return {
    get sctec() {
      if (sctec === undefined) throw new Error('SCTEC is not started (set-up failed?)');
      return sctec;
    },
    get coordinator() {
      if (coordinator === undefined) throw new Error('the coordinator is not started (set-up failed?)');
      return coordinator;
    },
  };
}
