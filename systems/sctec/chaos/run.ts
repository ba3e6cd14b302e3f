/**
 * One chaos run: start the cluster (2 coordinators on Redis, 2 schedulers on PostgreSQL),
 * let clients race over a few hot slots while faults are injected, then stop everything and
 * let the checker judge the database, the audit trail and every answer the clients got.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@dslab/db';
import { call, seededRandom } from '@dslab/testing';
import type { SchedulerTables } from '../servico-agendamento/src/index.js';
import { purgeRedisPrefix, startCluster, type Cluster } from '../cluster/topology.js';
import { checkSchedulerInvariants, type ViolationCounts } from '../test/invariants.js';
import { runFaults, type FaultKind, type FaultRecord } from './faults.js';
import { runWorkload, type ClientRecord } from './workload.js';

export type ChaosMode = 'safe' | 'unsafe';

export interface ChaosOptions {
  readonly mode: ChaosMode;
  readonly durationMs: number;
  readonly clients: number;
  readonly hotSlots: number;
  readonly seed: number;
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** Lease the schedulers ask for; the SIGSTOP lasts longer than this. */
  readonly lockTtlMs?: number;
  /** Widened window between the conflict check and the insert, where a frozen holder sits. */
  readonly delayBeforeSaveMs?: number;
  readonly faultGapMs?: readonly [number, number];
  readonly faultKinds?: readonly FaultKind[];
  readonly log?: (line: string) => void;
}

export interface ChaosReport {
  readonly mode: ChaosMode;
  /** What was switched off in this run. */
  readonly unsafe: readonly string[];
  readonly seed: number;
  readonly durationMs: number;
  readonly clients: number;
  readonly hotSlots: number;
  readonly lockTtlMs: number;
  readonly delayBeforeSaveMs: number;
  readonly requests: {
    readonly book: Readonly<Record<string, number>>;
    readonly cancel: Readonly<Record<string, number>>;
  };
  readonly faults: readonly FaultRecord[];
  readonly faultCounts: Readonly<Record<string, number>>;
  /** Scheduler log lines showing a lease lost while frozen (unlock answered "not the holder"). */
  readonly leasesLostByFrozenHolders: number;
  /** Writes the fence refused (stale token) — the fence at work. */
  readonly fenceRefusals: number;
  readonly database: {
    readonly bookings: number;
    readonly activeBookings: number;
    readonly auditEntries: number;
  };
  readonly violations: ViolationCounts;
  readonly totalViolations: number;
  /** The first few violations, spelled out. */
  readonly examples: readonly string[];
}

const TELESCOPE = 'Hubble-Acad';
const SLOT_MS = 300_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const lockTtlMs = options.lockTtlMs ?? 2500;
  // Wide enough that the fault scheduler, reacting to a log line, freezes the holder inside it even
  // on a loaded machine; well inside the lease, so an unfrozen booking never outlives its lock.
  const delayBeforeSaveMs = options.delayBeforeSaveMs ?? 800;
  const random = seededRandom(options.seed);
  const tag = `${options.mode}_${Date.now().toString(36)}_${Math.floor(random() * 1e6).toString(36)}`;
  const schema = `chaos_${tag}`;
  const redisPrefix = `chaos-${tag}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'sctec-chaos-'));
  const unsafe =
    options.mode === 'unsafe'
      ? ['fencing (UNSAFE_SKIP_FENCE)', 'last-line constraints (UNSAFE_SKIP_UNIQUE)']
      : [];
  log(
    `chaos ${options.mode}: starting 2 coordinators (Redis) and 2 schedulers (PostgreSQL schema ${schema})`,
  );
  let cluster: Cluster | undefined;
  try {
    cluster = await startCluster({
      databaseUrl: options.databaseUrl,
      databaseSchema: schema,
      redisUrl: options.redisUrl,
      redisPrefix,
      dataDir,
      jwtSecret: 'chaos-run-jwt-secret-0123456789abcdef',
      adminEmail: 'admin@chaos.local',
      adminPassword: 'chaos-admin-password',
      // Info on the schedulers: the fault scheduler watches for "Lock adquirido com sucesso".
      logLevel: 'info',
      coordinatorEnv: { LOG_LEVEL: 'warn' },
      schedulerEnv: {
        LOCK_TTL_MS: String(lockTtlMs),
        DEMO_DELAY_BEFORE_SAVE_MS: String(delayBeforeSaveMs),
        ...(options.mode === 'unsafe' ? { UNSAFE_SKIP_FENCE: 'true', UNSAFE_SKIP_UNIQUE: 'true' } : {}),
      },
    });
    const tokens = await registerScientists(cluster.url, options.clients, tag);
    const base = Math.ceil((Date.now() + 2 * 86_400_000) / SLOT_MS) * SLOT_MS;
    const slots = Array.from({ length: options.hotSlots }, (_, i) =>
      new Date(base + i * SLOT_MS).toISOString().replace('.000Z', 'Z'),
    );

    log(
      `chaos ${options.mode}: ${options.clients} clients over ${options.hotSlots} hot slots for ${options.durationMs} ms`,
    );
    const stopClients = new AbortController();
    const stopFaults = new AbortController();
    const started = performance.now();
    const workload = runWorkload({
      url: cluster.url,
      tokens,
      telescopeId: TELESCOPE,
      slots,
      random: seededRandom(options.seed + 1),
      // A client gives up after 3 s and tries again, as a person would. It matters: every decision,
      // lost ones included, appends to the one audit chain, so a frozen scheduler caught holding
      // the chain's head makes every request wait until it wakes. Clients that waited 20 s would
      // all be stuck behind it, and nobody would book in the window the fault opens.
      requestTimeoutMs: 3_000,
      signal: stopClients.signal,
    });
    const faults = runFaults({
      coordinators: cluster.coordinators,
      schedulers: cluster.schedulers,
      random: seededRandom(options.seed + 2),
      gapMs: options.faultGapMs ?? [800, 1800],
      downMs: 400,
      // The lease runs out, then the other scheduler has 2 s to book the frozen holder's slot.
      pauseMs: lockTtlMs + 2000,
      kinds: options.faultKinds ?? [
        'pause-scheduler',
        'kill-scheduler',
        'pause-scheduler',
        'kill-coordinator',
      ],
      signal: stopFaults.signal,
      onFault: (f) =>
        log(
          `  fault ${f.kind}${f.moment === undefined ? '' : ` (${f.moment})`} on ${f.member} at ${f.atMs} ms (back at ${f.recoveredMs} ms)`,
        ),
    });
    await new Promise((resolve) => setTimeout(resolve, options.durationMs));
    stopFaults.abort();
    const injected = await faults;
    // Clients keep going until the last fault has healed, so its aftermath is exercised too.
    stopClients.abort();
    const records = await workload;
    const durationMs = Math.round(performance.now() - started);

    const output = cluster.schedulers.map((m) => m.output()).join('\n');
    await cluster.stop();
    cluster = undefined;

    const database = await openDatabase<SchedulerTables>({
      engine: 'postgres',
      url: options.databaseUrl,
      schema,
    });
    try {
      const acknowledged = records.flatMap((r) =>
        r.action === 'book' && r.outcome === 201 && r.bookingId !== undefined
          ? [
              {
                id: r.bookingId,
                telescopio_id: r.telescopeId ?? '',
                horario_inicio_utc: normalise(r.startUtc ?? ''),
              },
            ]
          : [],
      );
      const cancelled = records.flatMap((r) =>
        r.action === 'cancel' && r.outcome === 200 && r.bookingId !== undefined ? [r.bookingId] : [],
      );
      const checked = await checkSchedulerInvariants(database.db, acknowledged, cancelled);
      const totalViolations = Object.values<number>({ ...checked.counts }).reduce((a, b) => a + b, 0);
      return {
        mode: options.mode,
        unsafe,
        seed: options.seed,
        durationMs,
        clients: options.clients,
        hotSlots: options.hotSlots,
        lockTtlMs,
        delayBeforeSaveMs,
        requests: { book: tally(records, 'book'), cancel: tally(records, 'cancel') },
        faults: injected,
        faultCounts: countBy(
          injected.map((f) => (f.moment === undefined ? f.kind : `${f.kind} (${f.moment})`)),
        ),
        leasesLostByFrozenHolders: countMatches(output, /já não era nosso \(lease expirado\)/g),
        fenceRefusals: countMatches(output, /Token de lock obsoleto/g),
        database: {
          bookings: checked.bookings,
          activeBookings: checked.activeBookings,
          auditEntries: checked.auditEntries,
        },
        violations: checked.counts,
        totalViolations,
        examples: checked.violations.slice(0, 10),
      };
    } finally {
      await database.db.schema.dropSchema(schema).ifExists().cascade().execute();
      await database.close();
    }
  } finally {
    await cluster?.stop();
    await purgeRedisPrefix(options.redisUrl, redisPrefix);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function registerScientists(url: string, count: number, tag: string): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const email = `caos${i + 1}-${tag}@observatorio.example`.replaceAll('_', '-');
    const created = await call(url, 'POST', '/cientistas', {
      body: { nome: `Cientista ${i + 1}`, email, senha: 'senha-segura-123' },
    });
    if (created.status !== 201) throw new Error(`register failed: ${created.status} ${created.text}`);
    const token = await call<{ access_token: string }>(url, 'POST', '/auth/token', {
      body: { email, senha: 'senha-segura-123' },
    });
    tokens.push(token.body.access_token);
  }
  return tokens;
}

/** The database stores ISO with milliseconds; the API answers as the seed writes it. */
function normalise(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString();
}

function tally(records: readonly ClientRecord[], action: ClientRecord['action']): Record<string, number> {
  return countBy(records.filter((r) => r.action === action).map((r) => String(r.outcome)));
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function countMatches(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length;
}
