import * as grpc from '@grpc/grpc-js';
import { AppError } from '@dslab/errors';
import { traceparentFor } from '@dslab/logging';
import { fromGrpcError, NOT_DELIVERED } from './errors.js';

/** What every outgoing call carries (the same shape as the checkout ports' CallContext). */
export interface CallContext {
  /** Absolute deadline, epoch ms. */
  readonly deadline: number;
  /** W3C trace id, sent on as `traceparent`. */
  readonly traceId: string;
}

/** Ping an idle connection every 30 s, so a dead peer (or a NAT that forgot us) is noticed. */
export const KEEPALIVE_TIME_MS = 30_000;
/** A ping unanswered for 10 s closes the connection; the channel reconnects. */
export const KEEPALIVE_TIMEOUT_MS = 10_000;
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Longest pause between two connection attempts to a neighbour that is down. */
export const MAX_RECONNECT_BACKOFF_MS = 1_000;

/**
 * Longest wait for a neighbour's channel to (re)connect after a call failed without leaving this
 * process, before the call is tried once more (see callUnary). At most half the remaining budget.
 */
export const RECONNECT_GRACE_MS = 1_000;

/**
 * Options for the one long-lived channel per neighbour: keepalive pings (also without calls in
 * flight), 4 MiB messages, and a short reconnect backoff (100 ms growing to 1 s instead of
 * grpc-js's 1 s growing to 120 s): a refused connection inside the network costs next to nothing,
 * and a neighbour that restarts is reached again within a second.
 */
export const channelOptions: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
  'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': MAX_RECONNECT_BACKOFF_MS,
};

/** A generated client's unary method (the overload with metadata and options). */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (error: grpc.ServiceError | null, response: Res) => void,
) => grpc.ClientUnaryCall;

export interface CallUnaryOptions {
  /** Overrides RECONNECT_GRACE_MS; 0 fails at once when the channel has no connection. */
  readonly reconnectGraceMs?: number;
}

function attempt<Req, Res>(
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  ctx: CallContext,
  target: string,
): Promise<Res> {
  const metadata = new grpc.Metadata();
  metadata.set('traceparent', traceparentFor(ctx.traceId));
  return new Promise<Res>((resolve, reject) => {
    try {
      method.call(client, request, metadata, { deadline: new Date(ctx.deadline) }, (error, response) => {
        if (error) reject(fromGrpcError(error, target));
        else resolve(response);
      });
    } catch (error) {
      // Thrown synchronously (e.g. a closed client): nothing was sent.
      reject(
        new AppError('unavailable', `The call to ${target} could not start: ${String(error)}`, {
          cause: error,
          extensions: { [NOT_DELIVERED]: true },
        }),
      );
    }
  });
}

/** Resolves true once the client's channel is READY, false at `until` (epoch ms). */
function readyBy(client: grpc.Client, until: number): Promise<boolean> {
  return new Promise((resolve) => {
    client.waitForReady(new Date(until), (error) => {
      resolve(error === undefined);
    });
  });
}

/**
 * One unary call as a promise: the absolute deadline goes out as grpc-timeout, the trace id as
 * `traceparent`; failures reject with the AppError they stand for (fromGrpcError). A deadline
 * already past rejects with `timeout` without calling.
 *
 * A call that fails before leaving (`not_delivered`: the channel has no connection, e.g. in
 * reconnect backoff right after the neighbour restarted) waits up to `reconnectGraceMs` (and at
 * most half the remaining budget) for the channel to connect and is then tried once more; this
 * is safe for any method, since the first attempt never reached the server. If the channel does
 * not connect in time, the first failure (`unavailable`, not_delivered) is the answer.
 *
 * `method` is the generated client's method (`client.processarPagamento.bind(client)`); it is
 * called on `client`.
 */
export async function callUnary<Req, Res>(
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
  request: Req,
  ctx: CallContext,
  target: string,
  options: CallUnaryOptions = {},
): Promise<Res> {
  if (ctx.deadline - Date.now() <= 0) {
    throw new AppError('timeout', `No time left to call ${target}: the deadline has passed`, {
      extensions: { [NOT_DELIVERED]: true },
    });
  }
  try {
    return await attempt(client, method, request, ctx, target);
  } catch (error) {
    const graceMs = options.reconnectGraceMs ?? RECONNECT_GRACE_MS;
    const undelivered =
      error instanceof AppError && error.code === 'unavailable' && error.extensions[NOT_DELIVERED] === true;
    const until = Math.min(Date.now() + graceMs, Date.now() + (ctx.deadline - Date.now()) / 2);
    if (!undelivered || graceMs <= 0 || until <= Date.now()) throw error;
    if (!(await readyBy(client, until))) throw error;
    return attempt(client, method, request, ctx, target);
  }
}
