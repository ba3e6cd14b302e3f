/**
 * An EventSource for Node: subscribes to an SSE endpoint over undici, parses the stream (see
 * sse-parser.ts), and reconnects with exponential backoff, resending `Last-Event-ID` so the
 * server can replay what was missed (or answer `event: reset`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { RESET_EVENT } from './events.js';
import { createSseParser, type SseMessage } from './sse-parser.js';

export interface SubscribeOptions {
  /** The stream, e.g. `${COORDINATOR_URL}/eventos`. */
  url: string;
  /** Sent as `Authorization: Bearer <secret>`. */
  secret?: string | undefined;
  /** Resume after this id (sent as Last-Event-ID on the first connection too). */
  lastEventId?: string | undefined;
  headers?: Record<string, string>;
  /** Every event except `reset`. */
  onEvent: (event: SseMessage) => void;
  /** The server sent `event: reset`: events were missed, reload state from the source of truth. */
  onReset?: (event: SseMessage) => void;
  /**
   * A connection was established (status 200, text/event-stream). `reconnected` is true when an
   * earlier attempt existed (failed or dropped): if no Last-Event-ID could be sent, events may
   * have been missed in between and only a state reload can tell.
   */
  onOpen?: (info: { reconnected: boolean; lastEventId: string | undefined }) => void;
  /** A connection failed or dropped; the next attempt starts in `retryInMs`. */
  onError?: (error: Error, info: { attempt: number; retryInMs: number }) => void;
  /** Backoff between attempts: from `initialMs` (or the server's `retry:`), doubling up to `maxMs`. */
  retry?: { initialMs?: number; maxMs?: number };
  /**
   * No byte for this long means a dead connection (the server pings every 15 s): drop it and
   * reconnect. Default 45 s.
   */
  idleTimeoutMs?: number;
  /** Default: a connection of its own, closed with the subscription (no stray pooled sockets). */
  dispatcher?: Dispatcher;
}

export interface Subscription {
  /** The id of the last event received (what a reconnection sends as Last-Event-ID). */
  readonly lastEventId: string | undefined;
  readonly connected: boolean;
  /** Stops reconnecting and closes the connection. */
  close(): Promise<void>;
}

export class SseHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SseHttpError';
  }
}

export function subscribeEvents(options: SubscribeOptions): Subscription {
  const initialMs = options.retry?.initialMs ?? 500;
  const maxMs = options.retry?.maxMs ?? 10_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  const controller = new AbortController();
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher: Dispatcher = options.dispatcher ?? new Agent({ connections: 1 });
  const stopped = () => controller.signal.aborted;
  let lastEventId = options.lastEventId;
  let connected = false;
  let serverRetryMs: number | undefined;

  const report = (error: unknown, attempt: number, retryInMs: number) => {
    if (controller.signal.aborted) return;
    try {
      options.onError?.(error instanceof Error ? error : new Error(String(error)), { attempt, retryInMs });
    } catch {
      // A broken error handler must not stop the subscription.
    }
  };

  /** Runs a caller's callback; a throwing handler is reported, it does not break the stream. */
  function safely(callback: () => void, attempt: number): void {
    try {
      callback();
    } catch (error) {
      report(error, attempt, 0);
    }
  }

  async function connectOnce(attempt: number, onOpened: () => void): Promise<void> {
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      'cache-control': 'no-cache',
      ...options.headers,
    };
    if (options.secret !== undefined) headers.authorization = `Bearer ${options.secret}`;
    if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
    const response = await request(options.url, {
      method: 'GET',
      headers,
      signal: controller.signal,
      headersTimeout: idleTimeoutMs,
      bodyTimeout: idleTimeoutMs,
      dispatcher,
    });
    const type = String(response.headers['content-type'] ?? '');
    if (response.statusCode !== 200 || !type.startsWith('text/event-stream')) {
      const text = await response.body.text().catch(() => '');
      throw new SseHttpError(
        response.statusCode,
        `GET ${options.url} answered ${response.statusCode} (${type}): ${text.slice(0, 200)}`,
      );
    }
    connected = true;
    onOpened();
    const parser = createSseParser(
      (message) => {
        lastEventId = message.id ?? lastEventId;
        if (message.event === RESET_EVENT) {
          const onReset = options.onReset;
          if (onReset !== undefined) safely(() => onReset(message), attempt);
        } else {
          safely(() => options.onEvent(message), attempt);
        }
      },
      { lastEventId },
    );
    const onOpen = options.onOpen;
    if (onOpen !== undefined) safely(() => onOpen({ reconnected: attempt > 1, lastEventId }), attempt);
    const decoder = new TextDecoder('utf-8');
    try {
      for await (const chunk of response.body) {
        parser.push(decoder.decode(chunk as Uint8Array, { stream: true }));
        serverRetryMs = parser.retryMs ?? serverRetryMs;
      }
      parser.push(decoder.decode());
    } finally {
      parser.end();
      connected = false;
    }
    throw new Error(`GET ${options.url}: the server ended the stream`);
  }

  async function run(): Promise<void> {
    let attempt = 0;
    let failures = 0;
    while (!stopped()) {
      attempt += 1;
      const state = { opened: false };
      try {
        await connectOnce(attempt, () => {
          state.opened = true;
        });
      } catch (error) {
        if (stopped()) return;
        // After a stream that worked, start over from the shortest delay.
        if (state.opened) failures = 0;
        const base = options.retry?.initialMs ?? serverRetryMs ?? initialMs;
        const jitter = 0.8 + Math.random() * 0.4;
        const wait = Math.round(Math.min(base * 2 ** failures, maxMs) * jitter);
        failures = Math.min(failures + 1, 30);
        report(error, attempt, wait);
        try {
          await sleep(wait, undefined, { signal: controller.signal });
        } catch {
          return;
        }
      }
    }
  }

  const running = run();
  return {
    get lastEventId() {
      return lastEventId;
    },
    get connected() {
      return connected;
    },
    async close() {
      controller.abort();
      await running;
      if (ownsDispatcher) await dispatcher.destroy();
    },
  };
}
