import {
  createSseHub,
  type BookingEventData,
  type BookingEventPayload,
  type BookingEventType,
  type SseHub,
} from '@dslab/event-client';
import type { TokenSource } from './domain/lock-table.js';

/** Events kept for Last-Event-ID replay. */
export const DEFAULT_EVENT_BUFFER_SIZE = 1000;
/** Interval of the `: ping` comment on idle streams. */
export const DEFAULT_EVENT_HEARTBEAT_MS = 15_000;

export interface EventFeed {
  /** The SSE side: subscribers, replay, heartbeats (see @dslab/event-client's createSseHub). */
  readonly hub: SseHub;
  /** Numbers the event, keeps it for replay and sends it to every subscriber. */
  publish(
    tipo: BookingEventType,
    dados: BookingEventData,
  ): { id: number; delivered: number; payload: BookingEventPayload };
  close(): void;
}

/**
 * The coordinator's second job (seed 000: "disseminação de eventos em tempo real"): booking
 * events published by the scheduler get a strictly increasing id and go out to every
 * subscriber of GET /eventos. Ids come from a TokenSource, so with the file store (main.ts)
 * they keep growing across restarts and a subscriber's Last-Event-ID from before a restart
 * is recognised as too old (→ `event: reset`), never mistaken for a newer event.
 */
export function createEventFeed(deps: {
  ids: TokenSource;
  now: () => number;
  capacity?: number;
  heartbeatMs?: number;
  maxSubscribers?: number;
}): EventFeed {
  const hub = createSseHub({
    capacity: deps.capacity ?? DEFAULT_EVENT_BUFFER_SIZE,
    heartbeatMs: deps.heartbeatMs ?? DEFAULT_EVENT_HEARTBEAT_MS,
    ...(deps.maxSubscribers === undefined ? {} : { maxSubscribers: deps.maxSubscribers }),
  });
  return {
    hub,
    publish(tipo, dados) {
      const id = deps.ids.next();
      const payload: BookingEventPayload = {
        tipo,
        ...dados,
        emitido_em_utc: new Date(deps.now()).toISOString(),
      };
      const delivered = hub.publish({ id, event: tipo, data: JSON.stringify(payload) });
      return { id, delivered, payload };
    },
    close: () => hub.close(),
  };
}
