import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LockClient } from '@dslab/lock-client';
import { call, countByStatus, freePort, race } from '@dslab/testing';
import { futureSlot, startCoordinatorProcess, startScheduler } from '../../test/harness.js';
import { checkSchedulerInvariants } from '../../test/invariants.js';

const requestsFor = (tokens: string[], slot: string) =>
  tokens.map((token) => ({
    method: 'POST' as const,
    path: '/agendamentos',
    headers: { authorization: `Bearer ${token}` },
    body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: slot },
  }));

describe('exclusion in depth: each layer alone keeps one active booking per slot', () => {
  let coordinator: Awaited<ReturnType<typeof startCoordinatorProcess>>;
  before(async () => {
    coordinator = await startCoordinatorProcess();
  });
  after(() => (coordinator as typeof coordinator | undefined)?.stop());

  const layers = [
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

  for (const engine of ['sqlite', 'postgres'] as const) {
    test(`on ${engine}, when the lock fails to exclude (every lease already expired), then the fence alone lets exactly one win`, async () => {
      // A coordinator whose every lease has expired: it grants every request, each with a newer
      // token, as happens to holders paused past their lease. Only the fence stands.
      let next = 0;
      const leakyLocks: LockClient = {
        lock: ({ recurso }) =>
          Promise.resolve({ granted: true, recurso, token: ++next, ttlRestanteMs: 0, validUntilMono: 0 }),
        unlock: () => Promise.resolve('not-holder'),
        close: () => Promise.resolve(),
      };
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
      assert.equal((await sctec.database.db.selectFrom('audit_log').selectAll().execute()).length, 0);
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
