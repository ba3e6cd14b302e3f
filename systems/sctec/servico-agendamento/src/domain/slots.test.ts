import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_BOOKING_HORIZON_MS,
  MAX_SLOTS_PER_BOOKING,
  SLOT_MS,
  planBooking,
  resourceName,
  slotsBetween,
  type BookingPlan,
  type BookingTimeError,
} from './slots.js';
import { MS_PER_DAY, MS_PER_MINUTE, formatUtcSeconds } from './time.js';

const T0300 = 1_764_558_000_000; // 2025-12-01T03:00:00Z
const NOW = T0300 - 60 * MS_PER_MINUTE; // 2025-12-01T02:00:00Z
const at = (ms: number): string => formatUtcSeconds(ms);

function expectOk(plan: BookingPlan): { startMs: number; endMs: number; slots: readonly number[] } {
  if (!plan.ok) assert.fail(`expected a plan, got ${JSON.stringify(plan.errors)}`);
  return plan;
}

function expectErrors(plan: BookingPlan): readonly BookingTimeError[] {
  if (plan.ok) assert.fail(`expected errors, got a plan for ${plan.slots.length} slot(s)`);
  assert.ok(plan.errors.length > 0);
  return plan.errors;
}

function onlyError(plan: BookingPlan): BookingTimeError {
  const errors = expectErrors(plan);
  const [first, ...rest] = errors;
  if (first === undefined || rest.length > 0)
    assert.fail(`expected exactly one error, got ${JSON.stringify(errors)}`);
  return first;
}

describe('constants', () => {
  test('a slot is 5 minutes, a booking at most 12 slots (one hour), the horizon 366 days', () => {
    assert.equal(SLOT_MS, 300_000);
    assert.equal(MAX_SLOTS_PER_BOOKING * SLOT_MS, 3_600_000);
    assert.equal(MAX_BOOKING_HORIZON_MS, 366 * 86_400_000);
  });
});

describe('planBooking: a valid request becomes the slots to lock', () => {
  test('when only horario_inicio_utc is given, then the booking is one slot', () => {
    const plan = expectOk(planBooking({ inicio: '2025-12-01T03:00:00Z', now: NOW }));
    assert.deepEqual(plan, { ok: true, startMs: T0300, endMs: T0300 + SLOT_MS, slots: [T0300] });
  });

  test('when horario_fim_utc is explicitly undefined, then it is treated as absent', () => {
    const plan = expectOk(planBooking({ inicio: '2025-12-01T03:00:00Z', fim: undefined, now: NOW }));
    assert.deepEqual(plan.slots, [T0300]);
  });

  test('when the booking spans several slots, then the slots are listed ascending (the canonical lock order)', () => {
    const plan = expectOk(
      planBooking({ inicio: '2025-12-01T03:00:00.000Z', fim: '2025-12-01T03:15:00+00:00', now: NOW }),
    );
    assert.deepEqual(plan.slots, [T0300, T0300 + SLOT_MS, T0300 + 2 * SLOT_MS]);
    assert.equal(plan.endMs, T0300 + 15 * MS_PER_MINUTE);
  });

  test('when the booking is exactly 12 slots (one hour), then it is accepted', () => {
    const plan = expectOk(
      planBooking({ inicio: '2025-12-01T03:00:00Z', fim: '2025-12-01T04:00:00Z', now: NOW }),
    );
    assert.equal(plan.slots.length, 12);
    assert.equal(plan.slots.at(-1), T0300 + 55 * MS_PER_MINUTE);
  });

  test('when a booking crosses midnight UTC, then its slots run across the day boundary', () => {
    const plan = expectOk(
      planBooking({ inicio: '2025-12-01T23:55:00Z', fim: '2025-12-02T00:05:00Z', now: NOW }),
    );
    assert.deepEqual(plan.slots.map(at), ['2025-12-01T23:55:00Z', '2025-12-02T00:00:00Z']);
  });

  test('when the slot starts 1 ms after now, then it is still bookable', () => {
    expectOk(planBooking({ inicio: '2025-12-01T03:00:00Z', now: T0300 - 1 }));
  });

  test('when the start is exactly 366 days ahead, then it is within the horizon', () => {
    const start = NOW + MAX_BOOKING_HORIZON_MS;
    expectOk(planBooking({ inicio: at(start), now: NOW }));
  });

  test('when Feb 29 of a leap year is within the horizon, then it is bookable', () => {
    const now = 1_811_808_000_000; // 2027-06-01T00:00:00Z
    const plan = expectOk(planBooking({ inicio: '2028-02-29T10:00:00Z', now }));
    assert.equal(at(plan.startMs), '2028-02-29T10:00:00Z');
  });
});

describe('planBooking: the 5-minute UTC grid', () => {
  test('when horario_inicio_utc is at minute 02, then it is refused naming the value and the nearest slots', () => {
    const errors = expectErrors(planBooking({ inicio: '2025-12-01T03:02:00Z', now: NOW }));
    assert.deepEqual(errors, [
      {
        field: 'horario_inicio_utc',
        reason:
          'horario_inicio_utc "2025-12-01T03:02:00Z" is not on the 5-minute UTC grid (nearest slots: 03:00:00Z, 03:05:00Z)',
      },
    ]);
  });

  test('when horario_inicio_utc has non-zero seconds or milliseconds, then it is off the grid', () => {
    for (const inicio of ['2025-12-01T03:00:30Z', '2025-12-01T03:00:00.001Z', '2025-12-01T03:04:59.999Z']) {
      const error = onlyError(planBooking({ inicio, now: NOW }));
      assert.equal(error.field, 'horario_inicio_utc');
      assert.match(error.reason, /nearest slots: 03:00:00Z, 03:05:00Z/);
    }
  });

  test('when the nearest slots fall on different days, then the next-day slot is written in full', () => {
    const errors = expectErrors(planBooking({ inicio: '2025-12-01T23:57:00Z', now: NOW }));
    assert.match(errors[0]?.reason ?? '', /nearest slots: 23:55:00Z, 2025-12-02T00:00:00Z\)$/);
  });

  test('when horario_fim_utc is off the grid, then it is refused on its own field', () => {
    const errors = expectErrors(
      planBooking({ inicio: '2025-12-01T03:00:00Z', fim: '2025-12-01T03:07:00Z', now: NOW }),
    );
    assert.deepEqual(errors, [
      {
        field: 'horario_fim_utc',
        reason:
          'horario_fim_utc "2025-12-01T03:07:00Z" is not on the 5-minute UTC grid (nearest slots: 03:05:00Z, 03:10:00Z)',
      },
    ]);
  });
});

describe('planBooking: order and length', () => {
  test('when horario_fim_utc equals horario_inicio_utc, then it is refused as a zero-length booking', () => {
    const error = onlyError(
      planBooking({ inicio: '2025-12-01T03:00:00Z', fim: '2025-12-01T03:00:00Z', now: NOW }),
    );
    assert.equal(error.field, 'horario_fim_utc');
    assert.match(error.reason, /equals horario_inicio_utc/);
  });

  test('when horario_fim_utc is before horario_inicio_utc, then it is refused', () => {
    const errors = expectErrors(
      planBooking({ inicio: '2025-12-01T03:10:00Z', fim: '2025-12-01T03:00:00Z', now: NOW }),
    );
    assert.deepEqual(errors, [
      {
        field: 'horario_fim_utc',
        reason: 'horario_fim_utc "2025-12-01T03:00:00Z" is before horario_inicio_utc "2025-12-01T03:10:00Z"',
      },
    ]);
  });

  test('when the booking is 13 slots, then it is refused with the count and the maximum', () => {
    const errors = expectErrors(
      planBooking({ inicio: '2025-12-01T03:00:00Z', fim: '2025-12-01T04:05:00Z', now: NOW }),
    );
    assert.deepEqual(errors, [
      {
        field: 'horario_fim_utc',
        reason:
          'horario_fim_utc "2025-12-01T04:05:00Z" makes the booking 13 slots, 65 minutes long; the maximum is 12 slots (60 minutes)',
      },
    ]);
  });

  test('when a too-long booking is also off the grid, then both problems are reported', () => {
    const errors = expectErrors(
      planBooking({ inicio: '2025-12-01T03:00:00Z', fim: '2025-12-01T05:01:30Z', now: NOW }),
    );
    assert.equal(errors.length, 2);
    assert.match(errors[0]?.reason ?? '', /not on the 5-minute UTC grid/);
    assert.match(errors[1]?.reason ?? '', /makes the booking 7290 seconds long/);
  });
});

describe('planBooking: past, in progress, horizon', () => {
  test('when the slot is in the past, then it is refused', () => {
    const errors = expectErrors(planBooking({ inicio: '2025-12-01T01:00:00Z', now: NOW }));
    assert.deepEqual(errors, [
      {
        field: 'horario_inicio_utc',
        reason:
          'horario_inicio_utc "2025-12-01T01:00:00Z" is in the past (server time 2025-12-01T02:00:00.000Z); book a slot that has not started yet',
      },
    ]);
  });

  test('when the slot is in progress, then it is refused (its time has begun)', () => {
    const errors = expectErrors(
      planBooking({ inicio: '2025-12-01T03:00:00Z', now: T0300 + 2 * MS_PER_MINUTE + 10_000 }),
    );
    assert.equal(errors.length, 1);
    assert.match(
      errors[0]?.reason ?? '',
      /is a slot already in progress \(server time 2025-12-01T03:02:10\.000Z\)/,
    );
  });

  test('when the slot starts exactly now, then it counts as in progress and is refused', () => {
    const errors = expectErrors(planBooking({ inicio: '2025-12-01T03:00:00Z', now: T0300 }));
    assert.match(errors[0]?.reason ?? '', /already in progress/);
  });

  test('when a slot ended 1 ms ago, then it is in the past', () => {
    const errors = expectErrors(planBooking({ inicio: '2025-12-01T03:00:00Z', now: T0300 + SLOT_MS }));
    assert.match(errors[0]?.reason ?? '', /is in the past/);
  });

  test('when the start is one slot beyond the 366-day horizon, then it is refused', () => {
    const start = NOW + MAX_BOOKING_HORIZON_MS + SLOT_MS;
    const errors = expectErrors(planBooking({ inicio: at(start), now: NOW }));
    assert.deepEqual(errors, [
      {
        field: 'horario_inicio_utc',
        reason: `horario_inicio_utc "${at(start)}" is more than 366 days ahead; bookings open at most 366 days in advance`,
      },
    ]);
  });

  test('when the start is ten years ahead, then it is refused by the horizon', () => {
    expectErrors(planBooking({ inicio: '2035-12-01T03:00:00Z', now: NOW }));
    assert.equal(MAX_BOOKING_HORIZON_MS < 10 * 365 * MS_PER_DAY, true);
  });
});

describe('planBooking: unparseable input and collecting errors', () => {
  const garbage = [
    '',
    '2025-12-01',
    '2025-12-01T03:00:00',
    '2025-12-01T03:00:00+03:00',
    '2025-13-01T00:00:00Z',
    '2025-12-01T24:00:00Z',
    '2025-02-29T03:00:00Z',
    'amanhã às 3h',
  ];
  for (const text of garbage) {
    test(`when horario_inicio_utc is ${JSON.stringify(text)}, then it is refused naming the field and the value`, () => {
      const error = onlyError(planBooking({ inicio: text, now: NOW }));
      assert.equal(error.field, 'horario_inicio_utc');
      assert.ok(error.reason.startsWith(`horario_inicio_utc ${JSON.stringify(text)} `), error.reason);
    });
    test(`when horario_fim_utc is ${JSON.stringify(text)}, then it is refused naming the field and the value`, () => {
      const error = onlyError(planBooking({ inicio: '2025-12-01T03:00:00Z', fim: text, now: NOW }));
      assert.equal(error.field, 'horario_fim_utc');
      assert.ok(error.reason.startsWith(`horario_fim_utc ${JSON.stringify(text)} `), error.reason);
    });
  }

  test('when both instants are unparseable, then both fields are reported', () => {
    const errors = expectErrors(planBooking({ inicio: 'x', fim: 'y', now: NOW }));
    assert.deepEqual(
      errors.map((e) => e.field),
      ['horario_inicio_utc', 'horario_fim_utc'],
    );
  });

  test('when horario_inicio_utc is unparseable, then no comparison with horario_fim_utc is attempted', () => {
    const errors = expectErrors(planBooking({ inicio: '2025-12-01', fim: '2025-12-01T03:00:00Z', now: NOW }));
    assert.equal(errors.length, 1);
  });

  test('when the start is off the grid, in the past and after the end, then all three are reported', () => {
    const errors = expectErrors(
      planBooking({ inicio: '2025-12-01T01:02:00Z', fim: '2025-12-01T01:00:00Z', now: NOW }),
    );
    assert.deepEqual(
      errors.map((e) => [e.field, /grid|past|before/.exec(e.reason)?.[0]]),
      [
        ['horario_inicio_utc', 'grid'],
        ['horario_inicio_utc', 'past'],
        ['horario_fim_utc', 'before'],
      ],
    );
  });

  test('when a value is very long or holds control characters, then the reason quotes it escaped and cut short', () => {
    const errors = expectErrors(planBooking({ inicio: `\n${'9'.repeat(500)}`, now: NOW }));
    const reason = errors[0]?.reason ?? '';
    assert.ok(!reason.includes('\n'));
    assert.ok(reason.length < 200, reason);
  });

  test('when now is not a finite instant, then planBooking throws (a programming error, not a user error)', () => {
    assert.throws(() => planBooking({ inicio: '2025-12-01T03:00:00Z', now: Number.NaN }), RangeError);
    assert.throws(() => planBooking({ inicio: '2025-12-01T03:00:00Z', now: -1 }), RangeError);
  });
});

describe('resourceName and slotsBetween', () => {
  test('names a slot lock exactly as the seed does', () => {
    assert.equal(resourceName('Hubble-Acad', T0300), 'Hubble-Acad_2025-12-01T03:00:00Z');
  });

  test('when the instant is off the grid or the telescope id is invalid, then it throws instead of naming a lock', () => {
    assert.throws(() => resourceName('Hubble-Acad', T0300 + 1000), RangeError);
    assert.throws(() => resourceName('Hubble Acad', T0300), RangeError);
    assert.throws(() => resourceName('', T0300), RangeError);
  });

  test('slotsBetween lists [start, end) and refuses off-grid bounds', () => {
    assert.deepEqual(slotsBetween(T0300, T0300), []);
    assert.deepEqual(slotsBetween(T0300, T0300 + 2 * SLOT_MS), [T0300, T0300 + SLOT_MS]);
    assert.throws(() => slotsBetween(T0300 + 1, T0300 + SLOT_MS), RangeError);
  });
});
