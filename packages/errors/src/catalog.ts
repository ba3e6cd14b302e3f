/**
 * The one catalog of error kinds every dslab service answers with.
 * Each entry fixes the HTTP status, the gRPC status and a stable title; `docs/errors.md`
 * lists the same entries and a test keeps the two in sync.
 */

/** gRPC status codes by name (numbers from the gRPC spec), so this package needs no gRPC dependency. */
export const GrpcStatus = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatusName = keyof typeof GrpcStatus;

export interface ErrorKind {
  readonly title: string;
  readonly status: number;
  readonly grpc: GrpcStatusName;
}

export const errorCatalog = {
  'validation-failed': { title: 'The request is not valid', status: 400, grpc: 'INVALID_ARGUMENT' },
  'malformed-json': { title: 'The request body is not valid JSON', status: 400, grpc: 'INVALID_ARGUMENT' },
  unauthenticated: { title: 'Authentication is required', status: 401, grpc: 'UNAUTHENTICATED' },
  'invalid-credentials': { title: 'E-mail or password is wrong', status: 401, grpc: 'UNAUTHENTICATED' },
  forbidden: { title: 'You may not do this', status: 403, grpc: 'PERMISSION_DENIED' },
  'not-found': { title: 'The resource does not exist', status: 404, grpc: 'NOT_FOUND' },
  'method-not-allowed': {
    title: 'The method is not allowed on this resource',
    status: 405,
    grpc: 'UNIMPLEMENTED',
  },
  'not-acceptable': { title: 'No acceptable representation', status: 406, grpc: 'INVALID_ARGUMENT' },
  conflict: { title: 'The request conflicts with the current state', status: 409, grpc: 'ABORTED' },
  'slot-taken': { title: 'The slot is already booked', status: 409, grpc: 'ALREADY_EXISTS' },
  'resource-locked': { title: 'The resource is locked by someone else', status: 409, grpc: 'ABORTED' },
  'stale-token': {
    title: 'The lock token is not the current holder',
    status: 409,
    grpc: 'FAILED_PRECONDITION',
  },
  'email-taken': { title: 'The e-mail is already registered', status: 409, grpc: 'ALREADY_EXISTS' },
  'slot-held': {
    title: 'The slot is held for a scientist on its waitlist',
    status: 409,
    grpc: 'FAILED_PRECONDITION',
  },
  'hold-expired': {
    title: 'The hold is no longer offered to you',
    status: 409,
    grpc: 'FAILED_PRECONDITION',
  },
  'already-waiting': {
    title: 'You are already on this waitlist',
    status: 409,
    grpc: 'ALREADY_EXISTS',
  },
  'quota-exceeded': {
    title: 'The booking exceeds your remaining time allocation',
    status: 422,
    grpc: 'RESOURCE_EXHAUSTED',
  },
  'already-cancelled': {
    title: 'The booking is already cancelled',
    status: 409,
    grpc: 'FAILED_PRECONDITION',
  },
  'idempotency-key-reused': {
    title: 'The Idempotency-Key was used for a different request',
    status: 422,
    grpc: 'FAILED_PRECONDITION',
  },
  'idempotency-in-progress': {
    title: 'A request with this Idempotency-Key is still being processed',
    status: 409,
    grpc: 'ABORTED',
  },
  'insufficient-stock': {
    title: 'Not enough stock for every line of the order',
    status: 409,
    grpc: 'FAILED_PRECONDITION',
  },
  'reservation-conflict': {
    title: 'The order already holds a different stock reservation',
    status: 409,
    grpc: 'FAILED_PRECONDITION',
  },
  'unknown-product': { title: 'A product of the request does not exist', status: 422, grpc: 'NOT_FOUND' },
  'unknown-customer': { title: 'The customer does not exist', status: 422, grpc: 'NOT_FOUND' },
  'payload-too-large': { title: 'The request body is too large', status: 413, grpc: 'RESOURCE_EXHAUSTED' },
  'unsupported-media-type': { title: 'The request body must be JSON', status: 415, grpc: 'INVALID_ARGUMENT' },
  'version-not-visible': {
    title: 'The requested version is not visible yet',
    status: 425,
    grpc: 'UNAVAILABLE',
  },
  'rate-limited': { title: 'Too many requests', status: 429, grpc: 'RESOURCE_EXHAUSTED' },
  internal: { title: 'Internal error', status: 500, grpc: 'INTERNAL' },
  unavailable: { title: 'A service this request needs is unavailable', status: 503, grpc: 'UNAVAILABLE' },
  timeout: {
    title: 'A service this request needs did not answer in time',
    status: 504,
    grpc: 'DEADLINE_EXCEEDED',
  },
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof errorCatalog;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(errorCatalog, value);
}
