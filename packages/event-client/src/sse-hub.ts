/**
 * The server side of an event stream: a ring buffer of the latest events, the fan-out to every
 * connected subscriber, Last-Event-ID replay, heartbeats and shutdown. The coordinator uses one
 * for the booking events it numbers; the scheduler's relay uses one to re-serve those events
 * to browsers with the same ids.
 *
 * Resuming (the `Last-Event-ID` request header). Ids are integers, strictly increasing within
 * one hub. The hub can replay exactly the events after id L when it knows every event after L:
 *
 *   no Last-Event-ID                  → live events only (a fresh client loads its state itself);
 *   L not a decimal integer           → reset;
 *   nothing published since start or
 *   since the last reset()            → reset (whatever came before is unknown here);
 *   L > newest id                     → reset (an id from another life of the stream);
 *   L < resumeFrom                    → reset (older than the buffer: evicted, or before a reset);
 *   otherwise                         → replay the buffered events with id > L, then live.
 *
 * `resumeFrom` is the first id published after start or reset, and moves up to the id of each
 * event the ring evicts (a client that saw the evicted event misses nothing that is still
 * buffered). "Reset" is `event: reset` with a JSON `data` naming the reason: the client reloads
 * its state from the source of truth and carries on with the live events that follow.
 */
import { AppError } from '@dslab/errors';
import type { OutgoingHttpHeader, ServerResponse } from 'node:http';
import { RESET_EVENT } from './events.js';
import { formatSseComment, formatSseEvent } from './sse-format.js';

export interface HubEvent {
  readonly id: number;
  readonly event: string;
  /** The `data:` payload, already serialized (JSON). */
  readonly data: string;
}

export type ResetReason =
  | 'malformed-id'
  | 'no-history'
  | 'unknown-id'
  | 'too-old'
  | 'upstream-reconnected'
  | 'upstream-reset'
  | 'out-of-order';

export type Resume =
  { kind: 'live' } | { kind: 'replay'; events: readonly HubEvent[] } | { kind: 'reset'; reason: ResetReason };

/** Response headers of an event stream; nothing in between may buffer or cache it. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // nginx (and proxies that follow it) would otherwise buffer the stream.
  'x-accel-buffering': 'no',
};

export interface SseHubOptions {
  /** Events kept for replay (the ring buffer), ≥ 1. */
  capacity: number;
  /** Interval of the `: ping` comment that keeps idle streams (and the proxies on the way) alive. */
  heartbeatMs: number;
  /** More concurrent streams than this are refused (`canAccept()` is false). Default 10 000. */
  maxSubscribers?: number;
  /**
   * A subscriber whose unsent output grows beyond this many bytes is disconnected (it reconnects
   * with its Last-Event-ID and is replayed or reset). Default 1 MiB.
   */
  maxBufferedBytes?: number;
  /** `retry:` sent on connect: how long an EventSource waits before reconnecting. Default 2000. */
  retryMs?: number;
}

export interface SseHub {
  readonly subscribers: number;
  /** Id of the newest event since start or the last reset. */
  readonly latestId: number | undefined;
  readonly closed: boolean;
  /** False once closed or full: answer 503 instead of attaching. */
  canAccept(): boolean;
  /** What attach() would do for this Last-Event-ID (no side effects). */
  resume(lastEventId: string | undefined): Resume;
  /**
   * Takes over `res`: writes the status line and SSE_HEADERS (plus `headers`), the `retry:`
   * hint, then the replay or the reset, then live events until either side closes.
   */
  attach(
    res: ServerResponse,
    options?: {
      lastEventId?: string | undefined;
      /** Headers to keep (e.g. Fastify's `reply.getHeaders()`: request id, security headers). */
      headers?: Readonly<Record<string, OutgoingHttpHeader | undefined>>;
    },
  ): Resume;
  /** Buffers and sends an event; its id must exceed latestId. Returns how many streams got it. */
  publish(event: HubEvent): number;
  /** A discontinuity (e.g. the upstream was lost): forget the buffer, tell every subscriber to reload. */
  reset(reason: ResetReason): number;
  /** Ends every stream (and its connection, so a server close is not held up) and refuses new ones. */
  close(): void;
}

interface Subscriber {
  res: ServerResponse;
}

export function createSseHub(options: SseHubOptions): SseHub {
  const { capacity, heartbeatMs } = options;
  if (!Number.isSafeInteger(capacity) || capacity < 1)
    throw new RangeError(`capacity must be ≥ 1, got ${capacity}`);
  const maxSubscribers = options.maxSubscribers ?? 10_000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  const retryMs = options.retryMs ?? 2000;

  // Ring buffer: `ring[(head + i) % capacity]` for i in [0, count), oldest first.
  const ring: (HubEvent | undefined)[] = new Array<HubEvent | undefined>(capacity);
  let head = 0;
  let count = 0;
  let latestId: number | undefined;
  let resumeFrom: number | undefined;
  let closed = false;
  const subscribers = new Set<Subscriber>();
  let heartbeat: NodeJS.Timeout | undefined;

  const at = (i: number) => ring[(head + i) % capacity] as HubEvent;

  function clear(): void {
    ring.fill(undefined);
    head = 0;
    count = 0;
    latestId = undefined;
    resumeFrom = undefined;
  }

  function eventsAfter(id: number): HubEvent[] {
    // Ids increase along the ring: binary search for the first one above `id`.
    let low = 0;
    let high = count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (at(mid).id <= id) low = mid + 1;
      else high = mid;
    }
    const out: HubEvent[] = [];
    for (let i = low; i < count; i++) out.push(at(i));
    return out;
  }

  function resume(lastEventId: string | undefined): Resume {
    if (lastEventId === undefined || lastEventId.trim() === '') return { kind: 'live' };
    const text = lastEventId.trim();
    if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
      return { kind: 'reset', reason: 'malformed-id' };
    }
    const id = Number(text);
    if (latestId === undefined || resumeFrom === undefined) return { kind: 'reset', reason: 'no-history' };
    if (id > latestId) return { kind: 'reset', reason: 'unknown-id' };
    if (id < resumeFrom) return { kind: 'reset', reason: 'too-old' };
    return { kind: 'replay', events: eventsAfter(id) };
  }

  function drop(subscriber: Subscriber): void {
    if (!subscribers.delete(subscriber)) return;
    if (subscribers.size === 0 && heartbeat !== undefined) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  }

  function write(subscriber: Subscriber, text: string): boolean {
    const { res } = subscriber;
    if (res.destroyed || res.writableEnded) {
      drop(subscriber);
      return false;
    }
    res.write(text);
    if (res.writableLength > maxBufferedBytes) {
      // Too slow to keep up: cut it loose rather than buffer without bound.
      drop(subscriber);
      res.destroy();
      return false;
    }
    return true;
  }

  function broadcast(text: string): number {
    let delivered = 0;
    for (const subscriber of [...subscribers]) if (write(subscriber, text)) delivered += 1;
    return delivered;
  }

  const resetText = (reason: ResetReason) =>
    formatSseEvent({ event: RESET_EVENT, data: JSON.stringify({ motivo: reason }) });

  return {
    get subscribers() {
      return subscribers.size;
    },
    get latestId() {
      return latestId;
    },
    get closed() {
      return closed;
    },
    canAccept: () => !closed && subscribers.size < maxSubscribers,
    resume,
    attach(res, attachOptions = {}) {
      if (closed) throw new Error('the event hub is closed; check canAccept() first');
      const decision = resume(attachOptions.lastEventId);
      const headers: Record<string, OutgoingHttpHeader> = {};
      for (const [name, value] of Object.entries(attachOptions.headers ?? {})) {
        if (value !== undefined) headers[name.toLowerCase()] = value;
      }
      // content-length (or a content-encoding) set earlier would corrupt a stream.
      delete headers['content-length'];
      delete headers['content-encoding'];
      res.writeHead(200, { ...headers, ...SSE_HEADERS });
      // No Nagle delay on small event frames.
      res.socket?.setNoDelay(true);
      const subscriber: Subscriber = { res };
      let text = `retry: ${retryMs}\n\n`;
      if (decision.kind === 'replay') for (const event of decision.events) text += formatSseEvent(event);
      if (decision.kind === 'reset') text += resetText(decision.reason);
      subscribers.add(subscriber);
      res.once('close', () => drop(subscriber));
      write(subscriber, text);
      if (heartbeat === undefined && subscribers.size > 0) {
        heartbeat = setInterval(() => broadcast(formatSseComment('ping')), heartbeatMs);
        heartbeat.unref();
      }
      return decision;
    },
    publish(event) {
      if (closed) return 0;
      if (!Number.isSafeInteger(event.id) || event.id < 1) throw new RangeError(`bad event id ${event.id}`);
      if (latestId !== undefined && event.id <= latestId) {
        throw new RangeError(`event id ${event.id} does not follow ${latestId}`);
      }
      if (count === capacity) {
        const evicted = at(0);
        ring[head] = undefined;
        head = (head + 1) % capacity;
        count -= 1;
        resumeFrom = Math.max(resumeFrom ?? evicted.id, evicted.id);
      }
      ring[(head + count) % capacity] = event;
      count += 1;
      latestId = event.id;
      resumeFrom ??= event.id;
      return broadcast(formatSseEvent(event));
    },
    reset(reason) {
      clear();
      if (closed) return 0;
      return broadcast(resetText(reason));
    },
    close() {
      closed = true;
      if (heartbeat !== undefined) clearInterval(heartbeat);
      heartbeat = undefined;
      for (const { res } of subscribers) {
        // Ending the response leaves a keep-alive connection open; end that too, once flushed.
        res.end(() => res.socket?.end());
      }
      subscribers.clear();
    },
  };
}

/**
 * The 503 to answer a new subscriber when the hub takes no more streams (shutting down, or at
 * its limit), or undefined when it may subscribe. `who` names the service in the message.
 */
export function streamRefusal(hub: SseHub, who: string): AppError | undefined {
  if (hub.canAccept()) return undefined;
  return new AppError(
    'unavailable',
    hub.closed
      ? `The ${who} is shutting down; reconnect in a moment`
      : 'Too many open event streams; retry later',
    { headers: { 'retry-after': '2' } },
  );
}
