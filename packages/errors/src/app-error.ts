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

/** One refused field of a request: where (`body.key_name`, `querystring.key`) and what is wrong. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * The one `validation-failed` error for refused fields, whichever layer refused them (the schema
 * check in http-kit or a service's own rule): detail `field message; …` and the `errors`
 * extension listing each pair, so a client reads one shape.
 */
export function invalidFields(errors: readonly FieldError[]): AppError {
  return new AppError('validation-failed', errors.map((e) => `${e.field} ${e.message}`).join('; '), {
    extensions: { errors },
  });
}
