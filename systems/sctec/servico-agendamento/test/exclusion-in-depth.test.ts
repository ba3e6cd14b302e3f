import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { LockClient } from '@dslab/lock-client';
import { migrate } from '@dslab/db';
import { call, countByStatus, createTestDatabase, freePort, race } from '@dslab/testing';
import { bookingRequest, futureSlot, startCoordinatorProcess, startScheduler } from '../../test/harness.js';
import { checkSchedulerInvariants } from '../../test/invariants.js';
import { schedulerMigrations } from '../src/adapters/migrations.js';
import type { SchedulerTables } from '../src/adapters/schema.js';
import { createSchedulerStore } from '../src/adapters/store.js';
import { DEFAULT_TELESCOPE } from '../src/bootstrap.js';

const requestsFor = (tokens: string[], slot: string) => tokens.map((token) => bookingRequest(token, slot));

/**
 * A coordinator whose every lease has expired: it grants every request, each with a newer
 * token, as happens to holders paused past their lease.
 */
function expiredLeaseLocks(): LockClient {
  let next = 0;
  return {
    lock: ({ recurso }) =>
      Promise.resolve({ granted: true, recurso, token: ++next, ttlRestanteMs: 0, validUntilMono: 0 }),
    unlock: () => Promise.resolve('not-holder'),
    close: () => Promise.resolve(),
  };
}

describe('exclusion in depth: each layer alone keeps one active booking per slot', () => {
  let coordinator: Awaited<ReturnType<typeof startCoordinatorProcess>>;
  before(async () => {
    coordinator = await startCoordinatorProcess();
  });
  after(() => (coordinator as typeof coordinator | undefined)?.stop());

  const layers = [
    { name: 'all three layers on', unsafe: {} },
    { name: 'the coordinator lock alone', unsafe: { skipFence: true, skipUnique: true } },
    { name: 'the unique index alone', unsafe: { skipLock: true, skipFence: true } },
  ];
  for (const engine of ['sqlite', 'postgres'] as const) {
    for (const layer of layers) {
      test(`on ${engine}, when 20 scientists race with ${layer.name}, then exactly one wins`, async () => {
        const sctec = await startScheduler({
          engine,
          coordinatorUrl: coordinator.url,
          unsafe: { ...layer.unsafe, delayBeforeSaveMs: 30 },
        });
        try {
          const tokens = (await Promise.all(Array.from({ length: 20 }, () => sctec.scientist()))).map(
            (s) => s.token,
          );
          const responses = await race(sctec.url, requestsFor(tokens, futureSlot(1)));
          assert.deepEqual(countByStatus(responses), { 201: 1, 409: 19 });
          assert.deepEqual((await checkSchedulerInvariants(sctec.database.db)).violations, []);
        } finally {
          await sctec.close();
        }
      });
    }
  }

  test('on postgres, when 20 scientists race with the lock, the fence and the slot index off, then the exclusion constraint alone lets exactly one win', async () => {
    const sctec = await startScheduler({
      engine: 'postgres',
      coordinatorUrl: coordinator.url,
      unsafe: { skipLock: true, skipFence: true, delayBeforeSaveMs: 30 },
    });
    try {
      await createSchedulerStore(sctec.database.db).dropSlotUniqueIndex({ keepExclusion: true });
      const tokens = (await Promise.all(Array.from({ length: 20 }, () => sctec.scientist()))).map(
        (s) => s.token,
      );
      const responses = await race<{ code?: string }>(sctec.url, requestsFor(tokens, futureSlot(1)));
      assert.deepEqual(countByStatus(responses), { 201: 1, 409: 19 });
      assert.ok(responses.every((r) => r.status === 201 || r.body.code === 'slot-taken'));
      // Overlapping multi-slot windows: the constraint compares time ranges, not slot rows.
      const windows = Array.from({ length: 20 }, (_, i) => [20 + (i % 7), 21 + (i % 7) + (i % 3)] as const);
      const overlapping = await race(
        sctec.url,
        windows.map(([start, end], i) => bookingRequest(tokens[i] ?? '', futureSlot(start), futureSlot(end))),
      );
      assert.ok(overlapping.every((r) => r.status === 201 || r.status === 409));
      assert.ok((countByStatus(overlapping)[201] ?? 0) >= 1);
      assert.deepEqual((await checkSchedulerInvariants(sctec.database.db)).violations, []);
    } finally {
      await sctec.close();
    }
  });

  test('on postgres, when a demo run left overlapping active bookings, then a normal start cannot put the exclusion constraint back and exits with the duplicate-bookings message', async () => {
    const database = await createTestDatabase<SchedulerTables>('postgres', 'dup');
    const dataDir = mkdtempSync(join(tmpdir(), 'sctec-dup-'));
    try {
      await migrate(database, schedulerMigrations(database.engine));
      const store = createSchedulerStore(database.db);
      await store.ensureTelescope({ ...DEFAULT_TELESCOPE, criado_em_utc: '2030-01-01T00:00:00.000Z' });
      const owner = await store.insertScientist({
        nome: 'Demo',
        email: 'demo@obs.example',
        senha_hash: 'h',
        instituicao: null,
        papel: 'cientista',
        criado_em_utc: '2030-01-01T00:00:00.000Z',
      });
      // What UNSAFE_SKIP_UNIQUE leaves behind: the last line off, then two overlapping bookings
      // (rows only: the slot index would come back cleanly, the exclusion constraint cannot).
      await store.dropSlotUniqueIndex();
      const start = Date.parse(futureSlot(0));
      for (const offset of [0, 300_000]) {
        await database.db
          .insertInto('agendamentos')
          .values({
            telescopio_id: DEFAULT_TELESCOPE.id,
            cientista_id: owner.id,
            horario_inicio_utc: new Date(start + offset).toISOString(),
            horario_fim_utc: new Date(start + offset + 600_000).toISOString(),
            inicio_ms: start + offset,
            fim_ms: start + offset + 600_000,
            status: 'ativo',
            recebido_em_utc: '2030-01-01T00:00:00.000Z',
            criado_em_utc: '2030-01-01T00:00:00.000Z',
            horario_clique_utc: null,
            incerteza_ms: null,
            tokens: '[]',
            cancelado_em_utc: null,
            cancelado_por: null,
          })
          .execute();
      }
      const { options } = database;
      assert.ok(options.engine === 'postgres');
      const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
      const exit = await promisify(execFile)(process.execPath, ['--import', 'tsx', main], {
        env: {
          ...process.env,
          DATABASE_URL: options.url,
          DATABASE_SCHEMA: options.schema,
          DATA_DIR: dataDir,
          SCHEDULER_PORT: '0',
          UNSAFE_SKIP_UNIQUE: 'false',
        },
        timeout: 60_000,
      }).then(
        ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
        (error: unknown) => {
          const e = error as { code?: unknown; stdout?: string; stderr?: string };
          return { code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
        },
      );
      assert.equal(exit.code, 1, exit.output);
      assert.match(
        exit.output,
        /O banco contém agendamentos ativos duplicados \(de uma demonstração insegura\?\); resolva-os antes de iniciar: .*agendamentos_sem_sobreposicao_ativa/,
      );
    } finally {
      await database.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  for (const engine of ['sqlite', 'postgres'] as const) {
    test(`on ${engine}, when the lock fails to exclude (every lease already expired), then the fence alone lets exactly one win`, async () => {
      // A coordinator whose every lease has expired: it grants every request, each with a newer
      // token, as happens to holders paused past their lease. Only the fence stands.
      const leakyLocks = expiredLeaseLocks();
      const sctec = await startScheduler({
        engine,
        coordinatorUrl: coordinator.url,
        locks: leakyLocks,
        unsafe: { skipUnique: true, delayBeforeSaveMs: 30 },
      });
      try {
        const tokens = (await Promise.all(Array.from({ length: 20 }, () => sctec.scientist()))).map(
          (s) => s.token,
        );
        const responses = await race<{ code?: string }>(sctec.url, requestsFor(tokens, futureSlot(1)));
        assert.deepEqual(countByStatus(responses), { 201: 1, 409: 19 });
        const codes = new Set(responses.filter((r) => r.status === 409).map((r) => r.body.code));
        assert.ok(
          [...codes].every((c) => c === 'stale-token' || c === 'slot-taken'),
          [...codes].join(','),
        );
        assert.deepEqual((await checkSchedulerInvariants(sctec.database.db)).violations, []);
      } finally {
        await sctec.close();
      }
    });
  }

  // The chaos run's scenario, on PostgreSQL: holder A checks, then stalls (SIGSTOP there) between
  // its check and its insert past its lease; B gets the lock with a newer token, checks and
  // stalls too, then both write. The delay sits inside the locked path's transaction, after the
  // check, so with every guard after the lock off the failure is visible instead of hidden by a
  // re-check; any remaining guard still keeps one winner.
  const stalledHolder = [
    { guards: 'the fence and the last line off', unsafe: { skipFence: true, skipUnique: true }, winners: 2 },
    { guards: 'only the last line on', unsafe: { skipFence: true }, winners: 1 },
    { guards: 'only the fence on', unsafe: { skipUnique: true }, winners: 1 },
  ];
  for (const scenario of stalledHolder) {
    test(`on postgres, when a holder stalls between its check and its insert past its lease with ${scenario.guards}, then ${scenario.winners === 1 ? 'exactly one booking wins' : 'both write and the checker sees the double booking'}`, async () => {
      const sctec = await startScheduler({
        engine: 'postgres',
        coordinatorUrl: coordinator.url,
        locks: expiredLeaseLocks(),
        unsafe: { ...scenario.unsafe, delayBeforeSaveMs: 400 },
      });
      try {
        const [a, b] = await Promise.all([sctec.scientist(), sctec.scientist()]);
        const slot = futureSlot(30);
        const first = call(sctec.url, 'POST', '/agendamentos', {
          token: a.token,
          body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: slot },
        });
        await new Promise((resolve) => setTimeout(resolve, 150));
        const second = call(sctec.url, 'POST', '/agendamentos', {
          token: b.token,
          body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: slot },
        });
        const statuses = (await Promise.all([first, second])).map((r) => r.status);
        const report = await checkSchedulerInvariants(sctec.database.db);
        if (scenario.winners === 2) {
          assert.deepEqual(statuses, [201, 201]);
          assert.ok(
            report.violations.some((v) => v.startsWith('double booking')),
            report.violations.join('\n'),
          );
        } else {
          assert.deepEqual(statuses, [201, 409]);
          assert.deepEqual(report.violations, []);
        }
      } finally {
        await sctec.close();
      }
    });
  }

  test('with every layer off, the same race double-books (so the checker and the race are real)', async () => {
    const sctec = await startScheduler({
      engine: 'sqlite',
      coordinatorUrl: coordinator.url,
      unsafe: { skipLock: true, skipFence: true, skipUnique: true, delayBeforeSaveMs: 50 },
    });
    try {
      const tokens = (await Promise.all(Array.from({ length: 10 }, () => sctec.scientist()))).map(
        (s) => s.token,
      );
      const responses = await race(sctec.url, requestsFor(tokens, futureSlot(2)));
      assert.ok((countByStatus(responses)[201] ?? 0) > 1);
      const report = await checkSchedulerInvariants(sctec.database.db);
      assert.ok(
        report.violations.some((v) => v.startsWith('double booking')),
        report.violations.join('\n'),
      );
    } finally {
      await sctec.close();
    }
  });

  test('when the fence already saw a newer token, then a stale holder is refused with 409 and nothing is saved', async () => {
    const sctec = await startScheduler({ engine: 'sqlite', coordinatorUrl: coordinator.url });
    try {
      const s = await sctec.scientist();
      const slot = futureSlot(3);
      // A newer holder of this slot's lock already wrote (its token is far above anything the coordinator hands out now).
      await sctec.database.db
        .insertInto('lock_fences')
        .values({ recurso: `Hubble-Acad_${slot}`, token: Number.MAX_SAFE_INTEGER })
        .execute();
      const res = await call<{ code: string }>(sctec.url, 'POST', '/agendamentos', {
        token: s.token,
        body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: slot },
      });
      assert.equal(res.status, 409);
      assert.equal(res.body.code, 'stale-token');
      assert.equal((await sctec.database.db.selectFrom('agendamentos').selectAll().execute()).length, 0);
      // The loss itself is a decision: recorded in the chain (and signed in the answer), nothing else.
      const entries = await sctec.database.db.selectFrom('audit_log').selectAll().execute();
      assert.deepEqual(
        entries.map((e) => [e.event_type, (JSON.parse(e.details) as { motivo?: string }).motivo]),
        [['AGENDAMENTO_RECUSADO', 'stale-token']],
      );
    } finally {
      await sctec.close();
    }
  });

  test('when the coordinator is unreachable, then 503 and nothing is written', async () => {
    const deadPort = await freePort();
    const sctec = await startScheduler({ engine: 'sqlite', coordinatorUrl: `http://127.0.0.1:${deadPort}` });
    try {
      const s = await sctec.scientist();
      const res = await call<{ code: string }>(sctec.url, 'POST', '/agendamentos', {
        token: s.token,
        body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(4) },
      });
      assert.equal(res.status, 503);
      assert.equal(res.body.code, 'unavailable');
      assert.equal((await sctec.database.db.selectFrom('agendamentos').selectAll().execute()).length, 0);
    } finally {
      await sctec.close();
    }
  });

  test('when a slot is booked for several slots, then its locks are all released afterwards', async () => {
    const sctec = await startScheduler({ engine: 'sqlite', coordinatorUrl: coordinator.url });
    try {
      const s = await sctec.scientist();
      const res = await call<{ id: number }>(sctec.url, 'POST', '/agendamentos', {
        token: s.token,
        body: {
          telescopio_id: 'Hubble-Acad',
          horario_inicio_utc: futureSlot(10),
          horario_fim_utc: futureSlot(13),
        },
      });
      assert.equal(res.status, 201);
      for (let i = 10; i < 13; i++) {
        const lock = await call(coordinator.url, 'POST', '/lock', {
          body: { recurso: `Hubble-Acad_${futureSlot(i)}` },
        });
        assert.equal(lock.status, 200, `slot ${i} still locked`);
      }
      const order = sctec.lines
        .filter((l) => l.includes('Tentando adquirir lock'))
        .map((l) => /recurso (\S+)/.exec(l)?.[1]);
      assert.deepEqual(
        order,
        [10, 11, 12].map((i) => `Hubble-Acad_${futureSlot(i)}`),
        'canonical (ascending) lock order',
      );
    } finally {
      await sctec.close();
    }
  });
});
