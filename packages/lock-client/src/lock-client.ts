import { AppError } from '@dslab/errors';
import { traceparentFor } from '@dslab/logging';
import { Pool, errors as undiciErrors } from 'undici';

/** Wire shapes of servico-coordenador (field names from the seed, Portuguese). */
export interface LockGrantBody {
  recurso: string;
  token: number;
  ttl_restante_ms: number;
}

export type LockResult =
  | {
      granted: true;
      recurso: string;
      /** Fencing token: strictly increasing; present it to the store that the lock protects. */
      token: number;
      ttlRestanteMs: number;
      /**
       * performance.now() value after which the holder must assume it lost the lease:
       * the time the request was SENT plus the remaining TTL minus a safety margin
       * (DESIGN.md §7), never measured from when the answer arrived.
       */
      validUntilMono: number;
    }
  | { granted: false; recurso: string; ttlRestanteMs: number | undefined; detail: string; code: string };

export interface LockClient {
  lock(input: { recurso: string; ttlMs?: number; esperaMs?: number; traceId?: string }): Promise<LockResult>;
  /** 'released', or 'not-holder' when the token is stale/wrong (the lock stays with its holder). */
  unlock(input: { recurso: string; token: number; traceId?: string }): Promise<'released' | 'not-holder'>;
  close(): Promise<void>;
}

export interface LockClientOptions {
  baseUrl: string;
  /** Shared secret the coordinator requires when COORDINATOR_SECRET is set. */
  secret?: string | undefined;
  /** Per-call deadline beyond any requested wait. */
  timeoutMs?: number;
  /** Subtracted from the lease to absorb clock-rate drift and scheduling delays. */
  safetyMarginMs?: number;
  connections?: number;
}

/**
 * HTTP client of the coordinator over a keep-alive connection pool (undici), so a booking
 * pays no TCP handshake. Network failures become AppError 'unavailable' (503): a caller
 * that cannot reach the coordinator must not proceed without the lock.
 */
export function createLockClient(options: LockClientOptions): LockClient {
  const pool = new Pool(options.baseUrl, {
    connections: options.connections ?? 64,
    keepAliveTimeout: 60_000,
    pipelining: 1,
  });
  const timeoutMs = options.timeoutMs ?? 2_000;
  const margin = options.safetyMarginMs ?? 250;

  async function post(path: string, body: object, traceId: string | undefined, waitMs: number) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.secret !== undefined) headers.authorization = `Bearer ${options.secret}`;
    if (traceId !== undefined) headers.traceparent = traceparentFor(traceId);
    try {
      const response = await pool.request({
        path,
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        headersTimeout: timeoutMs + waitMs,
        bodyTimeout: timeoutMs,
      });
      const text = await response.body.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.statusCode, json: json as Record<string, unknown> | undefined };
    } catch (error) {
      const timedOut =
        error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError;
      throw new AppError(
        timedOut ? 'timeout' : 'unavailable',
        timedOut ? 'The lock coordinator did not answer in time' : 'The lock coordinator is unreachable',
        { cause: error },
      );
    }
  }

  function unexpected(status: number, json: Record<string, unknown> | undefined): AppError {
    const detail = typeof json?.detail === 'string' ? json.detail : `status ${status}`;
    if (status === 401 || status === 403) {
      return new AppError('unavailable', `The lock coordinator refused our credentials (${detail})`);
    }
    return new AppError('unavailable', `The lock coordinator answered unexpectedly: ${detail}`);
  }

  return {
    async lock({ recurso, ttlMs, esperaMs, traceId }) {
      const sentAt = performance.now();
      const body = {
        recurso,
        ...(ttlMs === undefined ? {} : { ttl_ms: ttlMs }),
        ...(esperaMs === undefined ? {} : { espera_ms: esperaMs }),
      };
      const { status, json } = await post('/lock', body, traceId, esperaMs ?? 0);
      if (
        status === 200 &&
        json !== undefined &&
        typeof json.token === 'number' &&
        typeof json.ttl_restante_ms === 'number'
      ) {
        return {
          granted: true,
          recurso,
          token: json.token,
          ttlRestanteMs: json.ttl_restante_ms,
          validUntilMono: sentAt + json.ttl_restante_ms - margin,
        };
      }
      if (status === 409) {
        const remaining = json?.ttl_restante_ms;
        return {
          granted: false,
          recurso,
          ttlRestanteMs: typeof remaining === 'number' ? remaining : undefined,
          detail: typeof json?.detail === 'string' ? json.detail : 'resource locked',
          code: typeof json?.code === 'string' ? json.code : 'resource-locked',
        };
      }
      throw unexpected(status, json);
    },
    async unlock({ recurso, token, traceId }) {
      const { status, json } = await post('/unlock', { recurso, token }, traceId, 0);
      if (status === 200) return 'released';
      if (status === 409) return 'not-holder';
      throw unexpected(status, json);
    },
    close: () => pool.close(),
  };
}
