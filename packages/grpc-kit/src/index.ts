/**
 * gRPC between dslab services: handlers that read deadline and trace id and answer catalog
 * errors with a problem document (`problem-bin`), the matching client call, and long-lived
 * channel/server settings.
 */
export {
  callUnary,
  channelOptions,
  KEEPALIVE_TIME_MS,
  KEEPALIVE_TIMEOUT_MS,
  MAX_MESSAGE_BYTES,
  MAX_RECONNECT_BACKOFF_MS,
  RECONNECT_GRACE_MS,
  type CallContext,
  type CallUnaryOptions,
  type UnaryMethod,
} from './client.js';
export { fromGrpcError, isServiceError, NOT_DELIVERED, PROBLEM_METADATA_KEY, toGrpcError } from './errors.js';
export {
  createGrpcServer,
  DEFAULT_DEADLINE_MS,
  listenGrpc,
  MAX_DEADLINE_MS,
  serverOptions,
  stopGrpc,
  unaryHandler,
  type HandlerContext,
  type UnaryHandlerOptions,
} from './server.js';
