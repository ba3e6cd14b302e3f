import { randomFillSync } from 'node:crypto';

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

/*
 * Ids are cut from a pool of CSPRNG bytes refilled 4 KiB at a time (the way Node's own
 * randomUUID caches its entropy): one call into the generator per 256 trace ids instead of one
 * per id, which was ~9 % of the CPU of a hello-world request on http-kit. Every id still gets
 * all-random bits from crypto, so ids stay unguessable and fit tracers that sample on them.
 * Module state on purpose: it is a cache of random bytes, nothing to wire or to reset.
 */
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let used = POOL_BYTES;

function randomHex(bytes: number): string {
  if (used + bytes > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** A new trace id: 32 lowercase hex digits, 128 random bits, never all zeros (W3C forbids it). */
export function newTraceId(): string {
  let id = randomHex(16);
  while (id === ZERO_TRACE_ID) id = randomHex(16);
  return id;
}

/** A new span (parent) id: 16 lowercase hex digits, 64 random bits, never all zeros. */
export function newSpanId(): string {
  let id = randomHex(8);
  while (id === ZERO_SPAN_ID) id = randomHex(8);
  return id;
}

/** The traceparent header to send on an outgoing call that belongs to `traceId`. */
export function traceparentFor(traceId: string): string {
  return `00-${traceId}-${newSpanId()}-01`;
}
