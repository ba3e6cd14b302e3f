import { randomBytes } from 'node:crypto';

/**
 * W3C Trace Context (traceparent) helpers: the trace id is the request id that crosses
 * service boundaries; each hop gets a fresh parent (span) id.
 */

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface TraceContext {
  traceId: string;
  spanId: string;
}

export function parseTraceparent(header: string | undefined): TraceContext | undefined {
  if (header === undefined) return undefined;
  const match = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!match) return undefined;
  const [, version, traceId, spanId] = match;
  if (version === 'ff' || traceId === undefined || spanId === undefined) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId };
}

export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

/** The traceparent header to send on an outgoing call that belongs to `traceId`. */
export function traceparentFor(traceId: string): string {
  return `00-${traceId}-${newSpanId()}-01`;
}
