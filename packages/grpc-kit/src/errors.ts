import * as grpc from '@grpc/grpc-js';
import {
  AppError,
  errorCatalog,
  GrpcStatus,
  isAppError,
  isErrorCode,
  toProblem,
  type ErrorCode,
  type ProblemExtensions,
} from '@dslab/errors';

/**
 * AppError ↔ gRPC status. The server answers the catalog's status code with the RFC 9457 problem
 * document (JSON) in the trailing metadata key `problem-bin`; the client turns it back into the
 * same AppError (code, detail, extensions), so callers branch on `error.code` whatever the
 * transport (docs/checkout.md, "Deadlines and errors across hops").
 */

/** Trailing metadata key that carries the problem document. `-bin` keys hold bytes. */
export const PROBLEM_METADATA_KEY = 'problem-bin';

/**
 * Extension set by the clients when the request certainly never reached the server (connection
 * refused, no connection established): the operation did not happen and may be retried or skipped.
 * It describes one hop only, so it is dropped from answers received from a server.
 */
export const NOT_DELIVERED = 'not_delivered';

/** Members of a problem document that are not extensions. */
const PROBLEM_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'code', 'instance']);

const GENERIC_INTERNAL_DETAIL = 'An unexpected error occurred; it has been logged';

/**
 * The status a server answers for `error`: an AppError keeps its code (as the catalog's gRPC
 * status), detail and extensions (in `problem-bin`); anything else is INTERNAL with a generic
 * message (the caller logs the real one).
 */
export function toGrpcError(error: unknown, instance?: string): grpc.StatusObject {
  const appError = isAppError(error)
    ? error
    : new AppError('internal', GENERIC_INTERNAL_DETAIL, { cause: error });
  const metadata = new grpc.Metadata();
  metadata.set(PROBLEM_METADATA_KEY, Buffer.from(JSON.stringify(toProblem(appError, instance)), 'utf8'));
  return {
    code: grpc.status[errorCatalog[appError.code].grpc],
    details: appError.detail,
    metadata,
  };
}

/**
 * The catalog code for a bare gRPC status (an answer without `problem-bin`, e.g. from grpc-js
 * itself or a foreign server): the first catalog code with that status, except where the first
 * one is too specific to be a fair reading of a bare status.
 */
const preferredCodes: Partial<Record<number, ErrorCode>> = {
  [GrpcStatus.ALREADY_EXISTS]: 'conflict',
  [GrpcStatus.FAILED_PRECONDITION]: 'conflict',
  [GrpcStatus.RESOURCE_EXHAUSTED]: 'rate-limited',
};

function codeForStatus(status: number): ErrorCode {
  const preferred = preferredCodes[status];
  if (preferred !== undefined) return preferred;
  for (const [code, kind] of Object.entries(errorCatalog)) {
    if (GrpcStatus[kind.grpc] === status && isErrorCode(code)) return code;
  }
  return 'internal';
}

/**
 * grpc-js failures that happen before the request leaves this process: no connection could be
 * established (refused, unresolvable, unreachable), the channel was closed before the call
 * started, the server refused the stream before processing it (HTTP/2 REFUSED_STREAM), or the
 * request could not be serialized.
 */
const NOT_DELIVERED_DETAILS =
  /No connection established|Channel closed before call started|Stream refused by server|ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|Name resolution failed|Request message serialization failure/;

export function isServiceError(error: unknown): error is grpc.ServiceError {
  return (
    error instanceof Error &&
    typeof (error as Partial<grpc.ServiceError>).code === 'number' &&
    (error as Partial<grpc.ServiceError>).metadata instanceof grpc.Metadata
  );
}

function problemFrom(metadata: grpc.Metadata): Record<string, unknown> | undefined {
  const [value] = metadata.get(PROBLEM_METADATA_KEY);
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.isBuffer(value) ? value.toString('utf8') : value);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    return parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function extensionsOf(problem: Record<string, unknown>): ProblemExtensions {
  const extensions: ProblemExtensions = {};
  for (const [key, value] of Object.entries(problem)) {
    if (!PROBLEM_MEMBERS.has(key) && key !== NOT_DELIVERED) extensions[key] = value;
  }
  return extensions;
}

/**
 * The client side: the AppError a failed call to `target` (a name for messages, e.g.
 * "pagamentos") stands for. Keeps the original error as `cause`.
 */
export function fromGrpcError(error: unknown, target: string): AppError {
  if (isAppError(error)) return error;
  if (!isServiceError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new AppError('internal', `The call to ${target} failed: ${message}`, { cause: error });
  }
  const problem = problemFrom(error.metadata);
  if (problem !== undefined && typeof problem.code === 'string' && isErrorCode(problem.code)) {
    const detail = typeof problem.detail === 'string' ? problem.detail : error.details;
    return new AppError(problem.code, detail, { extensions: extensionsOf(problem), cause: error });
  }
  const details = error.details;
  switch (error.code) {
    case grpc.status.DEADLINE_EXCEEDED:
      return new AppError('timeout', `${target} did not answer before the deadline`, { cause: error });
    case grpc.status.UNAVAILABLE:
      return new AppError('unavailable', `${target} is unavailable: ${details}`, {
        cause: error,
        ...(NOT_DELIVERED_DETAILS.test(details) ? { extensions: { [NOT_DELIVERED]: true } } : {}),
      });
    case grpc.status.CANCELLED:
      return new AppError('unavailable', `The call to ${target} was cancelled: ${details}`, { cause: error });
    default: {
      const code = codeForStatus(error.code);
      const notDelivered = code === 'internal' && NOT_DELIVERED_DETAILS.test(details);
      const name = (grpc.status as Record<number, string | undefined>)[error.code];
      return new AppError(code, `${target} answered ${name ?? String(error.code)}: ${details}`, {
        cause: error,
        ...(notDelivered ? { extensions: { [NOT_DELIVERED]: true } } : {}),
      });
    }
  }
}
