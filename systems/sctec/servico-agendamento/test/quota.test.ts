/**
 * Time quotas (issue 9) through real HTTP on both engines, on a controlled clock: the admin sets
 * allocations, bookings that would overdraw them are refused with 422 even when they race, early
 * cancellations refund and late ones do not, and minutes count in the UTC month of each slot.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { call, countByStatus, ENGINES, race } from '@dslab/testing';
import { bookingRequest } from '../../test/harness.js';
import { auditTrailOverHttp } from '../../test/invariants.js';
import type { QuotaView } from '../src/entry-points/http/representations.js';
import {
  bookSlot,
  DAY,
  DEFAULT_MINUTES,
  HOUR,
  seedIso,
  SLOT,
  T0,
  useCoordinator,
  useFairShareScheduler,
  type Booking,
  type Link,
  type Problem,
} from './fair-share-support.js';

const NOTICE_MS = 72 * HOUR;

interface ScientistView {
  id: number;
  nome: string;
  cota?: QuotaView;
  _links: Record<string, Link | undefined>;
}

describe('time quotas', () => {
  const coordinator = useCoordinator();

  for (const engine of ENGINES) {
    describe(`on ${engine}`, () => {
      // The clock only ever moves forward, within January.
      const { clock, env, admin, assertInvariants } = useFairShareScheduler(engine, {
        coordinator,
        jwtTtlSeconds: 60 * 24 * 3600,
        refundNoticeMs: NOTICE_MS,
      });

      const book = (token: string, startMs: number, endMs?: number) =>
        bookSlot<Booking & Problem>(env().url, token, startMs, { endMs });
      const setQuota = (id: number, minutos: number | null, token = admin()) =>
        call<ScientistView & Problem>(env().url, 'PUT', `/cientistas/${id}/cota`, {
          token,
          body: { minutos },
        });
      const quotaOf = async (id: number, token: string, periodo?: string) => {
        const res = await call<ScientistView>(
          env().url,
          'GET',
          `/cientistas/${id}${periodo === undefined ? '' : `?periodo=${periodo}`}`,
          { token },
        );
        assert.equal(res.status, 200, res.text);
        assert.ok(res.body.cota, `GET /cientistas/${id} shows the quota to its owner: ${res.text}`);
        return res.body.cota;
      };
      const cancel = (token: string, id: number) =>
        call<Booking & Problem>(env().url, 'POST', `/agendamentos/${id}/cancelamento`, { token });
      const assertQuotaExceeded = (res: {
        status: number;
        headers: Record<string, unknown>;
        body: Problem;
        text: string;
      }) => {
        assert.equal(res.status, 422, res.text);
        assert.match(String(res.headers['content-type']), /application\/problem\+json/);
        assert.equal(res.body.code, 'quota-exceeded', res.text);
      };

      test('when an admin sets an allocation, then PUT /cientistas/{id}/cota answers the scientist view and the audit records COTA_DEFINIDA; others are refused', async () => {
        const s = env();
        const scientist = await s.scientist('Annie Cannon');
        const other = await s.scientist('Henrietta Leavitt');

        const set = await setQuota(scientist.id, 120);
        assert.equal(set.status, 200, set.text);
        assert.equal(set.body.id, scientist.id);
        assert.equal(set.body.cota?.alocados_minutos, 120, set.text);
        assert.equal(set.body.cota.padrao, false);
        assert.equal(set.body.cota.usados_minutos, 0);
        assert.equal(set.body.cota.restantes_minutos, 120);
        assert.deepEqual(
          { href: set.body._links.definir_cota?.href, method: set.body._links.definir_cota?.method },
          { href: `/cientistas/${scientist.id}/cota`, method: 'PUT' },
        );
        const row = await s.database.db
          .selectFrom('cientistas')
          .select('cota_minutos')
          .where('id', '=', scientist.id)
          .executeTakeFirstOrThrow();
        assert.equal(row.cota_minutos, 120);
        assert.equal((await quotaOf(scientist.id, scientist.token)).alocados_minutos, 120);

        // Not an admin: neither the scientist themself nor anyone else; nobody without a token.
        const self = await setQuota(scientist.id, 100_000, scientist.token);
        assert.equal(self.status, 403, self.text);
        assert.match(String(self.headers['content-type']), /application\/problem\+json/);
        assert.equal((await setQuota(scientist.id, 100_000, other.token)).status, 403);
        const anonymous = await call(s.url, 'PUT', `/cientistas/${scientist.id}/cota`, {
          body: { minutos: 100_000 },
        });
        assert.equal(anonymous.status, 401, anonymous.text);

        // Bad bodies: 400 problem+json and nothing changes.
        const badBodies: [string, { body?: unknown; rawBody?: string }][] = [
          ['an empty object', { body: {} }],
          ['a negative number', { body: { minutos: -1 } }],
          ['a fraction', { body: { minutos: 1.5 } }],
          ['a string', { body: { minutos: '10' } }],
          ['more than 1000000', { body: { minutos: 1_000_001 } }],
          ['an unknown field', { body: { minutos: 10, periodo: '2031-01' } }],
          ['an array', { body: [10] }],
          ['malformed JSON', { rawBody: '{"minutos": ' }],
        ];
        for (const [name, input] of badBodies) {
          const res = await call<Problem>(s.url, 'PUT', `/cientistas/${scientist.id}/cota`, {
            token: admin(),
            headers: { 'content-type': 'application/json' },
            ...input,
          });
          assert.equal(res.status, 400, `${name}: ${res.text}`);
          assert.match(String(res.headers['content-type']), /application\/problem\+json/, name);
        }
        assert.equal((await quotaOf(scientist.id, scientist.token)).alocados_minutos, 120);

        const unknown = await setQuota(99_999_999, 10);
        assert.equal(unknown.status, 404, unknown.text);
        assert.equal(
          (await call(s.url, 'PUT', '/cientistas/abc/cota', { token: admin(), body: { minutos: 1 } })).status,
          400,
        );

        // The limits are accepted, and null goes back to the default.
        assert.equal((await setQuota(scientist.id, 0)).status, 200);
        assert.equal((await setQuota(scientist.id, 1_000_000)).body.cota?.alocados_minutos, 1_000_000);
        const reset = await setQuota(scientist.id, null);
        assert.equal(reset.status, 200, reset.text);
        assert.equal(reset.body.cota?.alocados_minutos, DEFAULT_MINUTES);
        assert.equal(reset.body.cota.padrao, true);
        const after = await s.database.db
          .selectFrom('cientistas')
          .select('cota_minutos')
          .where('id', '=', scientist.id)
          .executeTakeFirstOrThrow();
        assert.equal(after.cota_minutos, null);

        const audit = (await auditTrailOverHttp(s.url, admin())).filter(
          (r) => r.event_type === 'COTA_DEFINIDA' && Object.values(r.details).includes(scientist.id),
        );
        assert.equal(audit.length, 4, 'one COTA_DEFINIDA per accepted change (120, 0, 1000000, null)');
        assert.ok(
          Object.values(audit[0]?.details ?? {}).includes(120),
          `COTA_DEFINIDA names the new allocation: ${JSON.stringify(audit[0]?.details)}`,
        );
        await assertInvariants();
      });

      test('GET /cientistas/{id} shows allocation, used and remaining with links to the scientist and admins only', async () => {
        const s = env();
        const scientist = await s.scientist('Williamina Fleming');
        const other = await s.scientist('Antonia Maury');
        const start = T0 + 6 * DAY;
        assert.equal((await book(scientist.token, start, start + 2 * SLOT)).status, 201);

        const own = await call<ScientistView>(s.url, 'GET', `/cientistas/${scientist.id}`, {
          token: scientist.token,
        });
        assert.equal(own.status, 200, own.text);
        assert.deepEqual(own.body.cota, {
          periodo: '2031-01',
          inicio_utc: '2031-01-01T00:00:00.000Z',
          fim_utc: '2031-02-01T00:00:00.000Z',
          alocados_minutos: DEFAULT_MINUTES,
          usados_minutos: 10,
          restantes_minutos: DEFAULT_MINUTES - 10,
          padrao: true,
          aviso_reembolso_horas: 72,
        });
        assert.equal(own.body._links.esperas?.href, '/eu/esperas');
        assert.equal(own.body._links.definir_cota, undefined, 'only admins get the definir_cota link');
        assert.equal(own.body._links.self?.href, `/cientistas/${scientist.id}`);

        const asAdmin = await call<ScientistView>(s.url, 'GET', `/cientistas/${scientist.id}`, {
          token: admin(),
        });
        assert.equal(asAdmin.body.cota?.usados_minutos, 10);
        assert.deepEqual(
          { href: asAdmin.body._links.definir_cota?.href, method: asAdmin.body._links.definir_cota?.method },
          { href: `/cientistas/${scientist.id}/cota`, method: 'PUT' },
        );
        assert.equal(
          asAdmin.body._links.esperas,
          undefined,
          'the admin is not this scientist: no link to their /eu/esperas',
        );

        for (const [who, token] of [
          ['another scientist', other.token],
          ['an anonymous reader', undefined],
        ] as const) {
          const seen = await call<ScientistView>(s.url, 'GET', `/cientistas/${scientist.id}`, {
            ...(token === undefined ? {} : { token }),
          });
          assert.equal(seen.status, 200, seen.text);
          assert.equal(seen.body.cota, undefined, `${who} sees no quota`);
          assert.equal(seen.body._links.definir_cota, undefined, `${who} gets no definir_cota`);
          assert.equal(seen.body._links.esperas, undefined, `${who} gets no esperas link`);
        }
        await assertInvariants();
      });

      test('when one scientist fires 20 parallel bookings of different slots with room for exactly 5, then exactly 5 are booked and 15 get 422 quota-exceeded saying nothing is left', async () => {
        const s = env();
        const scientist = await s.scientist('Maria Mitchell');
        assert.equal((await setQuota(scientist.id, 40)).status, 200);
        // 15 of the 40 minutes are already used by one booking of 3 slots: room for 5 more slots.
        const base = T0 + 7 * DAY;
        const first = await book(scientist.token, base, base + 3 * SLOT);
        assert.equal(first.status, 201, first.text);

        const slots = Array.from({ length: 20 }, (_, i) => base + (10 + i) * SLOT);
        const responses = await race<Booking & Problem>(
          s.url,
          slots.map((slot) => bookingRequest(scientist.token, seedIso(slot))),
        );
        assert.deepEqual(countByStatus(responses), { 201: 5, 422: 15 });
        for (const r of responses.filter((x) => x.status === 422)) {
          assert.match(String(r.headers['content-type']), /application\/problem\+json/);
          assert.deepEqual(
            {
              code: r.body.code,
              periodo: r.body.periodo,
              alocados_minutos: r.body.alocados_minutos,
              usados_minutos: r.body.usados_minutos,
              restantes_minutos: r.body.restantes_minutos,
              pedidos_minutos: r.body.pedidos_minutos,
            },
            {
              code: 'quota-exceeded',
              periodo: '2031-01',
              alocados_minutos: 40,
              usados_minutos: 40,
              restantes_minutos: 0,
              pedidos_minutos: 5,
            },
          );
          assert.ok(r.body.detail.length > 10, 'a useful detail');
        }
        const won = responses.filter((r) => r.status === 201).map((r) => r.body);
        assert.equal(new Set(won.map((b) => b.id)).size, 5);

        const rows = await s.database.db
          .selectFrom('agendamento_slots')
          .innerJoin('agendamentos', 'agendamentos.id', 'agendamento_slots.agendamento_id')
          .select(['agendamento_slots.slot_inicio_ms', 'agendamento_slots.conta_cota'])
          .where('agendamentos.cientista_id', '=', scientist.id)
          .where('agendamentos.status', '=', 'ativo')
          .execute();
        assert.equal(rows.length, 8, 'the first 3 slots and the 5 won');
        assert.ok(rows.every((r) => r.conta_cota === 1));
        const cota = await quotaOf(scientist.id, scientist.token);
        assert.deepEqual([cota.alocados_minutos, cota.usados_minutos, cota.restantes_minutos], [40, 40, 0]);
        await assertInvariants([first.body, ...won]);
      });

      test('when 20 parallel two-slot bookings race for room of 5 slots, then exactly 2 are booked: every slot counts 5 minutes', async () => {
        const s = env();
        const scientist = await s.scientist('Caroline Herschel');
        assert.equal((await setQuota(scientist.id, 25)).status, 200);
        const base = T0 + 8 * DAY;
        const responses = await race<Booking & Problem>(
          s.url,
          Array.from({ length: 20 }, (_, i) =>
            bookingRequest(scientist.token, seedIso(base + 3 * i * SLOT), seedIso(base + (3 * i + 2) * SLOT)),
          ),
        );
        assert.deepEqual(countByStatus(responses), { 201: 2, 422: 18 });
        for (const r of responses.filter((x) => x.status === 422)) {
          assert.equal(r.body.code, 'quota-exceeded');
          assert.deepEqual(
            [r.body.usados_minutos, r.body.restantes_minutos, r.body.pedidos_minutos],
            [20, 5, 10],
            JSON.stringify(r.body),
          );
        }
        // What is left (5 minutes) takes a single slot but not three.
        const three = await book(scientist.token, base + 100 * SLOT, base + 103 * SLOT);
        assertQuotaExceeded(three);
        assert.deepEqual(
          [three.body.restantes_minutos, three.body.pedidos_minutos, three.body.periodo],
          [5, 15, '2031-01'],
        );
        const one = await book(scientist.token, base + 100 * SLOT);
        assert.equal(one.status, 201, one.text);
        const cota = await quotaOf(scientist.id, scientist.token);
        assert.deepEqual([cota.usados_minutos, cota.restantes_minutos], [25, 0]);
        await assertInvariants([...responses.filter((r) => r.status === 201).map((r) => r.body), one.body]);
      });

      test("minutes count in the UTC month of each slot's start: a booking across the month's end draws on both, and ?periodo=YYYY-MM shows any month", async () => {
        const s = env();
        const scientist = await s.scientist('Vera Rubin');
        assert.equal((await setQuota(scientist.id, 10)).status, 200);
        const midnight = Date.UTC(2031, 1, 1); // 2031-02-01T00:00Z

        const a = await book(scientist.token, midnight - 3 * SLOT); // January 23:45
        assert.equal(a.status, 201, a.text);
        const across = await book(scientist.token, midnight - SLOT, midnight + SLOT); // Jan 23:55 + Feb 00:00
        assert.equal(across.status, 201, across.text);
        const feb = await book(scientist.token, midnight + 2 * SLOT); // February 00:10
        assert.equal(feb.status, 201, feb.text);

        const janFull = await book(scientist.token, midnight - 2 * SLOT);
        assertQuotaExceeded(janFull);
        assert.deepEqual(
          [
            janFull.body.periodo,
            janFull.body.alocados_minutos,
            janFull.body.usados_minutos,
            janFull.body.restantes_minutos,
          ],
          ['2031-01', 10, 10, 0],
        );
        const febFull = await book(scientist.token, midnight + 3 * SLOT);
        assertQuotaExceeded(febFull);
        assert.deepEqual([febFull.body.periodo, febFull.body.restantes_minutos], ['2031-02', 0]);

        // A booking whose slots fall in a full month and an empty one is refused for the full one.
        const march = Date.UTC(2031, 2, 1);
        const acrossMarch = await book(scientist.token, march - SLOT, march + SLOT);
        assertQuotaExceeded(acrossMarch);
        assert.deepEqual(
          [acrossMarch.body.periodo, acrossMarch.body.restantes_minutos, acrossMarch.body.pedidos_minutos],
          ['2031-02', 0, 5],
        );
        // March has an allocation of its own.
        const inMarch = await book(scientist.token, march + SLOT);
        assert.equal(inMarch.status, 201, inMarch.text);

        const current = await quotaOf(scientist.id, scientist.token);
        assert.deepEqual(
          [current.periodo, current.usados_minutos, current.restantes_minutos],
          ['2031-01', 10, 0],
          'without ?periodo the current month of the server clock',
        );
        const february = await quotaOf(scientist.id, scientist.token, '2031-02');
        assert.deepEqual(
          {
            periodo: february.periodo,
            inicio_utc: february.inicio_utc,
            fim_utc: february.fim_utc,
            alocados_minutos: february.alocados_minutos,
            usados_minutos: february.usados_minutos,
            restantes_minutos: february.restantes_minutos,
          },
          {
            periodo: '2031-02',
            inicio_utc: '2031-02-01T00:00:00.000Z',
            fim_utc: '2031-03-01T00:00:00.000Z',
            alocados_minutos: 10,
            usados_minutos: 10,
            restantes_minutos: 0,
          },
        );
        assert.equal((await quotaOf(scientist.id, scientist.token, '2031-03')).usados_minutos, 5);
        const april = await quotaOf(scientist.id, admin(), '2031-04');
        assert.deepEqual([april.usados_minutos, april.restantes_minutos], [0, 10]);
        for (const bad of ['2031-13', '2031-00', '2031-1', 'abc', '2031-02-01', '', '20310-01']) {
          const res = await call<Problem>(
            s.url,
            'GET',
            `/cientistas/${scientist.id}?periodo=${encodeURIComponent(bad)}`,
            {
              token: scientist.token,
            },
          );
          assert.equal(res.status, 400, `periodo=${bad}: ${res.text}`);
          assert.match(String(res.headers['content-type']), /application\/problem\+json/);
        }

        // Cancelling the booking across the month's end long before it refunds a slot in each month.
        const cancelled = await cancel(scientist.token, across.body.id);
        assert.equal(cancelled.status, 200, cancelled.text);
        assert.equal(cancelled.body.reembolso_minutos, 10);
        assert.equal((await quotaOf(scientist.id, scientist.token)).restantes_minutos, 5);
        assert.equal((await quotaOf(scientist.id, scientist.token, '2031-02')).restantes_minutos, 5);
        const again = await book(scientist.token, midnight - 2 * SLOT);
        assert.equal(again.status, 201, again.text);
        await assertInvariants([a.body, feb.body, inMarch.body, again.body]);
      });

      // Moves the clock forward: keep it last.
      test('when a booking is cancelled at least 72 h ahead, then its minutes are refunded; later, on the controlled clock, they stay spent', async () => {
        const s = env();
        const scientist = await s.scientist('Jocelyn Bell');
        const start = clock.now() + 10 * DAY;
        const early = await book(scientist.token, start, start + 2 * SLOT);
        const boundary = await book(scientist.token, start + HOUR);
        const late = await book(scientist.token, start + 2 * HOUR);
        for (const r of [early, boundary, late]) assert.equal(r.status, 201, r.text);
        const before = await quotaOf(scientist.id, scientist.token);
        assert.deepEqual([before.usados_minutos, before.restantes_minutos], [20, DEFAULT_MINUTES - 20]);

        // Ten days ahead: refunded.
        const first = await cancel(scientist.token, early.body.id);
        assert.equal(first.status, 200, first.text);
        assert.equal(first.body.status, 'cancelado');
        assert.equal(first.body.reembolso_minutos, 10);
        const afterFirst = await quotaOf(scientist.id, scientist.token);
        assert.deepEqual(
          [afterFirst.usados_minutos, afterFirst.restantes_minutos],
          [10, DEFAULT_MINUTES - 10],
        );

        // Exactly 72 h ahead: still refunded ("at least").
        clock.set(start + HOUR - NOTICE_MS);
        const second = await cancel(scientist.token, boundary.body.id);
        assert.equal(second.status, 200, second.text);
        assert.equal(second.body.reembolso_minutos, 5);
        assert.equal((await quotaOf(scientist.id, scientist.token)).usados_minutos, 5);

        // One millisecond under 72 h: not refunded, the minutes stay used.
        clock.set(start + 2 * HOUR - NOTICE_MS + 1);
        const third = await cancel(scientist.token, late.body.id);
        assert.equal(third.status, 200, third.text);
        assert.equal(third.body.status, 'cancelado');
        assert.equal(third.body.reembolso_minutos, 0);
        assert.equal((await quotaOf(scientist.id, scientist.token)).usados_minutos, 5);

        // Booked and cancelled inside the notice: never refunded.
        const soon = await book(scientist.token, clock.now() + DAY - (clock.now() % SLOT));
        assert.equal(soon.status, 201, soon.text);
        const fourth = await cancel(scientist.token, soon.body.id);
        assert.equal(fourth.body.reembolso_minutos, 0);
        const final = await quotaOf(scientist.id, scientist.token);
        assert.deepEqual([final.usados_minutos, final.restantes_minutos], [10, DEFAULT_MINUTES - 10]);

        // The booking view outside the cancellation answer carries no reembolso_minutos.
        const view = await call<Booking>(s.url, 'GET', `/agendamentos/${early.body.id}`, {
          token: scientist.token,
        });
        assert.equal(view.body.reembolso_minutos, undefined);

        const flags = await s.database.db
          .selectFrom('agendamento_slots')
          .select(['agendamento_id', 'conta_cota'])
          .where('agendamento_id', 'in', [early.body.id, boundary.body.id, late.body.id, soon.body.id])
          .execute();
        const flagsOf = (id: number) => flags.filter((f) => f.agendamento_id === id).map((f) => f.conta_cota);
        assert.deepEqual(flagsOf(early.body.id), [0, 0]);
        assert.deepEqual(flagsOf(boundary.body.id), [0]);
        assert.deepEqual(flagsOf(late.body.id), [1]);
        assert.deepEqual(flagsOf(soon.body.id), [1]);

        const refunds = new Map(
          (await auditTrailOverHttp(s.url, admin()))
            .filter((r) => r.event_type === 'AGENDAMENTO_CANCELADO')
            .map((r) => [r.details.agendamento_id, r.details.reembolso_minutos]),
        );
        assert.deepEqual(
          [early, boundary, late, soon].map((b) => refunds.get(b.body.id)),
          [10, 5, 0, 0],
          'AGENDAMENTO_CANCELADO details carry reembolso_minutos',
        );
        await assertInvariants();
      });
    });
  }
});
