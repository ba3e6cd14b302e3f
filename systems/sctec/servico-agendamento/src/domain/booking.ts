/**
 * Booking states and who may cancel what.
 *
 * Cancelling is refused once the booking's first slot has started (`now >= startMs`, the same
 * "started" predicate planBooking uses): observation time that has begun, or passed, is spent;
 * releasing it afterwards would only rewrite history in the audit trail. Admins obey this too.
 */
import { hasStarted } from './slots.js';

/** Wire values (Portuguese, as in the seed's models). */
export const BOOKING_STATUSES = ['ativo', 'cancelado'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

export const ACTOR_ROLES = ['cientista', 'admin'] as const;
export type ActorRole = (typeof ACTOR_ROLES)[number];

export function isBookingStatus(value: unknown): value is BookingStatus {
  return value === 'ativo' || value === 'cancelado';
}

export function isActorRole(value: unknown): value is ActorRole {
  return value === 'cientista' || value === 'admin';
}

/** The authenticated caller. `id` is the scientist id (admins are scientists with the admin role). */
export interface Actor {
  readonly id: number;
  readonly papel: ActorRole;
}

/** What cancelling needs to know about a booking. */
export interface CancellableBooking {
  readonly cientista_id: number;
  readonly status: BookingStatus;
  /** Start of the first slot, epoch ms. */
  readonly startMs: number;
}

/**
 * - `ok`: the actor may cancel now.
 * - `forbidden`: neither the owner nor an admin (checked first, so a stranger learns nothing more).
 * - `already-cancelled`: nothing left to cancel.
 * - `already-started`: the first slot has started or passed; the time is spent.
 */
export type CancelDecision = 'ok' | 'forbidden' | 'already-cancelled' | 'already-started';

export function isOwnerOrAdmin(booking: Pick<CancellableBooking, 'cientista_id'>, actor: Actor): boolean {
  return actor.papel === 'admin' || actor.id === booking.cientista_id;
}

/** Decides a cancellation request. Order: forbidden, already-cancelled, already-started, ok. */
export function canCancel(booking: CancellableBooking, actor: Actor, now: number): CancelDecision {
  if (!isOwnerOrAdmin(booking, actor)) return 'forbidden';
  if (booking.status === 'cancelado') return 'already-cancelled';
  if (hasStarted(booking.startMs, now)) return 'already-started';
  return 'ok';
}

/** A booking exposes its `cancelar` link exactly when `canCancel` says `ok` for the viewer. */
export function showsCancelLink(booking: CancellableBooking, viewer: Actor, now: number): boolean {
  return canCancel(booking, viewer, now) === 'ok';
}
