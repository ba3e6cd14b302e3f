import * as grpc from '@grpc/grpc-js';
import { isAppError } from '@dslab/errors';
import { newTraceId, parseTraceparent, type Logger } from '@dslab/logging';
import { KEEPALIVE_TIME_MS, KEEPALIVE_TIMEOUT_MS, MAX_MESSAGE_BYTES } from './client.js';
import { toGrpcError } from './errors.js';

/** What a handler gets besides the request. */
export interface HandlerContext {
  /** Absolute deadline, epoch ms: the caller's (grpc-timeout), or the default, capped at the maximum. */
  readonly deadline: number;
  /** W3C trace id from the caller's `traceparent`, or a new one. */
  readonly traceId: string;
  /** The call's request metadata. */
  readonly metadata: grpc.Metadata;
}

export interface UnaryHandlerOptions {
  /** Budget when the caller sent no deadline (default 10 000 ms). */
  defaultMs?: number;
  /** Largest budget this server grants, whatever the caller asked (default 30 000 ms). */
  maxMs?: number;
}

export const DEFAULT_DEADLINE_MS = 10_000;
export const MAX_DEADLINE_MS = 30_000;

function deadlineOf(call: grpc.ServerUnaryCall<unknown, unknown>, options: UnaryHandlerOptions): number {
  const now = Date.now();
  const maxMs = options.maxMs ?? MAX_DEADLINE_MS;
  const defaultMs = Math.min(options.defaultMs ?? DEFAULT_DEADLINE_MS, maxMs);
  const raw = call.getDeadline();
  const received = raw instanceof Date ? raw.getTime() : raw;
  const deadline = Number.isFinite(received) ? received : now + defaultMs;
  return Math.min(deadline, now + maxMs);
}

function traceIdOf(metadata: grpc.Metadata): string {
  const [value] = metadata.get('traceparent');
  const header = typeof value === 'string' ? value : value?.toString('utf8');
  return parseTraceparent(header)?.traceId ?? newTraceId();
}

/**
 * A grpc-js unary handler around an async function: reads the deadline and the trace id, runs
 * `fn`, answers its value, or the error as the catalog's status with `problem-bin` (see
 * toGrpcError). Unexpected errors (and AppErrors of the 5xx kind) are logged at ERROR.
 */
export function unaryHandler<Req, Res>(
  logger: Logger,
  fn: (request: Req, ctx: HandlerContext) => Promise<Res>,
  options: UnaryHandlerOptions = {},
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const ctx: HandlerContext = {
      deadline: deadlineOf(call, options),
      traceId: traceIdOf(call.metadata),
      metadata: call.metadata,
    };
    const method = call.getPath();
    // A handler that throws synchronously is answered like one that rejects.
    new Promise<Res>((resolve) => {
      resolve(fn(call.request, ctx));
    }).then(
      (response) => {
        callback(null, response);
      },
      (error: unknown) => {
        const unexpected = !isAppError(error);
        if (unexpected || error.status >= 500) {
          logger.withTrace(ctx.traceId).error(`Erro ao processar ${method}: ${String(error)}`, {
            err: unexpected ? error : (error.cause ?? error),
          });
        }
        callback(toGrpcError(error, method));
      },
    );
  };
}

/** Server options matching `channelOptions` on the clients. */
export const serverOptions: grpc.ServerOptions = {
  'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
  'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
};

/** A grpc-js server with `serverOptions` (overridable). Add services, then `listenGrpc`. */
export function createGrpcServer(options: grpc.ServerOptions = {}): grpc.Server {
  return new grpc.Server({ ...serverOptions, ...options });
}

/** Binds without TLS (traffic between services stays inside the network) and answers the port. */
export function listenGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
  const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, boundPort) => {
      if (error) reject(error);
      else resolve(boundPort);
    });
  });
}

/**
 * Graceful stop: no new calls, in-flight calls may finish; after `timeoutMs` the remaining
 * calls are cancelled and the connections closed.
 */
export function stopGrpc(server: grpc.Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
