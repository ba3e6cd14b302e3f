/**
 * HAL links (`_links`). Hrefs are relative paths; path segments taken from data are
 * percent-encoded. Non-GET links carry a `method` hint so clients follow links instead of
 * building URLs.
 */
import { showsCancelLink, type Actor, type CancellableBooking } from './booking.js';

export type LinkMethod = 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH';

export interface Link {
  readonly href: string;
  readonly method?: LinkMethod;
  readonly title?: string;
  readonly templated?: boolean;
}

export interface BookingForLinks extends CancellableBooking {
  readonly id: number;
  readonly telescopio_id: string;
}

export interface BookingLinks {
  readonly self: Link;
  readonly cancelar?: Link;
  readonly telescopio: Link;
  readonly cientista: Link;
}

/** Builds a path from fixed segments and encoded values: path`/telescopios/${id}`. */
export function path(strings: TemplateStringsArray, ...values: readonly (string | number)[]): string {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += encodeURIComponent(String(value)) + (strings[i + 1] ?? '');
  });
  return out;
}

export function bookingHref(id: number): string {
  return path`/agendamentos/${id}`;
}

export function cancellationHref(id: number): string {
  return path`/agendamentos/${id}/cancelamento`;
}

export function telescopeHref(telescopeId: string): string {
  return path`/telescopios/${telescopeId}`;
}

export function scientistHref(id: number): string {
  return path`/cientistas/${id}`;
}

/**
 * Links of one booking as `viewer` sees it at `now`. `cancelar` (POST) is present only when the
 * viewer may cancel it now (see canCancel: active, owner or admin, not started).
 */
export function bookingLinks(booking: BookingForLinks, viewer: Actor, now: number): BookingLinks {
  const common = {
    self: { href: bookingHref(booking.id) },
    telescopio: { href: telescopeHref(booking.telescopio_id) },
    cientista: { href: scientistHref(booking.cientista_id) },
  };
  if (!showsCancelLink(booking, viewer, now)) return common;
  return {
    ...common,
    cancelar: { href: cancellationHref(booking.id), method: 'POST', title: 'Cancelar este agendamento' },
  };
}
