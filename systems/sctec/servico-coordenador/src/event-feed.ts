import {
  createSseHub,
  type SctecEventDataMap,
  type SctecEventPayload,
  type SctecEventType,
  type SseHub,
} from '@dslab/event-client';
import type { TokenSource } from './domain/lock-table.js';

/** Events kept for Last-Event-ID replay. */
export const DEFAULT_EVENT_BUFFER_SIZE = 1000;
/** Interval of the `: ping` comment on idle streams. */
export const DEFAULT_EVENT_HEARTBEAT_MS = 15_000;

/** What POST /eventos learns about an event it published. */
export interface PublishedEvent {
  /** The event's id on the stream (strictly increasing). */
  id: number;
  /**
   * How many of THIS coordinator's open streams were written the event. With a shared feed the
   * other coordinators deliver it to their own streams; their counts are not known here.
   */
  delivered: number;
  payload: SctecEventPayload;
}

export interface EventFeed {
  /** Where events are numbered and fanned out: 'memory' (this process only) or 'redis' (shared). */
  readonly kind: 'memory' | 'redis';
  /** The SSE side: subscribers, replay, heartbeats (see @dslab/event-client's createSseHub). */
  readonly hub: SseHub;
  /**
   * Numbers the event, keeps it for replay and sends it to every subscriber. Rejects with an
   * AppError('unavailable') when the shared store cannot take it (nothing was published then).
   */
  publish<T extends SctecEventType>(tipo: T, dados: SctecEventDataMap[T]): Promise<PublishedEvent>;
  /** 'ok', or why events may not flow right now (e.g. the shared store is unreachable). */
  health(): string;
  /** Ends every stream and refuses new ones; a shared feed also closes its connections. */
  close(): void;
}

/**
 * The `data:` of an event (booking or waitlist, the same way) as every subscriber sees it,
 * stamped with the receiving coordinator's clock.
 */
export function eventPayload<T extends SctecEventType>(
  tipo: T,
  dados: SctecEventDataMap[T],
  now: () => number,
): SctecEventPayload {
  // `dados` matches `tipo` (the signature says so), which TypeScript cannot follow into the spread.
  return { tipo, ...dados, emitido_em_utc: new Date(now()).toISOString() } as SctecEventPayload;
}

/**
 * The coordinator's second job (seed 000: "disseminação de eventos em tempo real"): booking
 * and waitlist events published by the scheduler get a strictly increasing id and go out to every
 * subscriber of GET /eventos. Ids come from a TokenSource, so with the file store (main.ts)
 * they keep growing across restarts and a subscriber's Last-Event-ID from before a restart
 * is recognised as too old (→ `event: reset`), never mistaken for a newer event.
 *
 * This feed lives in one process: with several coordinators behind one address use the shared
 * feed of adapters/event-feed-redis.ts instead.
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
    kind: 'memory',
    hub,
    async publish(tipo, dados) {
      const id = deps.ids.next();
      const payload = eventPayload(tipo, dados, deps.now);
      const delivered = hub.publish({ id, event: tipo, data: JSON.stringify(payload) });
      return { id, delivered, payload };
    },
    health: () => 'ok',
    close: () => hub.close(),
  };
}
