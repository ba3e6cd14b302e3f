import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { countByStatus, ENGINES, race, type RaceRequest } from '@dslab/testing';
import { futureSlot, startCoordinatorProcess, startScheduler, type Sctec } from '../../test/harness.js';
import { checkSchedulerInvariants } from '../../test/invariants.js';

type Booking = { id: number; telescopio_id: string; horario_inicio_utc: string };

function bookingRequest(token: string, inicio: string, fim?: string): RaceRequest {
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

describe('racing bookings through real HTTP', () => {
  let coordinator: Awaited<ReturnType<typeof startCoordinatorProcess>>;
  before(async () => {
    coordinator = await startCoordinatorProcess();
  });
  after(() => (coordinator as typeof coordinator | undefined)?.stop());

  for (const engine of ENGINES) {
    describe(`on ${engine}`, () => {
      let sctec: Sctec;
      let tokens: string[];
      before(async () => {
        sctec = await startScheduler({ engine, coordinatorUrl: coordinator.url });
        tokens = (
          await Promise.all(Array.from({ length: 50 }, (_, i) => sctec.scientist(`Cientista ${i}`)))
        ).map((s) => s.token);
      });
      after(() => (sctec as Sctec | undefined)?.close());

      test('when 50 scientists race for one slot, then exactly one wins and the rest get 409', async () => {
        const slot = futureSlot(0);
        const responses = await race<Booking>(
          sctec.url,
          tokens.map((t) => bookingRequest(t, slot)),
        );
        assert.deepEqual(countByStatus(responses), { 201: 1, 409: 49 });
        for (const r of responses.filter((x) => x.status === 409)) {
          assert.match(String(r.headers['content-type']), /application\/problem\+json/);
        }
        const won = responses.filter((r) => r.status === 201).map((r) => r.body);
        const report = await checkSchedulerInvariants(sctec.database.db, won);
        assert.deepEqual(report.violations, []);
        const rows = await sctec.database.db
          .selectFrom('agendamentos')
          .selectAll()
          .where('horario_inicio_utc', '=', new Date(slot).toISOString())
          .execute();
        assert.equal(rows.length, 1);
      });

      test('when 200 slots are each contested by 5 scientists, then each slot has exactly one winner', async () => {
        const requests: RaceRequest[] = [];
        for (let s = 0; s < 200; s++) {
          for (let c = 0; c < 5; c++)
            requests.push(bookingRequest(tokens[(s * 5 + c) % tokens.length] ?? '', futureSlot(10 + s)));
        }
        const responses = await race<Booking>(sctec.url, requests);
        const counts = countByStatus(responses);
        assert.equal(counts[201], 200, JSON.stringify(counts));
        assert.equal(counts[409], 800, JSON.stringify(counts));
        const winners = new Set(
          responses.filter((r) => r.status === 201).map((r) => r.body.horario_inicio_utc),
        );
        assert.equal(winners.size, 200);
        const report = await checkSchedulerInvariants(
          sctec.database.db,
          responses.filter((r) => r.status === 201).map((r) => r.body),
        );
        assert.deepEqual(report.violations, []);
      });

      test('when overlapping multi-slot bookings race, then no two active bookings overlap and none deadlock', async () => {
        const base = 400;
        const windows: [number, number][] = [];
        for (let i = 0; i < 30; i++) {
          const start = base + ((i * 7) % 20);
          windows.push([start, start + 1 + (i % 4)]);
        }
        const responses = await race<Booking>(
          sctec.url,
          windows.map(([s, e], i) =>
            bookingRequest(tokens[i % tokens.length] ?? '', futureSlot(s), futureSlot(e)),
          ),
        );
        const statuses = new Set(responses.map((r) => r.status));
        assert.ok(
          [...statuses].every((s) => s === 201 || s === 409),
          `unexpected statuses ${[...statuses].join(',')}`,
        );
        assert.ok((countByStatus(responses)[201] ?? 0) >= 1);
        const report = await checkSchedulerInvariants(
          sctec.database.db,
          responses.filter((r) => r.status === 201).map((r) => r.body),
        );
        assert.deepEqual(report.violations, []);
      });

      test('when a booking is cancelled while others race to rebook the slot, then at most one active booking remains', async () => {
        const slot = futureSlot(700);
        const owner = await sctec.scientist('Dono');
        const first = await race<Booking>(sctec.url, [bookingRequest(owner.token, slot)]);
        const id = first[0]?.body.id;
        assert.equal(first[0]?.status, 201);
        const requests: RaceRequest[] = [
          {
            method: 'POST',
            path: `/agendamentos/${id}/cancelamento`,
            headers: { authorization: `Bearer ${owner.token}` },
          },
          ...tokens.slice(0, 20).map((t) => bookingRequest(t, slot)),
        ];
        const responses = await race<Booking>(sctec.url, requests);
        assert.equal(responses[0]?.status, 200);
        const report = await checkSchedulerInvariants(sctec.database.db);
        assert.deepEqual(report.violations, []);
        const active = await sctec.database.db
          .selectFrom('agendamentos')
          .select('id')
          .where('horario_inicio_utc', '=', new Date(slot).toISOString())
          .where('status', '=', 'ativo')
          .execute();
        assert.ok(active.length <= 1);
      });
    });
  }
});
