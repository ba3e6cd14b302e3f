import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildDay,
  clockText,
  dayStartMs,
  offsetText,
  slotAriaLabel,
  SLOTS_PER_DAY,
  tomorrowUtc,
  touchesDay,
  type BoardBooking,
} from './slots.js';

const DAY = Date.UTC(2027, 2, 1);
const booking = (id: number, owner: number, start: string, end: string, status = 'ativo'): BoardBooking => ({
  id,
  telescopio_id: 'Hubble-Acad',
  cientista_id: owner,
  horario_inicio_utc: start,
  horario_fim_utc: end,
  status,
});

test('a day has 288 five-minute slots starting at 00:00 UTC, labelled and keyed by ISO start', () => {
  const slots = buildDay(DAY, [], 1, DAY - 1);
  assert.equal(slots.length, SLOTS_PER_DAY);
  assert.equal(slots[0]?.iso, '2027-03-01T00:00:00.000Z');
  assert.equal(slots[37]?.label, '03:05');
  assert.equal(slots[287]?.iso, '2027-03-01T23:55:00.000Z');
  assert.ok(slots.every((s) => s.state === 'free'));
});

test('slots are mine, taken, or past by the server time; cancelled bookings free their slots', () => {
  const slots = buildDay(
    DAY,
    [
      booking(1, 7, '2027-03-01T03:00:00.000Z', '2027-03-01T03:10:00.000Z'),
      booking(2, 8, '2027-03-01T04:00:00.000Z', '2027-03-01T04:05:00.000Z'),
      booking(3, 8, '2027-03-01T05:00:00.000Z', '2027-03-01T05:05:00.000Z', 'cancelado'),
      booking(4, 8, '2027-03-01T00:00:00.000Z', '2027-03-01T00:05:00.000Z'),
    ],
    7,
    Date.parse('2027-03-01T00:02:00.000Z'),
  );
  const at = (hhmm: string) => slots.find((s) => s.label === hhmm);
  assert.equal(at('03:00')?.state, 'mine');
  assert.equal(at('03:05')?.state, 'mine');
  assert.equal(at('03:10')?.state, 'free');
  assert.equal(at('04:00')?.state, 'taken');
  assert.equal(at('05:00')?.state, 'free');
  assert.equal(at('00:00')?.state, 'past', 'in progress counts as past');
  assert.equal(at('00:00')?.heldBy, 'taken');
  assert.equal(at('00:05')?.state, 'free');
  assert.equal(slotAriaLabel(at('03:10') ?? assert.fail()), '03:10 livre');
  assert.equal(slotAriaLabel(at('00:00') ?? assert.fail()), '00:00 encerrado (foi ocupado)');
});

test('an anonymous viewer sees every booking as taken', () => {
  const slots = buildDay(
    DAY,
    [booking(1, 7, '2027-03-01T03:00:00.000Z', '2027-03-01T03:05:00.000Z')],
    undefined,
    0,
  );
  assert.equal(slots.find((s) => s.label === '03:00')?.state, 'taken');
});

test('dates are UTC calendar days; impossible dates are refused', () => {
  assert.equal(dayStartMs('2027-03-01'), DAY);
  assert.equal(dayStartMs('2027-02-30'), undefined);
  assert.equal(dayStartMs('01/03/2027'), undefined);
  assert.equal(tomorrowUtc(Date.parse('2026-12-31T23:59:59.999Z')), '2027-01-01');
});

test('a booking touches a day when it overlaps it', () => {
  assert.ok(touchesDay(booking(1, 1, '2027-03-01T23:55:00Z', '2027-03-02T00:05:00Z'), DAY));
  assert.ok(!touchesDay(booking(1, 1, '2027-03-02T00:00:00Z', '2027-03-02T00:05:00Z'), DAY));
});

test('the header shows the clock with milliseconds and the offset with its bound, in pt-BR', () => {
  assert.equal(clockText(Date.parse('2027-03-01T14:03:22.123Z') + 0.9), '14:03:22.123');
  assert.equal(offsetText(12.34, 0.75), '+12,3 ± 0,8 ms');
  assert.equal(offsetText(-3, 1), '-3,0 ± 1,0 ms');
});
