/**
 * The SCTEC booking events (seed 000: "disseminação de eventos em tempo real"). The scheduler
 * publishes one after a booking is created or cancelled (after the transaction commits), the
 * coordinator numbers and fans them out, and browsers receive them through the scheduler.
 * Field names are the seed's (Portuguese), as everywhere on the wire.
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

/** The SSE event name that tells a subscriber to reload its state (events may have been missed). */
export const RESET_EVENT = 'reset';

export function isBookingEventType(value: string): value is BookingEventType {
  return (BOOKING_EVENT_TYPES as readonly string[]).includes(value);
}
