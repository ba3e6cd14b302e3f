/**
 * The SCTEC live events (seed 000: "disseminação de eventos em tempo real"). The scheduler
 * publishes one after a change commits (a booking created or cancelled, a waitlist hold offered
 * or expired), the coordinator numbers and fans them out, and browsers receive them through the
 * scheduler. Field names are the seed's (Portuguese), as everywhere on the wire.
 */
export const BOOKING_EVENT_TYPES = ['AGENDAMENTO_CRIADO', 'AGENDAMENTO_CANCELADO'] as const;

export type BookingEventType = (typeof BOOKING_EVENT_TYPES)[number];

/** `dados` of POST /eventos: the booking as it is after the change. */
export interface BookingEventData {
  agendamento_id: number;
  telescopio_id: string;
  cientista_id: number;
  horario_inicio_utc: string;
  horario_fim_utc: string;
  status: 'ativo' | 'cancelado';
  /** `seq` of the audit entry written in the same transaction: the commit order of changes. */
  audit_seq: number;
}

/** What a subscriber finds in `data:` of an SSE booking event. */
export interface BookingEventPayload extends BookingEventData {
  tipo: BookingEventType;
  /** When the coordinator received the event (UTC, milliseconds, `Z`). */
  emitido_em_utc: string;
}

/**
 * Waitlist events: a slot's hold was offered to the next waiter (ESPERA_OFERECIDA; the browser of
 * that scientist GETs `/esperas/{espera_id}` for its `confirmar` link), or an offered hold ran out
 * unconfirmed (ESPERA_EXPIRADA; the hold passes on, usually with an ESPERA_OFERECIDA right after).
 */
export const WAITLIST_EVENT_TYPES = ['ESPERA_OFERECIDA', 'ESPERA_EXPIRADA'] as const;

export type WaitlistEventType = (typeof WAITLIST_EVENT_TYPES)[number];

/** `dados` of POST /eventos for a waitlist event: the entry as it is after the change. */
export interface WaitlistEventData {
  espera_id: number;
  telescopio_id: string;
  /** The waiter the entry belongs to. */
  cientista_id: number;
  /** The contested slot. */
  horario_inicio_utc: string;
  horario_fim_utc: string;
  /** 'oferecida' for ESPERA_OFERECIDA, 'expirada' for ESPERA_EXPIRADA. */
  status: 'oferecida' | 'expirada';
  /** Until when the hold is offered (UTC): required for ESPERA_OFERECIDA; the lapsed deadline or null for ESPERA_EXPIRADA. */
  oferta_expira_em_utc: string | null;
  /** `seq` of the audit entry written in the same transaction: the commit order of changes. */
  audit_seq: number;
}

/** What a subscriber finds in `data:` of an SSE waitlist event. */
export interface WaitlistEventPayload extends WaitlistEventData {
  tipo: WaitlistEventType;
  /** When the coordinator received the event (UTC, milliseconds, `Z`). */
  emitido_em_utc: string;
}

/** Every event type of the stream. */
export const ALL_EVENT_TYPES = [...BOOKING_EVENT_TYPES, ...WAITLIST_EVENT_TYPES] as const;

export type SctecEventType = BookingEventType | WaitlistEventType;

/** The `dados` each event type carries. */
export interface SctecEventDataMap {
  AGENDAMENTO_CRIADO: BookingEventData;
  AGENDAMENTO_CANCELADO: BookingEventData;
  ESPERA_OFERECIDA: WaitlistEventData;
  ESPERA_EXPIRADA: WaitlistEventData;
}

/** `dados` of an event of type T (of any type when T is left out). */
export type SctecEventData<T extends SctecEventType = SctecEventType> = SctecEventDataMap[T];

/** The body of POST /eventos: `{ tipo, dados }` with `dados` matching `tipo`. */
export type SctecEvent<T extends SctecEventType = SctecEventType> = {
  [K in T]: { tipo: K; dados: SctecEventDataMap[K] };
}[T];

/** What a subscriber finds in `data:` of an SSE event of type T: `dados` plus `tipo` and `emitido_em_utc`. */
export type SctecEventPayload<T extends SctecEventType = SctecEventType> = {
  [K in T]: SctecEventDataMap[K] & { tipo: K; emitido_em_utc: string };
}[T];

/** The `status` in `dados` that each event type requires. */
export const EVENT_STATUS = {
  AGENDAMENTO_CRIADO: 'ativo',
  AGENDAMENTO_CANCELADO: 'cancelado',
  ESPERA_OFERECIDA: 'oferecida',
  ESPERA_EXPIRADA: 'expirada',
} as const satisfies { [T in SctecEventType]: SctecEventDataMap[T]['status'] };

/** The SSE event name that tells a subscriber to reload its state (events may have been missed). */
export const RESET_EVENT = 'reset';

export function isBookingEventType(value: string): value is BookingEventType {
  return (BOOKING_EVENT_TYPES as readonly string[]).includes(value);
}

export function isWaitlistEventType(value: string): value is WaitlistEventType {
  return (WAITLIST_EVENT_TYPES as readonly string[]).includes(value);
}

export function isSctecEventType(value: string): value is SctecEventType {
  return (ALL_EVENT_TYPES as readonly string[]).includes(value);
}
