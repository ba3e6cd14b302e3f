import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { countByStatus, ENGINES, race, type RaceRequest } from '@dslab/testing';
import {
  bookingRequest,
  futureSlot,
  startClusterTarget,
  startCoordinatorProcess,
  startScheduler,
  type RacingTarget,
} from '../../test/harness.js';
import { checkSchedulerInvariants } from '../../test/invariants.js';

type Booking = { id: number; telescopio_id: string; horario_inicio_utc: string };

/**
 * The topologies the races run on: one scheduler on each engine beside a coordinator process,
 * and the cluster of `npm run start:cluster` (2 coordinators on Redis, 2 schedulers on
 * PostgreSQL, requests through the balanced address and so spread over both schedulers).
 */
const TOPOLOGIES = [...ENGINES, 'cluster'] as const;

describe('racing bookings through real HTTP', () => {
  let coordinator: Awaited<ReturnType<typeof startCoordinatorProcess>> | undefined;
  after(() => coordinator?.stop());

  async function start(topology: (typeof TOPOLOGIES)[number]): Promise<RacingTarget> {
    if (topology === 'cluster') return startClusterTarget();
    coordinator ??= await startCoordinatorProcess();
    const sctec = await startScheduler({ engine: topology, coordinatorUrl: coordinator.url });
    return {
      url: sctec.url,
      db: sctec.database.db,
      scientist: (name) => sctec.scientist(name),
      close: () => sctec.close(),
    };
  }

  for (const topology of TOPOLOGIES) {
    describe(`on ${topology}`, () => {
      let sctec: RacingTarget;
      let tokens: string[];
      before(async () => {
        sctec = await start(topology);
        tokens = (
          await Promise.all(Array.from({ length: 50 }, (_, i) => sctec.scientist(`Cientista ${i}`)))
        ).map((s) => s.token);
      });
      after(() => (sctec as RacingTarget | undefined)?.close());

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
        const report = await checkSchedulerInvariants(sctec.db, won);
        assert.deepEqual(report.violations, []);
        const rows = await sctec.db
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
          sctec.db,
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
          sctec.db,
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
        const report = await checkSchedulerInvariants(sctec.db);
        assert.deepEqual(report.violations, []);
        const active = await sctec.db
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
