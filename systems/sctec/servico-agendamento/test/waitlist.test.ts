/**
 * The waitlist with hand-off (issue 9) through real HTTP on both engines, on a controlled clock:
 * the order of a slot's list is the order the server decides under concurrent joins, a freed slot
 * is held for the first waiter only, holds expire down the list, and every step is in the audit
 * chain. Races really race (all requests released at once) and end with invariant checks over the
 * database and the audit trail.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { call, countByStatus, ENGINES, race, type RaceRequest } from '@dslab/testing';
import { bookingRequest } from '../../test/harness.js';
import { auditTrailOverHttp } from '../../test/invariants.js';
import { verifyReceipt } from '../src/adapters/receipts.js';
import {
  bookSlot,
  DAY,
  filaPath,
  HOLD,
  HOUR,
  seedIso,
  SLOT,
  useCoordinator,
  useFairShareScheduler,
  wireIso,
  type Booking,
  type Link,
  type Problem,
} from './fair-share-support.js';

interface Espera {
  id: number;
  telescopio_id: string;
  horario_inicio_utc: string;
  horario_fim_utc: string;
  cientista_id: number;
  status: 'aguardando' | 'oferecida' | 'aceita' | 'expirada' | 'saiu';
  posicao: number | null;
  entrou_em_utc: string;
  oferta_expira_em_utc: string | null;
  agendamento_id: number | null;
  _links: Record<string, Link | undefined>;
}
/** Any answer of these routes, loosely: a booking, a waitlist entry or a problem. */
type Answer = Omit<Booking, 'status'> &
  Omit<Problem, 'status' | 'oferta_expira_em_utc'> & {
    status: string | number;
    posicao?: number | null;
    agendamento_id?: number | null;
    oferta_expira_em_utc?: string | null;
  };
/** `_links.entrar_na_fila` of a 409: an array of links. */
const filaLinks = (body: unknown): Link[] | undefined =>
  (body as { _links?: { entrar_na_fila?: Link[] } } | undefined)?._links?.entrar_na_fila;
type Person = { id: number; token: string; email: string };

describe('waitlist with hand-off', () => {
  const coordinator = useCoordinator();

  for (const engine of ENGINES) {
    describe(`on ${engine}`, () => {
      const { clock, env, admin, jwks, slotAhead, assertInvariants } = useFairShareScheduler(engine, {
        coordinator,
        jwtTtlSeconds: 60 * 24 * 3600,
        refundNoticeMs: 72 * HOUR,
        readJwks: true,
      });

      const book = (token: string, startMs: number, endMs?: number) =>
        bookSlot<Answer>(env().url, token, startMs, { endMs });
      const post = (token: string | undefined, path: string) =>
        call<Answer>(env().url, 'POST', path, token === undefined ? {} : { token });
      const join = (token: string | undefined, slotMs: number) => post(token, filaPath(slotMs));
      const entry = async (id: number, token: string) => {
        const res = await call<Espera>(env().url, 'GET', `/esperas/${id}`, { token });
        assert.equal(res.status, 200, `GET /esperas/${id}: ${res.text}`);
        return res.body;
      };
      const statusOf = async (id: number) => {
        const row = await env()
          .database.db.selectFrom('esperas')
          .select('status')
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        return row.status;
      };
      /** ESPERA_* entries of one slot, in audit order, as [event, espera_id]. */
      const waitlistAudit = async (slotMs: number) =>
        (await auditTrailOverHttp(env().url, admin()))
          .filter(
            (r) =>
              r.event_type.startsWith('ESPERA_') &&
              Date.parse(String(r.details.horario_inicio_utc)) === slotMs,
          )
          .map((r) => ({ event: r.event_type, id: r.details.espera_id, record: r }));
      const assertConflictLink = (res: { body: unknown; text: string }, slotMs: number) => {
        const links = filaLinks(res.body);
        assert.ok(Array.isArray(links), `_links.entrar_na_fila is an array: ${res.text}`);
        assert.equal(links.length, 1, res.text);
        const link = links[0];
        assert.ok(link !== undefined);
        assert.equal(link.method, 'POST');
        assert.ok((link.title ?? '').length > 0, 'the link has a title');
        assert.equal(decodeURIComponent(link.href), decodeURIComponent(filaPath(slotMs)));
        return link.href;
      };
      /** An owner's booking of `slotMs` and `n` waiters who joined concurrently, sorted by entry id. */
      const queue = async (slotMs: number, n: number) => {
        const s = env();
        const owner = await s.scientist('Dona');
        const booking = await book(owner.token, slotMs);
        assert.equal(booking.status, 201, booking.text);
        const people = await Promise.all(Array.from({ length: n }, (_, i) => s.scientist(`Espera ${i}`)));
        const joins = await race<Espera>(
          s.url,
          people.map((p) => ({
            method: 'POST',
            path: filaPath(slotMs),
            headers: { authorization: `Bearer ${p.token}` },
          })),
        );
        assert.deepEqual(countByStatus(joins), { 201: n }, JSON.stringify(joins.map((j) => j.body)));
        const waiters = joins
          .map((j) => ({ person: people[j.index] as Person, id: j.body.id }))
          .sort((a, b) => a.id - b.id);
        return { owner, booking: booking.body, waiters };
      };

      /** `queue` with one waiter: most hand-off tests need no more. */
      const queueOfOne = async (slotMs: number) => {
        const { owner, booking, waiters } = await queue(slotMs, 1);
        const [w1] = waiters;
        assert.ok(w1);
        return { owner, booking, w1 };
      };
      /** The owner cancels, freeing the slot for its first waiter; answers the instant the hold runs from. */
      const release = async (owner: Person, booking: { id: number }) => {
        const cancelledAt = clock.now();
        const cancelled = await post(owner.token, `/agendamentos/${booking.id}/cancelamento`);
        assert.equal(cancelled.status, 200, cancelled.text);
        return cancelledAt;
      };

      test('when N scientists lose a slot and join its waitlist concurrently, then their positions 1..N follow entry id order and the audit order of ESPERA_ENTROU', async () => {
        const s = env();
        const slot = slotAhead(3);
        const owner = await s.scientist('Dona do horário');
        const booked = await book(owner.token, slot);
        assert.equal(booked.status, 201, booked.text);

        const people = await Promise.all(Array.from({ length: 10 }, (_, i) => s.scientist(`Fila ${i}`)));
        const attempts = await race<Problem>(
          s.url,
          people.map((p) => bookingRequest(p.token, seedIso(slot))),
        );
        assert.deepEqual(countByStatus(attempts), { 409: 10 });
        const hrefs = attempts.map((a) => {
          assert.equal(a.body.code, 'slot-taken');
          assert.equal(typeof a.body.recibo, 'string', 'every 409 of POST /agendamentos carries a receipt');
          return assertConflictLink({ body: a.body, text: JSON.stringify(a.body) }, slot);
        });

        // Each loser follows the link its own 409 carried, all at once.
        const joins = await race<Espera>(
          s.url,
          attempts.map((a, i) => ({
            method: 'POST' as const,
            path: hrefs[i] ?? '',
            headers: { authorization: `Bearer ${people[a.index]?.token ?? ''}` },
          })),
        );
        assert.deepEqual(countByStatus(joins), { 201: 10 }, JSON.stringify(joins.map((j) => j.body)));
        for (const j of joins) {
          assert.equal(j.headers.location, `/esperas/${j.body.id}`);
          assert.equal(j.body._links.self?.href, `/esperas/${j.body.id}`);
          assert.equal(j.body.status, 'aguardando');
          assert.equal(j.body.cientista_id, people[attempts[j.index]?.index ?? -1]?.id);
        }
        const ids = joins.map((j) => j.body.id).sort((a, b) => a - b);
        assert.equal(new Set(ids).size, 10);

        const views = await Promise.all(
          joins.map((j) => entry(j.body.id, people[attempts[j.index]?.index ?? -1]?.token ?? '')),
        );
        const byId = views.sort((a, b) => a.id - b.id);
        assert.deepEqual(
          byId.map((v) => v.posicao),
          Array.from({ length: 10 }, (_, i) => i + 1),
          'positions are a permutation of 1..N in entry id order',
        );
        for (const v of byId) {
          assert.equal(v.telescopio_id, 'Hubble-Acad');
          assert.equal(v.horario_inicio_utc, wireIso(slot));
          assert.equal(v.horario_fim_utc, wireIso(slot + SLOT));
          assert.equal(v.oferta_expira_em_utc, null);
          assert.equal(v.agendamento_id, null);
          assert.equal(v._links.confirmar, undefined, 'nothing to confirm while waiting');
          assert.deepEqual(
            { href: v._links.sair?.href, method: v._links.sair?.method },
            { href: `/esperas/${v.id}/saida`, method: 'POST' },
          );
        }

        const entered = (await waitlistAudit(slot)).filter((e) => e.event === 'ESPERA_ENTROU');
        assert.deepEqual(
          entered.map((e) => e.id),
          ids,
          'the audit records the joins in the order of the entry ids',
        );
        for (const e of entered) {
          const v = byId.find((x) => x.id === e.id);
          assert.equal(e.record.details.cientista_id, v?.cientista_id);
          assert.equal(e.record.details.telescopio_id, 'Hubble-Acad');
        }

        const mine = await call<{ _links: Record<string, Link>; _embedded: { esperas: Espera[] } }>(
          s.url,
          'GET',
          '/eu/esperas',
          { token: people[0]?.token ?? '' },
        );
        assert.equal(mine.status, 200, mine.text);
        assert.equal(mine.body._links.self?.href, '/eu/esperas');
        assert.deepEqual(
          mine.body._embedded.esperas.map((e) => [e.cientista_id, e.status]),
          [[people[0]?.id, 'aguardando']],
        );
        await assertInvariants([booked.body]);
      });

      test('when the booking is cancelled, then the first waiter alone holds the slot, holds expire down the list on the clock, a leaver hands on, and the confirmation books it — every step audited', async () => {
        const s = env();
        const slot = slotAhead(4);
        const { owner, booking, waiters } = await queue(slot, 4);
        const [w1, w2, w3, w4] = waiters;
        assert.ok(w1 && w2 && w3 && w4);
        const outsider = await s.scientist('De fora');

        // The owner cancels: the first waiter by id is offered the slot for HOLD.
        const cancelledAt = await release(owner, booking);
        const expiry1 = cancelledAt + HOLD;
        const offered1 = await entry(w1.id, w1.person.token);
        assert.equal(offered1.status, 'oferecida');
        assert.equal(offered1.oferta_expira_em_utc, wireIso(expiry1));
        assert.equal(offered1.posicao, 1);
        assert.deepEqual(
          { href: offered1._links.confirmar?.href, method: offered1._links.confirmar?.method },
          { href: `/esperas/${w1.id}/confirmacao`, method: 'POST' },
        );
        assert.ok(offered1._links.sair, 'an offered entry may still be left');
        const asAdmin = await entry(w1.id, admin());
        assert.equal(asAdmin._links.confirmar, undefined, 'confirmar only for the waiter it is offered to');
        const waiting2 = await entry(w2.id, w2.person.token);
        assert.deepEqual(
          [waiting2.status, waiting2.posicao, waiting2._links.confirmar],
          ['aguardando', 2, undefined],
        );
        assert.equal((await call(s.url, 'GET', `/esperas/${w1.id}`, { token: w2.person.token })).status, 403);

        // Nobody else may book the held slot: not a waiter further down, not an outsider, not the former owner.
        for (const [who, token] of [
          ['the second waiter', w2.person.token],
          ['an outsider', outsider.token],
          ['the former owner', owner.token],
        ] as const) {
          const res = await book(token, slot);
          assert.equal(res.status, 409, `${who}: ${res.text}`);
          assert.equal(res.body.code, 'slot-held', `${who}: ${res.text}`);
          assert.equal(res.body.oferta_expira_em_utc, wireIso(expiry1));
          assert.equal(typeof res.body.recibo, 'string');
          const { claims } = await verifyReceipt(res.body.recibo ?? '', jwks());
          assert.deepEqual([claims.resultado, claims.motivo], ['recusado', 'slot-held']);
          assertConflictLink(res, slot);
        }
        const stolen = await post(w2.person.token, `/esperas/${w1.id}/confirmacao`);
        assert.ok(
          [403, 409].includes(stolen.status),
          `someone else's hold cannot be confirmed: ${stolen.text}`,
        );

        // The hold ends exactly at its expiry: the second waiter gets it, the first can no longer confirm.
        clock.set(expiry1);
        const expired1 = await entry(w1.id, w1.person.token);
        assert.deepEqual(
          [expired1.status, expired1.posicao, expired1._links.confirmar, expired1._links.sair],
          ['expirada', null, undefined, undefined],
        );
        const expiry2 = expiry1 + HOLD;
        const offered2 = await entry(w2.id, w2.person.token);
        assert.deepEqual(
          [offered2.status, offered2.oferta_expira_em_utc, offered2.posicao],
          ['oferecida', wireIso(expiry2), 1],
        );
        assert.ok(offered2._links.confirmar);
        const late = await post(w1.person.token, `/esperas/${w1.id}/confirmacao`);
        assert.equal(late.status, 409, late.text);
        assert.equal(late.body.code, 'hold-expired');

        // Well past the second expiry: the third waiter's hold runs from now.
        const now3 = expiry2 + 30_000;
        clock.set(now3);
        const offered3 = await entry(w3.id, w3.person.token);
        assert.deepEqual(
          [offered3.status, offered3.oferta_expira_em_utc],
          ['oferecida', wireIso(now3 + HOLD)],
        );
        assert.equal((await entry(w2.id, w2.person.token)).status, 'expirada');
        const w2Late = await post(w2.person.token, `/esperas/${w2.id}/confirmacao`);
        assert.deepEqual([w2Late.status, w2Late.body.code], [409, 'hold-expired']);

        // The third waiter leaves while offered: the hold passes to the fourth at once.
        const left = await post(w3.person.token, `/esperas/${w3.id}/saida`);
        assert.equal(left.status, 200, left.text);
        assert.deepEqual([left.body.status, left.body.posicao], ['saiu', null]);
        const leftAgain = await post(w3.person.token, `/esperas/${w3.id}/saida`);
        assert.deepEqual([leftAgain.status, leftAgain.body.code], [409, 'conflict']);
        const offered4 = await entry(w4.id, w4.person.token);
        assert.deepEqual(
          [offered4.status, offered4.oferta_expira_em_utc],
          ['oferecida', wireIso(now3 + HOLD)],
        );

        // The fourth confirms: a booking exactly like POST /agendamentos, from the hold.
        const confirmed = await post(w4.person.token, offered4._links.confirmar?.href ?? '');
        assert.equal(confirmed.status, 201, confirmed.text);
        assert.equal(confirmed.headers.location, `/agendamentos/${confirmed.body.id}`);
        assert.deepEqual(
          [confirmed.body.cientista_id, confirmed.body.horario_inicio_utc, confirmed.body.status],
          [w4.person.id, wireIso(slot), 'ativo'],
        );
        const { claims } = await verifyReceipt(confirmed.body.recibo ?? '', jwks());
        assert.deepEqual(
          [claims.resultado, claims.agendamento_id, claims.espera_id, claims.sub],
          ['concedido', confirmed.body.id, w4.id, String(w4.person.id)],
        );
        const accepted = await entry(w4.id, w4.person.token);
        assert.deepEqual(
          [accepted.status, accepted.agendamento_id, accepted.posicao, accepted._links.confirmar],
          ['aceita', confirmed.body.id, null, undefined],
        );
        assert.equal(accepted._links.agendamento?.href, `/agendamentos/${confirmed.body.id}`);
        const again = await post(w4.person.token, `/esperas/${w4.id}/confirmacao`);
        assert.deepEqual([again.status, again.body.code], [409, 'hold-expired']);

        // The audit tells the whole story in order.
        const story = await waitlistAudit(slot);
        assert.deepEqual(
          story.map((e) => [e.event, e.id]),
          [
            ...waiters.map((w) => ['ESPERA_ENTROU', w.id]),
            ['ESPERA_OFERECIDA', w1.id],
            ['ESPERA_EXPIRADA', w1.id],
            ['ESPERA_OFERECIDA', w2.id],
            ['ESPERA_EXPIRADA', w2.id],
            ['ESPERA_OFERECIDA', w3.id],
            ['ESPERA_SAIU', w3.id],
            ['ESPERA_OFERECIDA', w4.id],
            ['ESPERA_ACEITA', w4.id],
          ],
        );
        const offers = story.filter((e) => e.event === 'ESPERA_OFERECIDA');
        assert.deepEqual(
          offers.map((e) => Date.parse(String(e.record.details.oferta_expira_em_utc))),
          [expiry1, expiry2, now3 + HOLD, now3 + HOLD],
        );
        assert.equal(
          story.find((e) => e.event === 'ESPERA_ACEITA')?.record.details.agendamento_id,
          confirmed.body.id,
        );
        const trail = await auditTrailOverHttp(s.url, admin());
        const cancelSeq = trail.find(
          (r) => r.event_type === 'AGENDAMENTO_CANCELADO' && r.details.agendamento_id === booking.id,
        )?.seq;
        assert.ok(
          cancelSeq !== undefined && cancelSeq < (offers[0]?.record.seq ?? 0),
          'the cancellation precedes the first offer',
        );
        const created = trail.find(
          (r) => r.event_type === 'AGENDAMENTO_CRIADO' && r.details.agendamento_id === confirmed.body.id,
        );
        assert.equal(
          created?.details.espera_id,
          w4.id,
          'AGENDAMENTO_CRIADO names the waitlist entry it came from',
        );
        assert.deepEqual([claims.audit_seq, claims.audit_hash], [created.seq, created.hash]);
        await assertInvariants([confirmed.body]);
      });

      test("when the last waiter's hold expires, then the slot is free for anyone, and the audit records the expiry before the new booking", async () => {
        const s = env();
        const slot = slotAhead(5);
        const { owner, booking, w1 } = await queueOfOne(slot);
        const outsider = await s.scientist('Quem passa');
        const cancelledAt = await release(owner, booking);
        const held = await book(outsider.token, slot);
        assert.deepEqual([held.status, held.body.code], [409, 'slot-held']);

        clock.set(cancelledAt + HOLD);
        // No read first: the booking itself must see that the hold is over.
        const free = await book(outsider.token, slot);
        assert.equal(free.status, 201, free.text);
        assert.equal((await entry(w1.id, w1.person.token)).status, 'expirada');
        const late = await post(w1.person.token, `/esperas/${w1.id}/confirmacao`);
        assert.deepEqual([late.status, late.body.code], [409, 'hold-expired']);

        const trail = await auditTrailOverHttp(s.url, admin());
        const expiredSeq = trail.find(
          (r) => r.event_type === 'ESPERA_EXPIRADA' && r.details.espera_id === w1.id,
        )?.seq;
        const createdSeq = trail.find(
          (r) => r.event_type === 'AGENDAMENTO_CRIADO' && r.details.agendamento_id === free.body.id,
        )?.seq;
        assert.ok(
          expiredSeq !== undefined && createdSeq !== undefined && expiredSeq < createdSeq,
          `${expiredSeq} < ${createdSeq}`,
        );
        await assertInvariants([free.body]);
      });

      test('when a hold expires and nobody asks, then the background sweep hands it on', async () => {
        const slot = slotAhead(6);
        const { owner, booking, waiters } = await queue(slot, 2);
        const [w1, w2] = waiters;
        assert.ok(w1 && w2);
        const cancelledAt = await release(owner, booking);
        assert.equal(await statusOf(w1.id), 'oferecida');
        clock.set(cancelledAt + HOLD);
        // Only the database is read here, so nothing but the sweep can hand the hold on.
        const deadline = performance.now() + 15_000;
        while ((await statusOf(w2.id)) !== 'oferecida') {
          assert.ok(performance.now() < deadline, 'the sweep handed the expired hold on within 15 s');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal(await statusOf(w1.id), 'expirada');
        await assertInvariants();
      });

      test("when the holder's confirmation races many direct bookings of the held slot, then only the holder wins", async () => {
        const s = env();
        const slot = slotAhead(7);
        const { owner, booking, w1 } = await queueOfOne(slot);
        const others = await Promise.all(Array.from({ length: 20 }, (_, i) => s.scientist(`Apressado ${i}`)));
        await release(owner, booking);
        assert.equal((await entry(w1.id, w1.person.token)).status, 'oferecida');

        const requests: RaceRequest[] = [
          ...others.map((o) => bookingRequest(o.token, seedIso(slot))),
          {
            method: 'POST',
            path: `/esperas/${w1.id}/confirmacao`,
            headers: { authorization: `Bearer ${w1.person.token}` },
          },
          bookingRequest(owner.token, seedIso(slot)),
        ];
        const responses = await race<Answer>(s.url, requests);
        const holder = responses[others.length];
        assert.equal(
          holder?.status,
          201,
          `the holder's confirmation: ${holder?.status} ${holder?.body.code} "${holder?.body.detail}"; the others: ${JSON.stringify(
            countByStatus(
              responses.filter((r) => r !== holder).map((r) => ({ status: Number(`${r.status}`) })),
            ),
          )} ${[...new Set(responses.filter((r) => r !== holder).map((r) => r.body.code))].join(', ')}`,
        );
        assert.equal(holder.body.cientista_id, w1.person.id);
        const rest = responses.filter((r) => r !== holder);
        assert.deepEqual(
          countByStatus(rest),
          { 409: rest.length },
          JSON.stringify(rest.map((r) => r.body.code)),
        );
        for (const r of rest) assert.ok(['slot-held', 'slot-taken'].includes(r.body.code), r.body.code);
        const active = await s.database.db
          .selectFrom('agendamento_slots')
          .innerJoin('agendamentos', 'agendamentos.id', 'agendamento_slots.agendamento_id')
          .select(['agendamentos.id', 'agendamentos.cientista_id'])
          .where('agendamento_slots.slot_inicio_ms', '=', slot)
          .where('agendamento_slots.ativo', '=', 1)
          .execute();
        assert.deepEqual(active, [{ id: holder.body.id, cientista_id: w1.person.id }]);
        await assertInvariants([holder.body]);
      });

      test('when an expired holder confirms while others race to book, then the confirmation is refused and exactly one other wins', async () => {
        const s = env();
        const slot = slotAhead(8);
        const { owner, booking, w1 } = await queueOfOne(slot);
        const others = await Promise.all(Array.from({ length: 15 }, (_, i) => s.scientist(`Atento ${i}`)));
        const cancelledAt = await release(owner, booking);
        clock.set(cancelledAt + HOLD + 1);
        const responses = await race<Answer>(s.url, [
          {
            method: 'POST',
            path: `/esperas/${w1.id}/confirmacao`,
            headers: { authorization: `Bearer ${w1.person.token}` },
          },
          ...others.map((o) => bookingRequest(o.token, seedIso(slot))),
        ]);
        assert.deepEqual([responses[0]?.status, responses[0]?.body.code], [409, 'hold-expired']);
        const rest = responses.slice(1);
        assert.deepEqual(countByStatus(rest), { 201: 1, 409: 14 });
        for (const r of rest.filter((x) => x.status === 409)) assert.equal(r.body.code, 'slot-taken');
        await assertInvariants(rest.filter((r) => r.status === 201).map((r) => r.body));
      });

      test('when a confirmation is retried with its Idempotency-Key, then the retry gets the same 201 and books nothing more', async () => {
        const s = env();
        const slot = slotAhead(12);
        const { owner, booking, w1 } = await queueOfOne(slot);
        await release(owner, booking);
        const confirm = () =>
          call<Booking & Problem>(s.url, 'POST', `/esperas/${w1.id}/confirmacao`, {
            token: w1.person.token,
            headers: { 'idempotency-key': `confirma-${w1.id}` },
          });
        const first = await confirm();
        assert.equal(first.status, 201, first.text);
        const again = await confirm();
        assert.equal(again.status, 201, again.text);
        assert.equal(again.headers['idempotent-replayed'], 'true');
        assert.deepEqual(again.body, first.body, 'the same booking and the same receipt');
        const other = await call<Problem>(s.url, 'POST', `/esperas/${w1.id}/confirmacao`, {
          token: w1.person.token,
          headers: { 'idempotency-key': `confirma-outra-${w1.id}` },
        });
        assert.deepEqual(
          [other.status, other.body.code],
          [409, 'hold-expired'],
          'a new key is a new decision',
        );
        await assertInvariants([first.body]);
      });

      test('when a booking of several slots is refused, then its 409 links the waitlist of each contested slot only', async () => {
        const s = env();
        const a = await s.scientist('A');
        const b = await s.scientist('B');
        const base = slotAhead(9);
        assert.equal((await book(a.token, base + SLOT, base + 3 * SLOT)).status, 201);
        assert.equal((await book(a.token, base + 4 * SLOT)).status, 201);
        const refused = await book(b.token, base, base + 6 * SLOT);
        assert.equal(refused.status, 409, refused.text);
        assert.equal(typeof refused.body.recibo, 'string');
        const links = filaLinks(refused.body) ?? [];
        assert.deepEqual(
          links.map((l) => decodeURIComponent(l.href)).sort(),
          [base + SLOT, base + 2 * SLOT, base + 4 * SLOT].map((m) => decodeURIComponent(filaPath(m))).sort(),
        );
        assert.ok(links.every((l) => l.method === 'POST'));
        const joined = await post(b.token, links[0]?.href ?? '');
        assert.equal(joined.status, 201, joined.text);
        await assertInvariants();
      });

      test('joining is refused with the right problem: twice, a free, own or started slot, bad instants, unknown telescope, no token; entries are private', async () => {
        const s = env();
        const owner = await s.scientist('Dono');
        const waiter = await s.scientist('Esperando');
        const stranger = await s.scientist('Curioso');
        const slot = slotAhead(10);
        assert.equal((await book(owner.token, slot)).status, 201);
        const first = await join(waiter.token, slot);
        assert.equal(first.status, 201, first.text);

        const twice = await join(waiter.token, slot);
        assert.deepEqual([twice.status, twice.body.code], [409, 'already-waiting'], twice.text);
        assert.ok(JSON.stringify(twice.body.espera).includes(`/esperas/${first.body.id}`), twice.text);

        const refusals: [
          string,
          Promise<{ status: number; body: Answer; text: string; headers: Record<string, unknown> }>,
          number,
          string,
        ][] = [
          ['a free slot', join(waiter.token, slotAhead(10, 5)), 409, 'conflict'],
          ['your own booking', join(owner.token, slot), 409, 'conflict'],
          ['a started slot', join(waiter.token, Math.floor(clock.now() / SLOT) * SLOT), 409, 'conflict'],
          ['a past slot', join(waiter.token, Math.floor(clock.now() / SLOT) * SLOT - DAY), 409, 'conflict'],
          ['no token', join(undefined, slot), 401, 'unauthenticated'],
          ['an unknown telescope', post(stranger.token, filaPath(slot, 'James-Webb')), 404, 'not-found'],
        ];
        for (const bad of [
          'amanha',
          '2031-01-13T06:02:00Z',
          '2031-01-13T06:00:00-03:00',
          '2031-02-30T06:00:00Z',
        ]) {
          refusals.push([
            `the instant ${bad}`,
            post(stranger.token, `/telescopios/Hubble-Acad/slots/${encodeURIComponent(bad)}/fila`),
            400,
            'validation-failed',
          ]);
        }
        for (const [name, pending, status, code] of refusals) {
          const res = await pending;
          assert.equal(res.status, status, `${name}: ${res.text}`);
          assert.match(String(res.headers['content-type']), /application\/problem\+json/, name);
          if (status !== 400) assert.equal(res.body.code, code, `${name}: ${res.text}`);
          assert.ok(res.body.detail.length > 5, `${name}: a clear detail`);
        }

        assert.equal(
          (await call(s.url, 'GET', `/esperas/${first.body.id}`, { token: stranger.token })).status,
          403,
        );
        assert.equal((await call(s.url, 'GET', `/esperas/${first.body.id}`)).status, 401);
        assert.equal((await call(s.url, 'GET', '/esperas/99999999', { token: admin() })).status, 404);
        assert.equal((await call(s.url, 'GET', '/esperas/abc', { token: admin() })).status, 400);
        assert.equal((await call(s.url, 'GET', '/eu/esperas')).status, 401);
        assert.equal((await post(stranger.token, `/esperas/${first.body.id}/saida`)).status, 403);
        assert.equal(
          (await post(stranger.token, `/esperas/${first.body.id}/confirmacao`)).status === 201,
          false,
        );
        assert.equal((await entry(first.body.id, admin())).cientista_id, waiter.id);
        // An admin may take someone off a list.
        const removed = await post(admin(), `/esperas/${first.body.id}/saida`);
        assert.deepEqual([removed.status, removed.body.status], [200, 'saiu']);
        const rejoined = await join(waiter.token, slot);
        assert.equal(rejoined.status, 201, 'after leaving one may join again, at the end');
        await assertInvariants();
      });

      test('when the holder has no quota left, then confirming the hold is refused with 422 quota-exceeded', async () => {
        const s = env();
        const slot = slotAhead(11);
        const { owner, booking, w1 } = await queueOfOne(slot);
        const zero = await call(s.url, 'PUT', `/cientistas/${w1.person.id}/cota`, {
          token: admin(),
          body: { minutos: 0 },
        });
        assert.equal(zero.status, 200, zero.text);
        await release(owner, booking);
        const confirmed = await post(w1.person.token, `/esperas/${w1.id}/confirmacao`);
        assert.equal(confirmed.status, 422, confirmed.text);
        assert.equal(confirmed.body.code, 'quota-exceeded');
        await assertInvariants();
      });
    });
  }
});
