/**
 * The slot grid and the rules a booking request must pass before any lock is taken.
 *
 * Slots are 5 minutes on the UTC grid (…03:00, 03:05, …). A booking covers whole slots
 * [inicio, fim); `fim` defaults to one slot after `inicio`.
 *
 * "Started" is one predicate for the whole domain: a slot has started once `now >= start`
 * (the instant `start` already belongs to the slot). So a slot in progress — including one
 * whose start is exactly `now` — cannot be booked, and (see booking.ts) a booking cannot be
 * cancelled once its first slot has started.
 */
import { validateTelescopeId } from './validation.js';
import {
  MAX_INSTANT_MS,
  MIN_INSTANT_MS,
  MS_PER_DAY,
  MS_PER_MINUTE,
  checkUtcInstant,
  formatUtc,
  formatUtcSeconds,
  quoteForMessage,
} from './time.js';

export const SLOT_MINUTES = 5;
export const SLOT_MS = SLOT_MINUTES * MS_PER_MINUTE;
/** One hour. */
export const MAX_SLOTS_PER_BOOKING = 12;
/** Bookings whose start is further ahead than this are refused. */
export const MAX_BOOKING_HORIZON_MS = 366 * MS_PER_DAY;

export type BookingTimeField = 'horario_inicio_utc' | 'horario_fim_utc';

export interface BookingTimeError {
  readonly field: BookingTimeField;
  readonly reason: string;
}

export interface BookingRequestTimes {
  /** `horario_inicio_utc` as received. */
  readonly inicio: string;
  /** `horario_fim_utc` as received; absent means one slot. */
  readonly fim?: string | undefined;
  /** Server time, epoch ms (from the injected Clock). */
  readonly now: number;
}

export type BookingPlan =
  | {
      readonly ok: true;
      readonly startMs: number;
      /** Exclusive. */
      readonly endMs: number;
      /** Slot starts, ascending: also the canonical order in which their locks are taken. */
      readonly slots: readonly number[];
    }
  | { readonly ok: false; readonly errors: readonly BookingTimeError[] };

export function isOnSlotGrid(ms: number): boolean {
  return Number.isInteger(ms) && ms % SLOT_MS === 0;
}

/** The start of the slot containing `ms`. */
export function slotFloor(ms: number): number {
  return Math.floor(ms / SLOT_MS) * SLOT_MS;
}

/** The first slot start at or after `ms`. */
export function slotCeil(ms: number): number {
  return Math.ceil(ms / SLOT_MS) * SLOT_MS;
}

/** True once the slot (or booking) starting at `startMs` has begun: `now >= startMs`. */
export function hasStarted(startMs: number, now: number): boolean {
  return now >= startMs;
}

/** Slot starts covering [startMs, endMs), ascending. Both must be on the grid. */
export function slotsBetween(startMs: number, endMs: number): number[] {
  if (!isOnSlotGrid(startMs) || !isOnSlotGrid(endMs)) {
    throw new RangeError(`slotsBetween: ${startMs}..${endMs} is not on the ${SLOT_MINUTES}-minute grid`);
  }
  const slots: number[] = [];
  for (let t = startMs; t < endMs; t += SLOT_MS) slots.push(t);
  return slots;
}

/**
 * Lock resource name of one slot, exactly as the seed writes it: `Hubble-Acad_2025-12-01T03:00:00Z`.
 * Throws `RangeError` for an invalid telescope id or an instant off the slot grid: both are bugs
 * upstream (planBooking and validateTelescopeId run first), and a wrong name would lock nothing.
 */
export function resourceName(telescopeId: string, slotStartMs: number): string {
  const id = validateTelescopeId(telescopeId);
  if (!id.ok) throw new RangeError(`resourceName: ${id.reason}`);
  if (!isOnSlotGrid(slotStartMs)) throw new RangeError(`resourceName: ${slotStartMs} ms is not a slot start`);
  return `${telescopeId}_${formatUtcSeconds(slotStartMs)}`;
}

function durationText(ms: number): string {
  const minutes = ms / MS_PER_MINUTE;
  return Number.isInteger(minutes) ? `${minutes} minutes` : `${ms / 1000} seconds`;
}

/** "03:00:00Z" when on the same UTC day as `sameDayAs`, else the full instant. */
function slotLabel(slotMs: number, sameDayAs: number): string {
  const full = formatUtcSeconds(slotMs);
  return Math.floor(slotMs / MS_PER_DAY) === Math.floor(sameDayAs / MS_PER_DAY) ? full.slice(11) : full;
}

function offGridReason(field: BookingTimeField, text: string, ms: number): string {
  const before = slotFloor(ms);
  const after = slotCeil(ms);
  const nearest = [before, after].filter((t) => t <= MAX_INSTANT_MS).map((t) => slotLabel(t, ms));
  return `${field} ${quoteForMessage(text)} is not on the ${SLOT_MINUTES}-minute UTC grid (nearest slots: ${nearest.join(', ')})`;
}

/**
 * Checks the times of a booking request against every rule and, when they pass, returns the
 * slots to lock. All applicable errors are returned together, not just the first.
 *
 * Rules: both instants parse (strict UTC, see time.ts); both lie on the 5-minute grid;
 * `fim` > `inicio`; at most MAX_SLOTS_PER_BOOKING slots; the first slot has not started
 * (`inicio > now`, so a slot in progress is refused); `inicio - now <= MAX_BOOKING_HORIZON_MS`.
 */
export function planBooking(request: BookingRequestTimes): BookingPlan {
  const { inicio, fim, now } = request;
  if (!Number.isFinite(now) || now < MIN_INSTANT_MS || now > MAX_INSTANT_MS) {
    throw new RangeError(`planBooking: now=${now} is not an epoch-ms instant in years 1970–9999`);
  }
  const errors: BookingTimeError[] = [];
  const fail = (field: BookingTimeField, reason: string): void => {
    errors.push({ field, reason });
  };

  const start = checkUtcInstant(inicio);
  if (!start.ok) fail('horario_inicio_utc', `horario_inicio_utc ${quoteForMessage(inicio)} ${start.reason}`);
  const end = fim === undefined ? undefined : checkUtcInstant(fim);
  if (end !== undefined && !end.ok)
    fail('horario_fim_utc', `horario_fim_utc ${quoteForMessage(fim ?? '')} ${end.reason}`);

  const startMs = start.ok ? start.ms : undefined;
  const startOnGrid = startMs !== undefined && isOnSlotGrid(startMs);
  if (startMs !== undefined) {
    if (!startOnGrid) fail('horario_inicio_utc', offGridReason('horario_inicio_utc', inicio, startMs));
    if (hasStarted(startMs, now)) {
      const inProgress = now < startMs + SLOT_MS;
      const what = inProgress ? 'is a slot already in progress' : 'is in the past';
      fail(
        'horario_inicio_utc',
        `horario_inicio_utc ${quoteForMessage(inicio)} ${what} (server time ${formatUtc(now)}); book a slot that has not started yet`,
      );
    } else if (startMs - now > MAX_BOOKING_HORIZON_MS) {
      fail(
        'horario_inicio_utc',
        `horario_inicio_utc ${quoteForMessage(inicio)} is more than ${MAX_BOOKING_HORIZON_MS / MS_PER_DAY} days ahead; bookings open at most ${MAX_BOOKING_HORIZON_MS / MS_PER_DAY} days in advance`,
      );
    }
  }

  let endMs: number | undefined;
  if (fim === undefined) {
    endMs = startMs === undefined ? undefined : startMs + SLOT_MS;
  } else if (end?.ok === true) {
    endMs = end.ms;
    if (!isOnSlotGrid(endMs)) fail('horario_fim_utc', offGridReason('horario_fim_utc', fim, endMs));
    if (startMs !== undefined) {
      if (endMs <= startMs) {
        fail(
          'horario_fim_utc',
          endMs === startMs
            ? `horario_fim_utc ${quoteForMessage(fim)} equals horario_inicio_utc; a booking covers at least one ${SLOT_MINUTES}-minute slot`
            : `horario_fim_utc ${quoteForMessage(fim)} is before horario_inicio_utc ${quoteForMessage(inicio)}`,
        );
      } else if (endMs - startMs > MAX_SLOTS_PER_BOOKING * SLOT_MS) {
        const span = endMs - startMs;
        const slotsText = isOnSlotGrid(startMs) && isOnSlotGrid(endMs) ? `${span / SLOT_MS} slots, ` : '';
        fail(
          'horario_fim_utc',
          `horario_fim_utc ${quoteForMessage(fim)} makes the booking ${slotsText}${durationText(span)} long; the maximum is ${MAX_SLOTS_PER_BOOKING} slots (${durationText(MAX_SLOTS_PER_BOOKING * SLOT_MS)})`,
        );
      }
    }
  }

  if (errors.length > 0 || startMs === undefined || endMs === undefined) {
    return { ok: false, errors };
  }
  return { ok: true, startMs, endMs, slots: slotsBetween(startMs, endMs) };
}
