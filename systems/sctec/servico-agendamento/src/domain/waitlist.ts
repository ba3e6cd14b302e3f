/**
 * The waitlist of one slot (issue 9). Scientists join a taken slot's list in the order the
 * server decides (the order their joins commit, one at a time per slot). When the slot is freed,
 * the first waiter gets a time-boxed hold: only they may book the slot until it ends. An expired
 * or abandoned hold passes to the next waiter; when nobody is left, the slot is free for anyone.
 * Pure: the decisions here take the entry and the time; the adapters apply them.
 */
import { isOwnerOrAdmin, type Actor } from './booking.js';
import { hasStarted } from './slots.js';

export const WAITLIST_STATUSES = ['aguardando', 'oferecida', 'aceita', 'expirada', 'saiu'] as const;
export type WaitlistStatus = (typeof WAITLIST_STATUSES)[number];

/** Open entries are still in the list: waiting, or holding the slot. */
export const OPEN_STATUSES = ['aguardando', 'oferecida'] as const satisfies readonly WaitlistStatus[];

/** A scientist may have at most this many open entries, so one account cannot flood every list. */
export const MAX_OPEN_ENTRIES_PER_SCIENTIST = 100;

export interface WaitlistEntry {
  readonly id: number;
  readonly cientista_id: number;
  readonly status: WaitlistStatus;
  readonly slotMs: number;
  /** When the hold ends (epoch ms) while `oferecida`. */
  readonly offerExpiresMs: number | null;
}

export function isOpen(status: WaitlistStatus): boolean {
  return status === 'aguardando' || status === 'oferecida';
}

/** The hold stands: offered and not yet expired at `now`. */
export function holdStands(entry: Pick<WaitlistEntry, 'status' | 'offerExpiresMs'>, now: number): boolean {
  return entry.status === 'oferecida' && entry.offerExpiresMs !== null && now < entry.offerExpiresMs;
}

/** An offered hold whose time is up and must be handed on. */
export function holdIsDue(entry: Pick<WaitlistEntry, 'status' | 'offerExpiresMs'>, now: number): boolean {
  return entry.status === 'oferecida' && entry.offerExpiresMs !== null && now >= entry.offerExpiresMs;
}

/**
 * When a hold offered at `now` ends: `holdMs` later, but never after the slot starts (a hold on a
 * slot in progress would offer time already spent). Undefined when the slot has started: no offer.
 */
export function holdEnd(slotMs: number, now: number, holdMs: number): number | undefined {
  if (hasStarted(slotMs, now)) return undefined;
  return Math.min(now + holdMs, slotMs);
}

/** Only the waiter may confirm, only while the hold stands. */
export function canConfirm(entry: WaitlistEntry, viewer: Actor, now: number): boolean {
  return entry.cientista_id === viewer.id && holdStands(entry, now);
}

/** The waiter (or an admin) may leave an open entry. */
export function canLeave(entry: WaitlistEntry, viewer: Actor): boolean {
  return isOpen(entry.status) && isOwnerOrAdmin(entry, viewer);
}

export type JoinRefusal = 'slot-free' | 'own-booking' | 'started';

/**
 * Whether a scientist may join a slot's list: the slot must be taken by someone else's booking or
 * held for another waiter, and not started. Joining a free slot makes no sense (book it instead).
 */
export function joinRefusal(input: {
  slotMs: number;
  now: number;
  bookedBy: number | undefined;
  heldFor: number | undefined;
  actorId: number;
}): JoinRefusal | undefined {
  if (hasStarted(input.slotMs, input.now)) return 'started';
  if (input.bookedBy === input.actorId) return 'own-booking';
  if (input.bookedBy === undefined && (input.heldFor === undefined || input.heldFor === input.actorId))
    return 'slot-free';
  return undefined;
}
