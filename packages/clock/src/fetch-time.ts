import type { FetchTime, ServerStamps } from './sync.js';

/** Largest magnitude an ECMAScript Date accepts, in epoch milliseconds. */
const MAX_EPOCH_MS = 8.64e15;

function stamp(body: Record<string, unknown>, field: string): number {
  const value = body[field];
  if (typeof value !== 'number') {
    throw new TypeError(
      `GET /time: ${field} must be a number, got ${value === null ? 'null' : typeof value}`,
    );
  }
  if (!Number.isFinite(value) || Math.abs(value) > MAX_EPOCH_MS) {
    throw new RangeError(`GET /time: ${field} is not a valid epoch-milliseconds value (${value})`);
  }
  return value;
}

/**
 * The scheduler's `GET /time` answer `{ recebido_epoch_ms, enviado_epoch_ms, … }` as the server's
 * receive (t1) and transmit (t2) stamps. Throws TypeError or RangeError on anything else, including
 * a transmit stamp earlier than the receive stamp.
 */
export function fromTimeResponse(json: unknown): ServerStamps {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError('GET /time: expected a JSON object');
  }
  const body = json as Record<string, unknown>;
  const t1 = stamp(body, 'recebido_epoch_ms');
  const t2 = stamp(body, 'enviado_epoch_ms');
  if (t2 < t1) {
    throw new RangeError(`GET /time: enviado_epoch_ms (${t2}) precedes recebido_epoch_ms (${t1})`);
  }
  return { t1, t2 };
}

/** The part of the global `fetch` that {@link createFetchTime} uses. */
export type FetchLike = (
  url: string,
  init: {
    method: 'GET';
    cache: 'no-store';
    headers: Record<string, string>;
    signal: AbortSignal;
  },
) => Promise<{ readonly ok: boolean; readonly status: number; json(): Promise<unknown> }>;

/**
 * The URL of `GET /time`: a URL whose path already ends in `/time` is used as it is, anything else is
 * taken as the API's base URL. Relative URLs resolve against the page's location in a browser.
 */
export function timeUrl(baseOrUrl: string | URL): string {
  const location = (globalThis as { location?: { href?: unknown } }).location;
  const pageBase = typeof location?.href === 'string' ? location.href : undefined;
  const url = new URL(baseOrUrl, pageBase);
  if (!/\/time$/.test(url.pathname)) {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/time`;
  }
  return url.href;
}

/**
 * A {@link FetchTime} over HTTP: `GET <base>/time` with `cache: 'no-store'` (a cached answer would
 * carry stale stamps), parsed by {@link fromTimeResponse}. Non-2xx answers and bad bodies reject.
 */
export function createFetchTime(baseOrUrl: string | URL, fetchImpl?: FetchLike): FetchTime {
  const url = timeUrl(baseOrUrl);
  const doFetch: FetchLike = fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
  return async (signal) => {
    const response = await doFetch(url, {
      method: 'GET',
      cache: 'no-store',
      headers: { accept: 'application/json' },
      signal,
    });
    if (!response.ok) throw new Error(`GET ${url} answered HTTP ${response.status}`);
    return fromTimeResponse(await response.json());
  };
}
