import { traceparentFor } from '@dslab/logging';
import { Pool } from 'undici';
import type { SctecEventDataMap, SctecEventType } from './events.js';

export type PublishResult =
  | { ok: true; id: number }
  | {
      ok: false;
      /** Why, for a log line: a status and detail, "timeout after N ms", or the network error. */
      reason: string;
      status?: number;
    };

export interface EventPublisher {
  /**
   * POSTs one event to the coordinator's /eventos. Never throws and never takes longer than
   * `timeoutMs` (connect, send and answer together): a booking must not fail or stall because
   * the event feed is down. The caller logs a failed result and moves on. `dados` must be the
   * shape of `tipo` (BookingEventData for AGENDAMENTO_*, WaitlistEventData for ESPERA_*).
   */
  publish<T extends SctecEventType>(
    tipo: T,
    dados: SctecEventDataMap[T],
    traceId?: string,
  ): Promise<PublishResult>;
  close(): Promise<void>;
}

export interface EventPublisherOptions {
  /** The coordinator's base URL (its COORDINATOR_URL); events go to `<baseUrl>/eventos`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <secret>` when the coordinator has COORDINATOR_SECRET. */
  secret?: string | undefined;
  /** Bound on one publish, everything included. Default 500 ms. */
  timeoutMs?: number;
  /** Keep-alive connections in the pool. Default 8. */
  connections?: number;
}

/** Publisher of SCTEC events (booking and waitlist) over a keep-alive undici Pool (no TCP handshake per event). */
export function createEventPublisher(options: EventPublisherOptions): EventPublisher {
  const base = new URL(options.baseUrl);
  const path = `${base.pathname.replace(/\/+$/, '')}/eventos`;
  const timeoutMs = options.timeoutMs ?? 500;
  const pool = new Pool(base.origin, {
    connections: options.connections ?? 8,
    keepAliveTimeout: 60_000,
    pipelining: 1,
    connect: { timeout: timeoutMs },
  });
  let closed = false;

  return {
    async publish(tipo, dados, traceId) {
      if (closed) return { ok: false, reason: 'the publisher is closed' };
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (options.secret !== undefined) headers.authorization = `Bearer ${options.secret}`;
      if (traceId !== undefined) headers.traceparent = traceparentFor(traceId);
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const response = await pool.request({
          path,
          method: 'POST',
          headers,
          body: JSON.stringify({ tipo, dados }),
          signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        const text = await response.body.text();
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        if (response.statusCode === 202 && typeof json?.id === 'number') return { ok: true, id: json.id };
        const detail = typeof json?.detail === 'string' ? `: ${json.detail}` : '';
        return { ok: false, status: response.statusCode, reason: `status ${response.statusCode}${detail}` };
      } catch (error) {
        if (signal.aborted) return { ok: false, reason: `no answer within ${timeoutMs} ms` };
        return { ok: false, reason: describe(error) };
      }
    },
    async close() {
      closed = true;
      await pool.close();
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${typeof code === 'string' ? `${code} ` : ''}${error.message}${cause}`.trim();
  }
  return String(error);
}
