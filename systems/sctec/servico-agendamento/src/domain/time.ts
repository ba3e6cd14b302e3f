/**
 * UTC instants as epoch milliseconds, with a strict ISO-8601 parser and formatter.
 *
 * Why our own: `Date.parse` accepts "2025-12-01" (date only), "2025-12-01T03:00:00" (read as
 * LOCAL time) and many implementation-defined shapes. A booking time that silently means
 * something else is worse than a refused request, so the wire accepts exactly one shape.
 *
 * Accepted (RFC 3339 profile, UTC only):
 *
 *   YYYY-MM-DDTHH:MM:SSZ
 *   YYYY-MM-DDTHH:MM:SS.sssZ        exactly three fraction digits (milliseconds)
 *   ... with "+00:00" instead of "Z" (same instant, written as an offset)
 *   ... with lowercase "t" / "z"      RFC 3339 §5.6 allows them; they are unambiguous
 *
 * Refused, each with a reason: empty text, a date without a time, a time without a zone
 * (that would be local time), any offset other than +00:00 (including "-00:00", which RFC 3339
 * defines as "offset unknown"), leap second 60, hour 24, impossible dates (Feb 30, month 13),
 * years outside 1970–9999, fraction digits other than three, surrounding whitespace.
 *
 * Calendar arithmetic is Howard Hinnant's days_from_civil / civil_from_days
 * (https://howardhinnant.github.io/date_algorithms.html), proleptic Gregorian, exact for every
 * integer day.
 */

export const MS_PER_SECOND = 1_000;
export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;

export const MIN_YEAR = 1970;
export const MAX_YEAR = 9999;
/** 1970-01-01T00:00:00.000Z */
export const MIN_INSTANT_MS = 0;
/** 9999-12-31T23:59:59.999Z */
export const MAX_INSTANT_MS = 253_402_300_799_999;

export interface CivilDate {
  readonly year: number;
  /** 1–12 */
  readonly month: number;
  /** 1–31 */
  readonly day: number;
}

export function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/** Days in `month` (1–12) of `year`; 0 for a month outside 1–12. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2 && isLeapYear(year)) return 29;
  return DAYS_IN_MONTH[month - 1] ?? 0;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400; // [0, 399]
  const mp = month > 2 ? month - 3 : month + 9; // March = 0 … February = 11
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1; // [0, 365]
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy; // [0, 146096]
  return era * 146_097 + doe - 719_468;
}

/** The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's civil_from_days). */
export function civilFromDays(days: number): CivilDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097; // [0, 146096]
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  ); // [0, 399]
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100)); // [0, 365]
  const mp = Math.floor((5 * doy + 2) / 153); // [0, 11]
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1; // [1, 31]
  const month = mp < 10 ? mp + 3 : mp - 9; // [1, 12]
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return { year, month, day };
}

export type UtcInstantCheck =
  { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly reason: string };

// ASCII digits only: without the `u` flag `\d` is [0-9], and we spell it out anyway.
const INSTANT_SHAPE =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))?$/;
const DATE_ONLY_SHAPE = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;

const EXPECTED = 'expected a UTC instant like 2025-12-01T03:00:00Z or 2025-12-01T03:00:00.000Z';

/** The value as it may appear inside a reason: JSON-quoted (control characters escaped) and cut short. */
export function quoteForMessage(text: string, max = 40): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

/**
 * Parses a strict UTC instant (see the module comment) and says why when it cannot.
 * The reason does not name the field; callers prefix it (e.g. `horario_inicio_utc "…" is …`).
 */
export function checkUtcInstant(text: string): UtcInstantCheck {
  if (text === '') return { ok: false, reason: `is empty; ${EXPECTED}` };
  const m = INSTANT_SHAPE.exec(text);
  if (m === null) {
    if (DATE_ONLY_SHAPE.test(text)) return { ok: false, reason: `is a date without a time; ${EXPECTED}` };
    if (text.trim() !== text) return { ok: false, reason: `has surrounding whitespace; ${EXPECTED}` };
    return { ok: false, reason: `is not an ISO-8601 UTC instant; ${EXPECTED}` };
  }
  const [, ys, mos, ds, hs, mis, ss, frac, zulu, sign, oh, om] = m;
  if (
    ys === undefined ||
    mos === undefined ||
    ds === undefined ||
    hs === undefined ||
    mis === undefined ||
    ss === undefined
  ) {
    return { ok: false, reason: `is not an ISO-8601 UTC instant; ${EXPECTED}` };
  }
  if (zulu === undefined) {
    if (sign === undefined) {
      return { ok: false, reason: `has no time zone, so it would be read as local time; append "Z" for UTC` };
    }
    const offset = `${sign}${oh ?? ''}:${om ?? ''}`;
    if (offset === '-00:00') {
      return {
        ok: false,
        reason: `has offset -00:00, which RFC 3339 defines as "offset unknown"; write "Z" for UTC`,
      };
    }
    if (offset !== '+00:00') {
      return {
        ok: false,
        reason: `has offset ${offset}; only UTC is accepted, write the instant converted to UTC with "Z"`,
      };
    }
  }
  if (frac !== undefined && frac.length !== 3) {
    return {
      ok: false,
      reason: `has ${frac.length} fraction digit(s); write exactly 3 (milliseconds) or none`,
    };
  }
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = Number(ss);
  const milli = frac === undefined ? 0 : Number(frac);
  if (year < MIN_YEAR || year > MAX_YEAR)
    return { ok: false, reason: `has year ${ys}; years ${MIN_YEAR}–${MAX_YEAR} are accepted` };
  if (month < 1 || month > 12) return { ok: false, reason: `has month ${mos}; months are 01–12` };
  const monthDays = daysInMonth(year, month);
  if (day < 1 || day > monthDays) {
    return { ok: false, reason: `has day ${ds}, but ${ys}-${mos} has ${monthDays} days` };
  }
  if (hour > 23)
    return { ok: false, reason: `has hour ${hs}; hours are 00–23 (write 24:00 as 00:00 of the next day)` };
  if (minute > 59) return { ok: false, reason: `has minute ${mis}; minutes are 00–59` };
  if (second > 59)
    return { ok: false, reason: `has second ${ss}; seconds are 00–59 (leap seconds are not accepted)` };
  const ms =
    daysFromCivil(year, month, day) * MS_PER_DAY +
    hour * MS_PER_HOUR +
    minute * MS_PER_MINUTE +
    second * MS_PER_SECOND +
    milli;
  return { ok: true, ms };
}

/** Epoch milliseconds of a strict UTC instant, or `undefined` (use `checkUtcInstant` for the reason). */
export function parseUtcInstant(text: string): number | undefined {
  const result = checkUtcInstant(text);
  return result.ok ? result.ms : undefined;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

interface UtcFields {
  readonly date: CivilDate;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly milli: number;
}

function utcFields(ms: number, caller: string): UtcFields {
  if (!Number.isFinite(ms)) throw new RangeError(`${caller}: ${ms} is not a finite number of milliseconds`);
  const whole = Math.floor(ms);
  if (whole < MIN_INSTANT_MS || whole > MAX_INSTANT_MS) {
    throw new RangeError(
      `${caller}: ${ms} ms is outside 1970-01-01T00:00:00.000Z … 9999-12-31T23:59:59.999Z`,
    );
  }
  const days = Math.floor(whole / MS_PER_DAY);
  let rest = whole - days * MS_PER_DAY;
  const hour = Math.floor(rest / MS_PER_HOUR);
  rest -= hour * MS_PER_HOUR;
  const minute = Math.floor(rest / MS_PER_MINUTE);
  rest -= minute * MS_PER_MINUTE;
  const second = Math.floor(rest / MS_PER_SECOND);
  const milli = rest - second * MS_PER_SECOND;
  return { date: civilFromDays(days), hour, minute, second, milli };
}

function formatSeconds(f: UtcFields): string {
  const { year, month, day } = f.date;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(f.hour, 2)}:${pad(f.minute, 2)}:${pad(f.second, 2)}`;
}

/**
 * Wire format with milliseconds: `2025-12-01T03:00:00.000Z`.
 * A fractional `ms` is floored (as `Date.prototype.toISOString` does). Throws `RangeError` for a
 * non-finite value or one outside years 1970–9999.
 */
export function formatUtc(ms: number): string {
  const f = utcFields(ms, 'formatUtc');
  return `${formatSeconds(f)}.${pad(f.milli, 3)}Z`;
}

/**
 * Whole-second format without milliseconds: `2025-12-01T03:00:00Z` — the form inside lock
 * resource names (`Hubble-Acad_2025-12-01T03:00:00Z`) and the seed's `horario_inicio_utc`.
 * Throws `RangeError` when `ms` is not a whole second: this format cannot show the remainder, and
 * silently dropping it would give two different instants the same lock name.
 */
export function formatUtcSeconds(ms: number): string {
  if (!Number.isInteger(ms) || ms % MS_PER_SECOND !== 0) {
    throw new RangeError(`formatUtcSeconds: ${ms} ms is not a whole second; use formatUtc`);
  }
  return `${formatSeconds(utcFields(ms, 'formatUtcSeconds'))}Z`;
}
