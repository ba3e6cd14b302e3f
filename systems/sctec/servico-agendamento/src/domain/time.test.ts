// The lint rule that keeps src/domain free of I/O also matches `node:*`; the test runner and
// assertions are not I/O, so these two imports are exempted explicitly.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_INSTANT_MS,
  checkUtcInstant,
  civilFromDays,
  daysFromCivil,
  daysInMonth,
  formatUtc,
  formatUtcSeconds,
  isLeapYear,
  parseUtcInstant,
} from './time.js';

// Known values, computed independently (Date.UTC in Node 20) and frozen here.
const KNOWN_DAYS: readonly [number, number, number, number][] = [
  [1970, 1, 1, 0],
  [1969, 12, 31, -1],
  [1972, 2, 29, 789],
  [1900, 1, 1, -25_567],
  [2000, 2, 29, 11_016],
  [2000, 3, 1, 11_017],
  [2024, 2, 29, 19_782],
  [2025, 12, 1, 20_423],
  [2100, 3, 1, 47_541],
  [9999, 12, 31, 2_932_896],
  [0, 3, 1, -719_468], // the algorithm's own epoch
];

const KNOWN_INSTANTS: readonly [string, number][] = [
  ['1970-01-01T00:00:00.000Z', 0],
  ['2000-02-29T00:00:00.000Z', 951_782_400_000],
  ['2001-09-09T01:46:40.000Z', 1_000_000_000_000],
  ['2024-02-29T23:59:59.999Z', 1_709_251_199_999],
  ['2025-12-01T03:00:00.000Z', 1_764_558_000_000],
  ['2038-01-19T03:14:07.000Z', 2_147_483_647_000],
  ['9999-12-31T23:59:59.999Z', 253_402_300_799_999],
];

function reasonFor(text: string): string {
  const result = checkUtcInstant(text);
  if (result.ok) assert.fail(`${JSON.stringify(text)} was accepted as ${result.ms}`);
  return result.reason;
}

describe('calendar arithmetic (Hinnant days_from_civil / civil_from_days)', () => {
  test('maps known dates to their day numbers and back', () => {
    for (const [y, m, d, days] of KNOWN_DAYS) {
      assert.equal(daysFromCivil(y, m, d), days, `${y}-${m}-${d}`);
      assert.deepEqual(civilFromDays(days), { year: y, month: m, day: d }, `day ${days}`);
    }
  });

  test('round-trips every day from 1970-01-01 to 9999-12-31 and steps one calendar day at a time', () => {
    let prev = civilFromDays(-1);
    for (let days = 0; days <= 2_932_896; days++) {
      const c = civilFromDays(days);
      if (daysFromCivil(c.year, c.month, c.day) !== days)
        assert.fail(`day ${days} does not round-trip: ${JSON.stringify(c)}`);
      const nextInMonth = c.year === prev.year && c.month === prev.month && c.day === prev.day + 1;
      const firstOfNextMonth =
        c.day === 1 &&
        prev.day === daysInMonth(prev.year, prev.month) &&
        ((c.year === prev.year && c.month === prev.month + 1) ||
          (c.year === prev.year + 1 && c.month === 1 && prev.month === 12));
      if (!nextInMonth && !firstOfNextMonth)
        assert.fail(`day ${days}: ${JSON.stringify(prev)} -> ${JSON.stringify(c)}`);
      prev = c;
    }
  });

  test('knows leap years: every 4th, not every 100th, but every 400th', () => {
    assert.equal(isLeapYear(2024), true);
    assert.equal(isLeapYear(2025), false);
    assert.equal(isLeapYear(1900), false);
    assert.equal(isLeapYear(2000), true);
    assert.equal(isLeapYear(2100), false);
    assert.equal(daysInMonth(2024, 2), 29);
    assert.equal(daysInMonth(2025, 2), 28);
    assert.equal(daysInMonth(2025, 4), 30);
    assert.equal(daysInMonth(2025, 13), 0);
  });
});

describe('parseUtcInstant accepts exactly the strict UTC forms', () => {
  test('parses known instants with milliseconds', () => {
    for (const [text, ms] of KNOWN_INSTANTS) assert.equal(parseUtcInstant(text), ms, text);
  });

  test('accepts whole seconds without a fraction, "+00:00" for Z, and lowercase t/z (RFC 3339 §5.6)', () => {
    const ms = 1_764_558_000_000;
    assert.equal(parseUtcInstant('2025-12-01T03:00:00Z'), ms);
    assert.equal(parseUtcInstant('2025-12-01T03:00:00+00:00'), ms);
    assert.equal(parseUtcInstant('2025-12-01T03:00:00.000+00:00'), ms);
    assert.equal(parseUtcInstant('2025-12-01T03:00:00z'), ms);
    assert.equal(parseUtcInstant('2025-12-01t03:00:00Z'), ms);
  });

  test('accepts Feb 29 in leap years (2024, 2000) and refuses it in common years (2025, 2023, century year 2100)', () => {
    assert.equal(parseUtcInstant('2024-02-29T00:00:00Z'), 1_709_164_800_000);
    assert.equal(parseUtcInstant('2000-02-29T00:00:00Z'), 951_782_400_000);
    for (const year of ['2025', '2023', '2100']) {
      assert.match(reasonFor(`${year}-02-29T00:00:00Z`), /has day 29, but \d{4}-02 has 28 days/);
    }
  });

  test('accepts the range edges 1970-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z', () => {
    assert.equal(parseUtcInstant('1970-01-01T00:00:00Z'), 0);
    assert.equal(parseUtcInstant('9999-12-31T23:59:59.999Z'), MAX_INSTANT_MS);
  });
});

describe('parseUtcInstant refuses everything else, with a reason', () => {
  const refused: readonly [string, RegExp][] = [
    ['', /is empty/],
    ['2025-12-01', /date without a time/],
    ['2025-12-01T03:00:00', /no time zone.*local time/],
    ['2025-12-01T03:00:00.000', /no time zone/],
    ['2025-12-01T03:00:00+03:00', /offset \+03:00; only UTC/],
    ['2025-12-01T03:00:00-03:00', /offset -03:00; only UTC/],
    ['2025-12-01T03:00:00-00:00', /offset unknown/],
    ['2025-13-01T00:00:00Z', /month 13/],
    ['2025-00-01T00:00:00Z', /month 00/],
    ['2025-12-00T00:00:00Z', /day 00/],
    ['2025-12-32T00:00:00Z', /day 32, but 2025-12 has 31 days/],
    ['2025-02-30T00:00:00Z', /day 30, but 2025-02 has 28 days/],
    ['2025-04-31T00:00:00Z', /day 31, but 2025-04 has 30 days/],
    ['2025-12-01T24:00:00Z', /hour 24/],
    ['2025-12-01T03:60:00Z', /minute 60/],
    ['2025-12-31T23:59:60Z', /second 60.*leap seconds/],
    ['1969-12-31T23:59:59Z', /year 1969/],
    ['0000-01-01T00:00:00Z', /year 0000/],
    ['10000-01-01T00:00:00Z', /not an ISO-8601 UTC instant/],
    ['2025-12-01T03:00:00.5Z', /1 fraction digit/],
    ['2025-12-01T03:00:00.123456Z', /6 fraction digit/],
    ['2025-12-01T03:00:00.Z', /not an ISO-8601 UTC instant/],
    [' 2025-12-01T03:00:00Z', /surrounding whitespace/],
    ['2025-12-01T03:00:00Z\n', /surrounding whitespace/],
    ['2025-12-01 03:00:00Z', /not an ISO-8601 UTC instant/],
    ['2025-12-01T03:00Z', /not an ISO-8601 UTC instant/],
    ['20251201T030000Z', /not an ISO-8601 UTC instant/],
    ['2025-12-01T03:00:00+0000', /not an ISO-8601 UTC instant/],
    ['2025-12-01T03:00:00ZZ', /not an ISO-8601 UTC instant/],
    ['２０２５-12-01T03:00:00Z', /not an ISO-8601 UTC instant/],
    ['Mon, 01 Dec 2025 03:00:00 GMT', /not an ISO-8601 UTC instant/],
    ['1764558000000', /not an ISO-8601 UTC instant/],
    ['garbage', /not an ISO-8601 UTC instant/],
  ];
  for (const [text, reason] of refused) {
    test(`refuses ${JSON.stringify(text)}`, () => {
      assert.equal(parseUtcInstant(text), undefined);
      assert.match(reasonFor(text), reason);
    });
  }
});

describe('formatUtc and formatUtcSeconds', () => {
  test('formatUtc writes the wire format with milliseconds', () => {
    for (const [text, ms] of KNOWN_INSTANTS) assert.equal(formatUtc(ms), text);
  });

  test('formatUtc floors a fractional millisecond like Date.prototype.toISOString', () => {
    assert.equal(formatUtc(1.9), '1970-01-01T00:00:00.001Z');
    assert.equal(formatUtc(1_764_558_000_000.5), '2025-12-01T03:00:00.000Z');
  });

  test('formatUtc throws RangeError outside 1970–9999 and for non-finite values', () => {
    for (const bad of [-1, MAX_INSTANT_MS + 1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => formatUtc(bad), RangeError, String(bad));
    }
  });

  test('formatUtcSeconds writes the lock-name form without milliseconds', () => {
    assert.equal(formatUtcSeconds(1_764_558_000_000), '2025-12-01T03:00:00Z');
    assert.equal(formatUtcSeconds(0), '1970-01-01T00:00:00Z');
    assert.equal(formatUtcSeconds(253_402_300_799_000), '9999-12-31T23:59:59Z');
  });

  test('formatUtcSeconds refuses an instant that is not a whole second instead of truncating it', () => {
    assert.throws(() => formatUtcSeconds(1_764_558_000_001), RangeError);
    assert.throws(() => formatUtcSeconds(0.5), RangeError);
    assert.throws(() => formatUtcSeconds(-1000), RangeError);
  });

  test('parse(format(ms)) and format(parse(text)) round-trip at the range edges', () => {
    for (const ms of [0, 1, 999, 1000, MAX_INSTANT_MS - 1, MAX_INSTANT_MS])
      assert.equal(parseUtcInstant(formatUtc(ms)), ms);
    for (const [text] of KNOWN_INSTANTS) assert.equal(formatUtc(parseUtcInstant(text) ?? Number.NaN), text);
  });
});
