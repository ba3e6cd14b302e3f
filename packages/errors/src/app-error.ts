import { errorCatalog, type ErrorCode } from './catalog.js';

/** Extra members of a problem document (RFC 9457 extension members). */
export type ProblemExtensions = Record<string, unknown>;

/**
 * An error that knows what to answer: a catalog code, a human-readable detail, optional
 * extension members and optional extra headers (e.g. Retry-After).
 * Infrastructure failures are wrapped where they enter, keeping the original as `cause`.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string;
  readonly extensions: ProblemExtensions;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    detail: string,
    options: { extensions?: ProblemExtensions; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = errorCatalog[code].status;
    this.detail = detail;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}
