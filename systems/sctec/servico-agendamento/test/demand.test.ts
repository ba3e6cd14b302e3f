/**
 * Demand in the open (issue 9): GET /telescopios/{id}/demanda counts, per slot, the booking
 * attempts (wins and losses) and the scientists waiting, with no trace of who they are. Real
 * races on both engines, on a controlled clock.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { call, countByStatus, ENGINES, race } from '@dslab/testing';
import { bookingRequest } from '../../test/harness.js';
import {
  bookSlot,
  DAY,
  filaPath,
  HOUR,
  MINUTE,
  seedIso,
  SLOT,
  useCoordinator,
  useFairShareScheduler,
  wireIso,
  type Booking,
  type Link,
} from './fair-share-support.js';

/** The controlled clock (T0) is 2031-01-03 06:00 UTC; "today" is 2031-01-03. It never moves here. */
const TODAY = Date.UTC(2031, 0, 3);

interface DemandSlot {
  horario_inicio_utc: string;
  tentativas: number;
  aguardando: number;
  ocupado: boolean;
}
interface Demand {
  telescopio_id: string;
  de: string;
  ate: string;
  slot_minutos: number;
  slots: DemandSlot[];
  _links: Record<string, Link | undefined>;
}

const demandPath = (deMs?: number, ateMs?: number, telescope = 'Hubble-Acad') => {
  const params = new URLSearchParams();
  if (deMs !== undefined) params.set('de', seedIso(deMs));
  if (ateMs !== undefined) params.set('ate', seedIso(ateMs));
  const query = params.toString();
  return `/telescopios/${encodeURIComponent(telescope)}/demanda${query === '' ? '' : `?${query}`}`;
};

/** Every key anywhere in a JSON value. */
function keysOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keysOf(v, into);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      keysOf(v, into);
    }
  }
  return into;
}

describe('demand per slot, anonymised', () => {
  const coordinator = useCoordinator();

  for (const engine of ENGINES) {
    describe(`on ${engine}`, () => {
      const { env, assertInvariants } = useFairShareScheduler(engine, { coordinator });

      const book = (token: string, startMs: number, endMs?: number) =>
        bookSlot<Booking>(env().url, token, startMs, { endMs });
      const demand = async (path: string) => {
        const res = await call<Demand>(env().url, 'GET', path);
        assert.equal(res.status, 200, `GET ${path}: ${res.text}`);
        return res.body;
      };

      test('when slots are contested, booked, cancelled and waited for, then the demand counts attempts (wins and 409 losses) and waiters per slot, in time order, without naming anyone', async () => {
        const s = env();
        const a = TODAY + 10 * HOUR;
        const b = TODAY + 10 * HOUR + 30 * MINUTE;
        const c = TODAY + 11 * HOUR;
        const d = TODAY + 12 * HOUR;
        const people = await Promise.all(Array.from({ length: 6 }, (_, i) => s.scientist(`Demanda ${i}`)));
        const [p0, p1, p2, p3] = people;
        assert.ok(p0 && p1 && p2 && p3);

        // A: six race, one wins; three of the losers wait.
        const raced = await race<{ id: number; code?: string }>(
          s.url,
          people.map((p) => bookingRequest(p.token, seedIso(a))),
        );
        assert.deepEqual(countByStatus(raced), { 201: 1, 409: 5 });
        const losers = raced.filter((r) => r.status === 409).map((r) => people[r.index]);
        const joins = await race(
          s.url,
          losers.slice(0, 3).map((p) => ({
            method: 'POST' as const,
            path: filaPath(a),
            headers: { authorization: `Bearer ${p?.token ?? ''}` },
          })),
        );
        assert.deepEqual(countByStatus(joins), { 201: 3 });
        // B: one booking of two slots.
        assert.equal((await book(p0.token, b, b + 2 * SLOT)).status, 201);
        // C: booked, then cancelled.
        const cBooking = await book(p1.token, c);
        assert.equal(cBooking.status, 201);
        assert.equal(
          (await call(s.url, 'POST', `/agendamentos/${cBooking.body.id}/cancelamento`, { token: p1.token }))
            .status,
          200,
        );
        // D: booked, a loser joins its list and leaves again.
        assert.equal((await book(p2.token, d)).status, 201);
        assert.equal((await book(p3.token, d)).status, 409);
        const joined = await call<{ id: number }>(s.url, 'POST', filaPath(d), { token: p3.token });
        assert.equal(joined.status, 201, joined.text);
        assert.equal(
          (await call(s.url, 'POST', `/esperas/${joined.body.id}/saida`, { token: p3.token })).status,
          200,
        );

        const path = demandPath(TODAY, TODAY + DAY);
        const res = await call<Demand>(s.url, 'GET', path); // public: no token
        assert.equal(res.status, 200, res.text);
        const body = res.body;
        assert.equal(body.telescopio_id, 'Hubble-Acad');
        assert.equal(Date.parse(body.de), TODAY);
        assert.equal(Date.parse(body.ate), TODAY + DAY);
        assert.equal(body.slot_minutos, 5);
        assert.deepEqual(body.slots, [
          { horario_inicio_utc: wireIso(a), tentativas: 6, aguardando: 3, ocupado: true },
          { horario_inicio_utc: wireIso(b), tentativas: 1, aguardando: 0, ocupado: true },
          { horario_inicio_utc: wireIso(b + SLOT), tentativas: 1, aguardando: 0, ocupado: true },
          { horario_inicio_utc: wireIso(c), tentativas: 1, aguardando: 0, ocupado: false },
          { horario_inicio_utc: wireIso(d), tentativas: 2, aguardando: 0, ocupado: true },
        ]);
        assert.ok(body._links.self?.href, 'a self link');
        assert.equal(body._links.telescopio?.href, '/telescopios/Hubble-Acad');

        // Anonymised: no field names a scientist, and no name or e-mail appears.
        const keys = [...keysOf(body)];
        assert.deepEqual(
          keys.filter((k) => /cientista|email|nome|agendamento|espera/i.test(k)),
          [],
          `keys: ${keys.join(', ')}`,
        );
        for (const p of people) assert.ok(!res.text.includes(p.email), 'no e-mail in the demand');
        assert.ok(!/Demanda \d/.test(res.text), 'no name in the demand');

        // A waiter leaving lowers the count.
        const first = joins[0]?.body as { id: number } | undefined;
        const leaver = losers[0];
        assert.ok(first && leaver);
        const mine = await call<{ _embedded: { esperas: { id: number; horario_inicio_utc: string }[] } }>(
          s.url,
          'GET',
          '/eu/esperas',
          { token: leaver.token },
        );
        const entry = mine.body._embedded.esperas.find((e) => Date.parse(e.horario_inicio_utc) === a);
        assert.ok(entry, 'the loser is on the list of slot A');
        assert.equal(
          (await call(s.url, 'POST', `/esperas/${entry.id}/saida`, { token: leaver.token })).status,
          200,
        );
        const after = await demand(path);
        assert.deepEqual(
          after.slots.find((x) => x.horario_inicio_utc === wireIso(a)),
          { horario_inicio_utc: wireIso(a), tentativas: 6, aguardando: 2, ocupado: true },
        );
        await assertInvariants();
      });

      test('when 8 scientists race for each of 5 slots at once and the losers all join, then each slot counts 8 attempts and 7 waiters', async () => {
        const s = env();
        const base = TODAY + 2 * DAY + 9 * HOUR;
        const people = await Promise.all(Array.from({ length: 8 }, (_, i) => s.scientist(`Corrida ${i}`)));
        const slots = Array.from({ length: 5 }, (_, i) => base + i * SLOT);
        const responses = await race(
          s.url,
          slots.flatMap((slot) => people.map((p) => bookingRequest(p.token, seedIso(slot)))),
        );
        assert.deepEqual(countByStatus(responses), { 201: 5, 409: 35 });
        const joins = await race(
          s.url,
          responses
            .filter((r) => r.status === 409)
            .map((r) => ({
              method: 'POST' as const,
              path: filaPath(slots[Math.floor(r.index / people.length)] ?? 0),
              headers: { authorization: `Bearer ${people[r.index % people.length]?.token ?? ''}` },
            })),
        );
        assert.deepEqual(countByStatus(joins), { 201: 35 });
        const body = await demand(demandPath(base, base + DAY));
        assert.deepEqual(
          body.slots,
          slots.map((slot) => ({
            horario_inicio_utc: wireIso(slot),
            tentativas: 8,
            aguardando: 7,
            ocupado: true,
          })),
        );
        await assertInvariants();
      });

      test('without a range, the demand covers the current UTC day of the server clock; with only de, 24 hours from it; the telescope links it as a template', async () => {
        const s = env();
        const someone = await s.scientist('Padrão');
        const tonight = TODAY + 20 * HOUR;
        const tomorrow = TODAY + DAY + 7 * HOUR;
        assert.equal((await book(someone.token, tonight)).status, 201);
        assert.equal((await book(someone.token, tomorrow)).status, 201);

        const byDefault = await demand('/telescopios/Hubble-Acad/demanda');
        assert.equal(Date.parse(byDefault.de), TODAY);
        assert.equal(Date.parse(byDefault.ate), TODAY + DAY);
        const starts = byDefault.slots.map((x) => Date.parse(x.horario_inicio_utc));
        assert.ok(starts.includes(tonight), 'tonight is in today');
        assert.ok(!starts.includes(tomorrow), 'tomorrow is not');
        assert.ok(starts.every((t) => t >= TODAY && t < TODAY + DAY));
        assert.deepEqual(
          starts,
          [...starts].sort((x, y) => x - y),
          'in time order',
        );

        const fromTomorrow = await demand(demandPath(TODAY + DAY));
        assert.equal(Date.parse(fromTomorrow.ate), TODAY + 2 * DAY);
        assert.deepEqual(
          fromTomorrow.slots.map((x) => Date.parse(x.horario_inicio_utc)),
          [tomorrow],
        );

        const telescope = await call<{ _links: Record<string, Link | undefined> }>(
          s.url,
          'GET',
          '/telescopios/Hubble-Acad',
        );
        const link = telescope.body._links.demanda;
        assert.ok(link, 'the telescope links its demand');
        assert.deepEqual(
          { href: link.href, templated: link.templated },
          { href: '/telescopios/Hubble-Acad/demanda{?de,ate}', templated: true },
        );
        // Following the template (RFC 6570 form-style query expansion).
        const expanded = link.href.replace(
          '{?de,ate}',
          `?de=${encodeURIComponent(seedIso(TODAY))}&ate=${encodeURIComponent(seedIso(TODAY + DAY))}`,
        );
        assert.deepEqual((await demand(expanded)).slots, byDefault.slots);
      });

      test('a range over 7 days, an end not after the start, a bad instant or an unknown telescope are refused', async () => {
        const s = env();
        const ok = await call(s.url, 'GET', demandPath(TODAY, TODAY + 7 * DAY));
        assert.equal(ok.status, 200, `exactly 7 days is allowed: ${ok.text}`);
        const cases: [string, string, number][] = [
          ['a range of 7 days and 5 minutes', demandPath(TODAY, TODAY + 7 * DAY + SLOT), 400],
          ['a range of 30 days', demandPath(TODAY, TODAY + 30 * DAY), 400],
          ['ate equal to de', demandPath(TODAY, TODAY), 400],
          ['ate before de', demandPath(TODAY + HOUR, TODAY), 400],
          ['a bad de', '/telescopios/Hubble-Acad/demanda?de=ontem', 400],
          [
            'a bad ate',
            `/telescopios/Hubble-Acad/demanda?de=${seedIso(TODAY)}&ate=2031-13-01T00:00:00Z`,
            400,
          ],
          ['an unknown telescope', demandPath(TODAY, TODAY + DAY, 'James-Webb'), 404],
        ];
        for (const [name, path, status] of cases) {
          const res = await call<{ status: number; detail: string }>(s.url, 'GET', path);
          assert.equal(res.status, status, `${name}: ${res.text}`);
          assert.match(String(res.headers['content-type']), /application\/problem\+json/, name);
          assert.ok(res.body.detail.length > 5, `${name}: a clear detail`);
        }
      });
    });
  }
});
