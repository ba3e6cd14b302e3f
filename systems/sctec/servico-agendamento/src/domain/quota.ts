/**
 * Time quotas (issue 9): each scientist has an allocation of observing minutes per period, the
 * calendar month in UTC. A booking's minutes count in the period of each slot's start, 5 minutes
 * per slot, so a booking across midnight of the month's last day draws on two periods. Pure.
 */
import { SLOT_MINUTES } from './slots.js';
import { civilFromDays, daysFromCivil, MS_PER_DAY } from './time.js';

export interface QuotaPeriod {
  /** `YYYY-MM` */
  readonly id: string;
  readonly startMs: number;
  /** Exclusive. */
  readonly endMs: number;
}

/** The period of `month` (1–12) of `year`; month 13 rolls into the next year. */
function periodAt(year: number, month: number): QuotaPeriod {
  const next = month === 12 ? { year: year + 1, month: 1 } : { year, month: month + 1 };
  return {
    id: `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`,
    startMs: daysFromCivil(year, month, 1) * MS_PER_DAY,
    endMs: daysFromCivil(next.year, next.month, 1) * MS_PER_DAY,
  };
}

/** The period (calendar month, UTC) that holds the instant `ms`. */
export function periodOf(ms: number): QuotaPeriod {
  const date = civilFromDays(Math.floor(ms / MS_PER_DAY));
  return periodAt(date.year, date.month);
}

const PERIOD_ID = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Parses `YYYY-MM` (years 2000–2999). */
export function parsePeriod(text: string): { ok: true; period: QuotaPeriod } | { ok: false; reason: string } {
  const match = PERIOD_ID.exec(text);
  if (match === null) return { ok: false, reason: 'must be a month as YYYY-MM, e.g. 2026-12' };
  const year = Number(match[1]);
  if (year < 2000 || year > 2999) return { ok: false, reason: 'must be a month between 2000-01 and 2999-12' };
  return { ok: true, period: periodAt(year, Number(match[2])) };
}

/** Slots grouped by the period they count in, in time order. */
export function slotsByPeriod(slots: readonly number[]): { period: QuotaPeriod; slots: number[] }[] {
  const groups = new Map<string, { period: QuotaPeriod; slots: number[] }>();
  for (const slot of [...slots].sort((a, b) => a - b)) {
    const period = periodOf(slot);
    const group = groups.get(period.id) ?? { period, slots: [] };
    group.slots.push(slot);
    groups.set(period.id, group);
  }
  return [...groups.values()];
}

export interface QuotaStanding {
  readonly periodo: string;
  readonly alocados_minutos: number;
  readonly usados_minutos: number;
  readonly restantes_minutos: number;
}

export function standing(period: QuotaPeriod, allocatedMinutes: number, usedSlots: number): QuotaStanding {
  const used = usedSlots * SLOT_MINUTES;
  return {
    periodo: period.id,
    alocados_minutos: allocatedMinutes,
    usados_minutos: used,
    // Never below 0: an admin may lower an allocation below what is already used.
    restantes_minutos: Math.max(0, allocatedMinutes - used),
  };
}

/** Whether `requestedSlots` more slots fit in what remains of the period. */
export function fits(current: QuotaStanding, requestedSlots: number): boolean {
  return requestedSlots * SLOT_MINUTES <= current.restantes_minutos;
}

/**
 * A cancellation refunds the booking's minutes only when it comes at least `noticeMs` before the
 * start: time given back that late can rarely be used by anyone else, so it stays spent.
 */
export function refundsOnCancel(startMs: number, now: number, noticeMs: number): boolean {
  return startMs - now >= noticeMs;
}
