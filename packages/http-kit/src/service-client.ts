import { AppError, errorCatalog, isErrorCode, type ProblemExtensions } from '@dslab/errors';
import { traceparentFor } from '@dslab/logging';
import { Pool } from 'undici';
import { TIMEOUT_HEADER, type CallContext } from './deadline.js';

/**
 * JSON over HTTP between services: one keep-alive undici Pool per neighbour, the deadline sent
 * as `X-Timeout-Ms` and enforced locally, the trace id as `traceparent`, and every failure turned
 * into the catalog's AppError (problem+json answers keep their code, detail and extensions).
 */

export interface ServiceClientOptions {
  /** Origin of the neighbour, e.g. `http://127.0.0.1:8102`. */
  readonly baseUrl: string;
  /** Its name in error messages, e.g. `pagamentos`. */
  readonly target: string;
  /** Most connections kept open to it (default 32). */
  readonly connections?: number;
}

export type QueryValue = string | number | boolean | undefined | readonly (string | number)[];

export interface ServiceRequestOptions {
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Appended to the path; undefined values are left out, arrays are joined with commas. */
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Extra headers (e.g. `idempotency-key`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly ctx: CallContext;
}

export interface ServiceResponse<T> {
  readonly status: number;
  /** The parsed JSON body (undefined when the answer has none); not validated. */
  readonly body: T;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ServiceClient {
  /** 2xx answers resolve; everything else rejects with an AppError. */
  request<T>(method: HttpMethod, path: string, options: ServiceRequestOptions): Promise<ServiceResponse<T>>;
  close(): Promise<void>;
}

/** Members of a problem document that are not extensions (plus the hop-local not_delivered). */
const PROBLEM_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'code', 'instance', 'not_delivered']);

/** Network errors that happen before the request is written: the operation certainly did not happen. */
const NOT_DELIVERED_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_ABORTED']);

function pathWithQuery(path: string, query: Readonly<Record<string, QueryValue>> | undefined): string {
  if (query === undefined) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.append(name, Array.isArray(value) ? value.join(',') : String(value));
  }
  const text = params.toString();
  if (text === '') return path;
  return `${path}${path.includes('?') ? '&' : '?'}${text}`;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isJsonType(contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return value !== undefined && /^application\/(problem\+)?json\b/i.test(value.trim());
}

/** The AppError a non-2xx answer stands for. */
function errorFromAnswer(
  target: string,
  status: number,
  contentType: string | string[] | undefined,
  text: string,
): AppError {
  const json = isJsonType(contentType) ? parseJson(text) : undefined;
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const problem = json as Record<string, unknown>;
    const code = problem.code;
    if (typeof code === 'string') {
      const detail = typeof problem.detail === 'string' ? problem.detail : `status ${status}`;
      if (isErrorCode(code) && errorCatalog[code].status === status) {
        const extensions: ProblemExtensions = {};
        for (const [key, value] of Object.entries(problem)) {
          if (!PROBLEM_MEMBERS.has(key)) extensions[key] = value;
        }
        return new AppError(code, detail, { extensions });
      }
      return new AppError(
        'internal',
        `${target} answered ${status} with an unknown problem ${code}: ${detail}`,
      );
    }
  }
  if (status === 504) return new AppError('timeout', `${target} answered 504 (gateway timeout)`);
  if (status >= 500) return new AppError('unavailable', `${target} answered ${status}`);
  return new AppError('internal', `${target} answered ${status} without a problem document`);
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** The AppError a failed exchange (no answer, or an answer cut short) stands for. */
function errorFromNetwork(target: string, error: unknown, deadlinePassed: boolean): AppError {
  const code = errorCode(error);
  const name = error instanceof Error ? error.name : '';
  if (deadlinePassed || name === 'TimeoutError' || name === 'AbortError' || TIMEOUT_CODES.has(code ?? '')) {
    return new AppError('timeout', `${target} did not answer before the deadline`, { cause: error });
  }
  const reason = code ?? (error instanceof Error ? error.message : String(error));
  if (code !== undefined && NOT_DELIVERED_CODES.has(code)) {
    return new AppError('unavailable', `${target} is unavailable (${reason})`, {
      cause: error,
      extensions: { not_delivered: true },
    });
  }
  return new AppError('unavailable', `${target} is unavailable (${reason})`, { cause: error });
}

/** A client of one neighbour's REST API over a keep-alive connection pool. */
export function createServiceClient(options: ServiceClientOptions): ServiceClient {
  const { target } = options;
  const pool = new Pool(options.baseUrl, {
    connections: options.connections ?? 32,
    pipelining: 1,
    // Shorter than the servers' keep-alive (createHttpApp: 72 s), so the client closes first.
    keepAliveTimeout: 60_000,
  });

  return {
    async request<T>(
      method: HttpMethod,
      path: string,
      { body, query, headers, ctx }: ServiceRequestOptions,
    ): Promise<ServiceResponse<T>> {
      const remaining = Math.floor(ctx.deadline - Date.now());
      if (remaining <= 0) {
        throw new AppError('timeout', `No time left to call ${target}: the deadline has passed`, {
          extensions: { not_delivered: true },
        });
      }
      const outgoing: Record<string, string> = {
        accept: 'application/json, application/problem+json',
        traceparent: traceparentFor(ctx.traceId),
        [TIMEOUT_HEADER]: String(remaining),
        ...headers,
      };
      if (body !== undefined) outgoing['content-type'] = 'application/json';
      // undici's own timers are coarse above one second; the signal holds the deadline exactly.
      const signal = AbortSignal.timeout(remaining);
      let status: number;
      let contentType: string | string[] | undefined;
      let responseHeaders: Record<string, string | string[] | undefined>;
      let text: string;
      try {
        const response = await pool.request({
          method,
          path: pathWithQuery(path, query),
          headers: outgoing,
          body: body === undefined ? null : JSON.stringify(body),
          signal,
          headersTimeout: remaining,
          bodyTimeout: remaining,
        });
        status = response.statusCode;
        responseHeaders = response.headers;
        contentType = response.headers['content-type'];
        text = await response.body.text();
      } catch (error) {
        throw errorFromNetwork(target, error, signal.aborted);
      }
      if (status < 200 || status >= 300) throw errorFromAnswer(target, status, contentType, text);
      const parsed = text.trim() === '' ? undefined : parseJson(text);
      if (parsed === undefined && text.trim() !== '') {
        throw new AppError('internal', `${target} answered ${status} with a body that is not JSON`);
      }
      return { status, body: parsed as T, headers: responseHeaders };
    },
    close: () => pool.close(),
  };
}
