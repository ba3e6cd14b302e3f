/**
 * Set-up shared by the fair-share component tests (quota, waitlist, demand, receipts): one
 * coordinator process per file, one scheduler per engine on a controlled clock, and the few
 * request and wire helpers they all use. Kept to plain functions so each test file still reads
 * top to bottom: only the plumbing moved here, every request and assertion stayed in the tests.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { Engine } from '@dslab/db';
import { manualClock } from '@dslab/clock';
import { call, type ServiceProcess } from '@dslab/testing';
import { startCoordinatorProcess, startScheduler, type Sctec } from '../../test/harness.js';
import { fairShareViolations } from '../../test/invariants.js';
import type { ReceiptJwks } from '../src/adapters/receipts.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const SLOT = 5 * MINUTE;
/** The allocation every scientist without one of their own gets, per UTC month. */
export const DEFAULT_MINUTES = 600;
/** How long a freed slot is held for the first waiter. */
export const HOLD = 2 * MINUTE;
/** 2031-01-03 06:00 UTC: a fixed start, so the tests can write months (2031-01) and instants literally. */
export const T0 = Date.UTC(2031, 0, 3, 6, 0, 0);

export type Link = { href: string; method?: string; title?: string; templated?: boolean };

/** A booking as POST /agendamentos, its cancellation and GET /agendamentos/{id} answer it. */
export interface Booking {
  id: number;
  telescopio_id: string;
  cientista_id: number;
  horario_inicio_utc: string;
  horario_fim_utc: string;
  status: string;
  recebido_em_utc: string;
  horario_clique_utc: string | null;
  incerteza_ms: number | null;
  recibo?: string;
  reembolso_minutos?: number;
  _links: Record<string, Link | undefined>;
}

/** An application/problem+json answer, with the members the fair-share refusals add. */
export interface Problem {
  status: number;
  code: string;
  detail: string;
  recibo?: string;
  oferta_expira_em_utc?: string;
  espera?: unknown;
  periodo?: string;
  alocados_minutos?: number;
  usados_minutos?: number;
  restantes_minutos?: number;
  pedidos_minutos?: number;
}

/** A slot start as the seed writes it (`2031-01-31T23:55:00Z`). */
export const seedIso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
/** An instant as the server answers it (always with milliseconds). */
export const wireIso = (ms: number) => new Date(ms).toISOString();
/** The waitlist of one slot, as the 409 of a lost booking links it. */
export const filaPath = (slotMs: number, telescope = 'Hubble-Acad') =>
  `/telescopios/${encodeURIComponent(telescope)}/slots/${encodeURIComponent(seedIso(slotMs))}/fila`;

/** POST /agendamentos of Hubble-Acad from `startMs`, with the optional members only when given. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- callers name the body they expect, as with call()
export function bookSlot<T>(
  url: string,
  token: string,
  startMs: number,
  options: {
    endMs?: number | undefined;
    clique?: string;
    incerteza?: number;
    idempotencyKey?: string;
  } = {},
) {
  return call<T>(url, 'POST', '/agendamentos', {
    token,
    ...(options.idempotencyKey === undefined
      ? {}
      : { headers: { 'idempotency-key': options.idempotencyKey } }),
    body: {
      telescopio_id: 'Hubble-Acad',
      horario_inicio_utc: seedIso(startMs),
      ...(options.endMs === undefined ? {} : { horario_fim_utc: seedIso(options.endMs) }),
      ...(options.clique === undefined ? {} : { horario_clique_utc: options.clique }),
      ...(options.incerteza === undefined ? {} : { incerteza_ms: options.incerteza }),
    },
  });
}

/**
 * Inside the file's outer describe(): one coordinator process that every engine's scheduler
 * shares, so a file pays for one process spawn rather than one per engine.
 */
export function useCoordinator(): () => ServiceProcess {
  let coordinator: ServiceProcess | undefined;
  before(async () => {
    coordinator = await startCoordinatorProcess();
  });
  after(() => coordinator?.stop());
  return () => {
    assert.ok(coordinator, 'the coordinator started');
    return coordinator;
  };
}

export interface FairShareOptions {
  coordinator: () => ServiceProcess;
  /** Where the controlled clock starts (default T0). */
  startsAt?: number;
  /** JWT lifetime, for tests that move the clock further than the default would outlive. */
  jwtTtlSeconds?: number;
  refundNoticeMs?: number;
  receiptKeyPem?: string;
  /** Read /.well-known/jwks.json once after start-up, for tests that verify receipts. */
  readJwks?: boolean;
}

/**
 * Inside a per-engine describe(): a scheduler with quotas and the waitlist on, on a manual clock,
 * started before the tests and closed after them. `env()` fails loudly if set-up did not finish,
 * instead of letting a test run against nothing.
 */
export function useFairShareScheduler(engine: Engine, options: FairShareOptions) {
  const clock = manualClock(options.startsAt ?? T0);
  let sctec: Sctec | undefined;
  let admin = '';
  let jwks: ReceiptJwks = { keys: [] };
  const env = () => {
    assert.ok(sctec, 'set-up finished');
    return sctec;
  };
  before(async () => {
    sctec = await startScheduler({
      engine,
      coordinatorUrl: options.coordinator().url,
      clock,
      ...(options.jwtTtlSeconds === undefined ? {} : { jwtTtlSeconds: options.jwtTtlSeconds }),
      quota: {
        defaultMinutes: DEFAULT_MINUTES,
        ...(options.refundNoticeMs === undefined ? {} : { refundNoticeMs: options.refundNoticeMs }),
      },
      waitlist: { holdMs: HOLD, sweepMs: 100 },
      ...(options.receiptKeyPem === undefined ? {} : { receipts: { privateKeyPem: options.receiptKeyPem } }),
    });
    admin = await sctec.adminToken();
    if (options.readJwks === true) {
      const served = await call<ReceiptJwks>(sctec.url, 'GET', '/.well-known/jwks.json');
      assert.equal(served.status, 200, served.text);
      jwks = served.body;
    }
  });
  after(() => sctec?.close());

  return {
    clock,
    env,
    /** A token of the scheduler's admin (empty until set-up ran). */
    admin: () => admin,
    /** The served receipt keys (empty unless `readJwks`). */
    jwks: () => jwks,
    /** A slot start on the grid `days` days after the clock's present, plus `index` slots. */
    slotAhead: (days: number, index = 0) =>
      Math.ceil((clock.now() + days * DAY) / SLOT) * SLOT + index * SLOT,
    /** Every scheduler and fair-share invariant holds, and each acknowledged booking is as answered. */
    assertInvariants: async (
      acknowledged: readonly { id: number; telescopio_id: string; horario_inicio_utc: string }[] = [],
    ) => {
      const s = env();
      const violations = await fairShareViolations({
        db: s.database.db,
        url: s.url,
        adminToken: admin,
        defaultMinutes: DEFAULT_MINUTES,
        acknowledged,
      });
      assert.deepEqual(violations, []);
    },
  };
}
