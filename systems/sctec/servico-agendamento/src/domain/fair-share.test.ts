import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fits, parsePeriod, periodOf, refundsOnCancel, slotsByPeriod, standing } from './quota.js';
import { canConfirm, canLeave, holdEnd, holdIsDue, holdStands, joinRefusal } from './waitlist.js';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

describe('quota periods (calendar month, UTC)', () => {
  test('when an instant is given, then its month is the period, end exclusive, across years and leap Februaries', () => {
    assert.deepEqual(periodOf(at('2026-12-31T23:55:00Z')), {
      id: '2026-12',
      startMs: at('2026-12-01T00:00:00Z'),
      endMs: at('2027-01-01T00:00:00Z'),
    });
    assert.equal(periodOf(at('2027-01-01T00:00:00Z')).id, '2027-01');
    const february = periodOf(at('2028-02-29T12:00:00Z'));
    assert.equal(february.endMs - february.startMs, 29 * 24 * HOUR);
  });

  test('when a period is parsed, then only YYYY-MM months of 2000–2999 are accepted', () => {
    const parsed = parsePeriod('2026-02');
    assert.ok(parsed.ok);
    assert.equal(parsed.period.startMs, at('2026-02-01T00:00:00Z'));
    for (const bad of ['2026-13', '2026-00', '26-01', '2026-1', '1999-12', '3000-01', '2026-01-01', ''])
      assert.equal(parsePeriod(bad).ok, false, bad);
  });

  test('when a booking crosses midnight at the end of a month, then its slots count in both periods', () => {
    const slots = [at('2026-12-31T23:55:00Z'), at('2027-01-01T00:00:00Z'), at('2027-01-01T00:05:00Z')];
    assert.deepEqual(
      slotsByPeriod(slots).map((g) => [g.period.id, g.slots.length]),
      [
        ['2026-12', 1],
        ['2027-01', 2],
      ],
    );
  });

  test('when the allocation is nearly used, then only what remains fits; an allocation lowered below use remains 0', () => {
    const period = periodOf(at('2026-12-05T00:00:00Z'));
    const current = standing(period, 30, 5);
    assert.deepEqual(current, {
      periodo: '2026-12',
      alocados_minutos: 30,
      usados_minutos: 25,
      restantes_minutos: 5,
    });
    assert.equal(fits(current, 1), true);
    assert.equal(fits(current, 2), false);
    assert.equal(standing(period, 10, 5).restantes_minutos, 0);
  });

  test('when a booking is cancelled, then it is refunded only with at least the notice left before its start', () => {
    const start = at('2026-12-10T00:00:00Z');
    assert.equal(refundsOnCancel(start, start - 72 * HOUR, 72 * HOUR), true);
    assert.equal(refundsOnCancel(start, start - 72 * HOUR + 1, 72 * HOUR), false);
  });
});

describe('waitlist holds', () => {
  const slot = at('2026-12-10T03:00:00Z');
  const offered = {
    id: 1,
    cientista_id: 7,
    status: 'oferecida' as const,
    slotMs: slot,
    offerExpiresMs: slot - HOUR,
  };

  test('when a hold is offered, then it ends after the hold time but never after the slot starts', () => {
    assert.equal(holdEnd(slot, slot - 10 * HOUR, 120_000), slot - 10 * HOUR + 120_000);
    assert.equal(holdEnd(slot, slot - 60_000, 120_000), slot);
    assert.equal(holdEnd(slot, slot, 120_000), undefined);
  });

  test('when the time reaches the hold end, then the hold no longer stands and is due to be handed on', () => {
    const end = offered.offerExpiresMs;
    assert.equal(holdStands(offered, end - 1), true);
    assert.equal(holdIsDue(offered, end - 1), false);
    assert.equal(holdStands(offered, end), false);
    assert.equal(holdIsDue(offered, end), true);
    assert.equal(holdIsDue({ status: 'aguardando', offerExpiresMs: null }, end), false);
  });

  test('when someone asks to confirm or leave, then only the waiter confirms (while it stands) and the waiter or an admin leaves', () => {
    const waiter = { id: 7, papel: 'cientista' as const };
    const admin = { id: 1, papel: 'admin' as const };
    const stranger = { id: 8, papel: 'cientista' as const };
    const now = offered.offerExpiresMs - 1;
    assert.equal(canConfirm(offered, waiter, now), true);
    assert.equal(canConfirm(offered, admin, now), false);
    assert.equal(canConfirm(offered, waiter, now + 1), false);
    assert.equal(canLeave(offered, waiter), true);
    assert.equal(canLeave(offered, admin), true);
    assert.equal(canLeave(offered, stranger), false);
    assert.equal(canLeave({ ...offered, status: 'expirada' }, waiter), false);
  });

  test('when joining, then only a slot taken or held by someone else, not yet started, has a list to join', () => {
    const base = { slotMs: slot, now: slot - HOUR, actorId: 7 };
    assert.equal(joinRefusal({ ...base, bookedBy: 8, heldFor: undefined }), undefined);
    assert.equal(joinRefusal({ ...base, bookedBy: undefined, heldFor: 9 }), undefined);
    assert.equal(joinRefusal({ ...base, bookedBy: undefined, heldFor: undefined }), 'slot-free');
    assert.equal(joinRefusal({ ...base, bookedBy: 7, heldFor: undefined }), 'own-booking');
    assert.equal(joinRefusal({ ...base, now: slot, bookedBy: 8, heldFor: undefined }), 'started');
  });
});
