/**
 * Live board updates. Prefers Server-Sent Events (the root's `_links.eventos`); without that link,
 * or while the stream is down, polls every 5 s. On every (re)connect and on `event: reset` the
 * board is reloaded, since events sent while disconnected may be lost.
 *
 * Events: bookings created or cancelled, and waitlist holds offered to a waiter or expired
 * (issue 9: ESPERA_OFERECIDA / ESPERA_EXPIRADA).
 */

export type LiveMode = 'connecting' | 'sse' | 'polling' | 'offline';

export type BookingEventType = 'AGENDAMENTO_CRIADO' | 'AGENDAMENTO_CANCELADO';
export type WaitlistEventType = 'ESPERA_OFERECIDA' | 'ESPERA_EXPIRADA';

export interface BookingEvent {
  readonly tipo: BookingEventType;
  readonly agendamento_id: number;
  readonly telescopio_id: string;
  readonly cientista_id: number;
  readonly horario_inicio_utc: string;
  readonly horario_fim_utc: string;
  readonly status: string;
}

/** A slot's hold offered to the next waiter, or an offered hold that ran out unconfirmed. */
export interface WaitlistEvent {
  readonly tipo: WaitlistEventType;
  readonly espera_id: number;
  readonly telescopio_id: string;
  /** The waiter the entry belongs to. */
  readonly cientista_id: number;
  readonly horario_inicio_utc: string;
  readonly horario_fim_utc: string;
  readonly status: string;
  readonly oferta_expira_em_utc: string | null;
}

export type LiveEvent = BookingEvent | WaitlistEvent;

export const POLL_INTERVAL_MS = 5_000;
const RECONNECT_AFTER_MS = 15_000;
const BOOKING_EVENT_TYPES: readonly BookingEventType[] = ['AGENDAMENTO_CRIADO', 'AGENDAMENTO_CANCELADO'];
const WAITLIST_EVENT_TYPES: readonly WaitlistEventType[] = ['ESPERA_OFERECIDA', 'ESPERA_EXPIRADA'];
const EVENT_TYPES: readonly string[] = [...BOOKING_EVENT_TYPES, ...WAITLIST_EVENT_TYPES];

/** Reads one event's data; undefined for anything that is not a well-formed live event. */
export function parseLiveEvent(eventName: string, data: string): LiveEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const tipo = typeof v.tipo === 'string' ? v.tipo : eventName;
  if ((WAITLIST_EVENT_TYPES as readonly string[]).includes(tipo)) return waitlistEvent(tipo, v);
  if (!(BOOKING_EVENT_TYPES as readonly string[]).includes(tipo)) return undefined;
  if (
    typeof v.agendamento_id !== 'number' ||
    typeof v.telescopio_id !== 'string' ||
    typeof v.cientista_id !== 'number' ||
    typeof v.horario_inicio_utc !== 'string' ||
    typeof v.horario_fim_utc !== 'string'
  ) {
    return undefined;
  }
  return {
    tipo: tipo as BookingEventType,
    agendamento_id: v.agendamento_id,
    telescopio_id: v.telescopio_id,
    cientista_id: v.cientista_id,
    horario_inicio_utc: v.horario_inicio_utc,
    horario_fim_utc: v.horario_fim_utc,
    status: typeof v.status === 'string' ? v.status : tipo === 'AGENDAMENTO_CRIADO' ? 'ativo' : 'cancelado',
  };
}

function waitlistEvent(tipo: string, v: Record<string, unknown>): WaitlistEvent | undefined {
  if (
    typeof v.espera_id !== 'number' ||
    typeof v.telescopio_id !== 'string' ||
    typeof v.cientista_id !== 'number' ||
    typeof v.horario_inicio_utc !== 'string' ||
    typeof v.horario_fim_utc !== 'string'
  ) {
    return undefined;
  }
  return {
    tipo: tipo as WaitlistEventType,
    espera_id: v.espera_id,
    telescopio_id: v.telescopio_id,
    cientista_id: v.cientista_id,
    horario_inicio_utc: v.horario_inicio_utc,
    horario_fim_utc: v.horario_fim_utc,
    status: typeof v.status === 'string' ? v.status : tipo === 'ESPERA_OFERECIDA' ? 'oferecida' : 'expirada',
    oferta_expira_em_utc: typeof v.oferta_expira_em_utc === 'string' ? v.oferta_expira_em_utc : null,
  };
}

/** Only booking events (the board's part of the stream). */
export function parseBookingEvent(eventName: string, data: string): BookingEvent | undefined {
  const event = parseLiveEvent(eventName, data);
  return event !== undefined && isBookingEvent(event) ? event : undefined;
}

export function isBookingEvent(event: LiveEvent): event is BookingEvent {
  return event.tipo === 'AGENDAMENTO_CRIADO' || event.tipo === 'AGENDAMENTO_CANCELADO';
}

export interface LiveOptions {
  /** `_links.eventos.href` of the root, when the server offers it. */
  eventsHref: string | undefined;
  onEvent(event: LiveEvent): void;
  /** Reload everything: on connect, on reconnect, on `reset`, and on every poll. */
  reload(): void;
  onMode(mode: LiveMode): void;
}

export function startLive(options: LiveOptions): { stop(): void } {
  let source: EventSource | undefined;
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const startPolling = () => {
    if (pollTimer !== undefined) return;
    options.onMode('polling');
    pollTimer = setInterval(() => options.reload(), POLL_INTERVAL_MS);
  };
  const stopPolling = () => {
    if (pollTimer !== undefined) clearInterval(pollTimer);
    pollTimer = undefined;
  };

  const connect = (href: string) => {
    // While polling already keeps the board fresh, a new attempt at the stream changes nothing visible.
    if (pollTimer === undefined) options.onMode('connecting');
    const es = new EventSource(href);
    source = es;
    es.addEventListener('open', () => {
      stopPolling();
      options.onMode('sse');
      options.reload();
    });
    const handle = (name: string) => (event: MessageEvent<unknown>) => {
      const parsed = typeof event.data === 'string' ? parseLiveEvent(name, event.data) : undefined;
      if (parsed !== undefined) options.onEvent(parsed);
    };
    for (const type of EVENT_TYPES) es.addEventListener(type, handle(type));
    es.addEventListener('message', handle('message'));
    es.addEventListener('reset', () => options.reload());
    es.addEventListener('error', () => {
      if (stopped) return;
      // The browser retries by itself while readyState is CONNECTING; poll meanwhile so the board
      // stays fresh. CLOSED means it gave up (an HTTP error): poll, and try the stream again later.
      startPolling();
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        reconnectTimer = setTimeout(() => {
          if (!stopped) connect(href);
        }, RECONNECT_AFTER_MS);
      }
    });
  };

  if (options.eventsHref === undefined) {
    startPolling();
  } else {
    connect(options.eventsHref);
  }

  return {
    stop() {
      stopped = true;
      source?.close();
      stopPolling();
      if (reconnectTimer !== undefined) clearTimeout(reconnectTimer);
    },
  };
}
