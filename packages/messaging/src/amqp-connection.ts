import { connect, type ChannelModel } from 'amqplib';
import { AppError } from '@dslab/errors';
import type { BusLogger } from './defaults.js';
import { errorMessage, settledWithin } from './defaults.js';

/**
 * One AMQP connection kept alive for the bus: connects, notices loss (socket error, broker close,
 * missed heartbeats), reconnects with exponential back-off and tells its listeners about every new
 * connection so they can re-create their channels. amqplib's own recovery wrapper is not used:
 * subscriptions need to re-open their channels and consumers on each new connection anyway, and a
 * loop of our own makes the state (connected or not) explicit.
 */

/** One live connection; `signal` aborts when it is gone, so its channels and waits can let go. */
export interface AmqpSession {
  readonly model: ChannelModel;
  readonly signal: AbortSignal;
}

export interface AmqpConnectionOptions {
  readonly url: string;
  readonly connectionName: string;
  readonly logger: BusLogger;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Bounds the TCP connect plus the AMQP handshake (a blackholed path would hang there). */
  readonly connectTimeoutMs: number;
  /** Heartbeat interval; a silent peer is declared dead after about two of them. */
  readonly heartbeatSeconds: number;
  /** How long close() waits for the broker's close-ok before dropping the socket. */
  readonly closeTimeoutMs: number;
}

export interface AmqpConnection {
  /** Opens the first connection; rejects when it fails (no retry: a wrong URL should fail fast). */
  start(): Promise<void>;
  readonly connected: boolean;
  /** The live session, if any. */
  current(): AmqpSession | undefined;
  /** The live session, waiting up to `timeoutMs` for a reconnection; rejects AppError 'unavailable'. */
  waitForSession(timeoutMs: number): Promise<AmqpSession>;
  /** Called for every new session (also the first, if registered before `start`). */
  onSession(listener: (session: AmqpSession) => void): () => void;
  close(): Promise<void>;
}

export function createAmqpConnection(options: AmqpConnectionOptions): AmqpConnection {
  const { logger } = options;
  let session: (AmqpSession & { abort: AbortController }) | undefined;
  let closing = false;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let nextDelayMs = options.initialDelayMs;
  const waiters = new Set<{ resolve: (session: AmqpSession) => void; reject: (error: Error) => void }>();
  const listeners = new Set<(session: AmqpSession) => void>();
  /** close() waits for a reconnection attempt in progress, so no socket outlives it. */
  const closeWaiters = new Set<() => void>();
  let attemptInProgress = false;

  function connectionUrl(): string {
    const url = new URL(options.url);
    if (!url.searchParams.has('heartbeat'))
      url.searchParams.set('heartbeat', String(options.heartbeatSeconds));
    return url.toString();
  }

  async function open(): Promise<void> {
    const model = await connect(connectionUrl(), {
      timeout: options.connectTimeoutMs,
      // Nagle's algorithm holds a small frame (an ack, the next publish) until the broker ACKs the
      // previous segment, and Linux delays that ACK by up to 40 ms: every hop of a saga paid it.
      noDelay: true,
      clientProperties: { connection_name: options.connectionName },
    });
    if (closing) {
      // close() ran while we were connecting: do not leave this socket behind.
      await closeModel(model, options.closeTimeoutMs);
      return;
    }
    const abort = new AbortController();
    const live = { model, signal: abort.signal, abort };
    session = live;
    nextDelayMs = options.initialDelayMs;
    // Without an 'error' listener an emitted error kills the process; the 'close' that follows
    // (always, per amqplib) carries the same error and drives the reconnection.
    model.on('error', (error: Error) => {
      logger.warn(`Erro na conexão com o broker: ${error.message}`);
    });
    model.on('close', (error?: Error) => {
      onLost(live, error);
    });
    model.on('blocked', (reason: string) => {
      logger.warn(`Broker bloqueou a conexão: ${reason}`);
    });
    model.on('unblocked', () => {
      logger.info('Broker desbloqueou a conexão');
    });
    for (const waiter of waiters) waiter.resolve(live);
    waiters.clear();
    for (const listener of listeners) notify(listener, live);
  }

  function notify(listener: (session: AmqpSession) => void, live: AmqpSession): void {
    try {
      listener(live);
    } catch (error) {
      logger.error(`Falha ao preparar a nova conexão com o broker: ${errorMessage(error)}`);
    }
  }

  function onLost(live: AmqpSession & { abort: AbortController }, error?: Error): void {
    if (session !== live) return;
    session = undefined;
    live.abort.abort(error ?? new Error('connection closed'));
    if (closing) return;
    scheduleReconnect(error === undefined ? 'conexão fechada' : error.message);
  }

  function scheduleReconnect(reason: string): void {
    const delayMs = nextDelayMs;
    nextDelayMs = Math.min(nextDelayMs * 2, options.maxDelayMs);
    logger.warn(`Conexão com o broker perdida: ${reason}; reconectando em ${delayMs} ms`);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      attemptInProgress = true;
      open().then(
        () => {
          if (session !== undefined) logger.info('Reconectado ao broker');
          settleCloseWaiters();
        },
        (error: unknown) => {
          settleCloseWaiters();
          if (!closing) scheduleReconnect(errorMessage(error));
        },
      );
    }, delayMs);
  }

  function settleCloseWaiters(): void {
    attemptInProgress = false;
    for (const resolve of closeWaiters) resolve();
    closeWaiters.clear();
  }

  return {
    async start() {
      await open();
      logger.info(`Conectado ao broker como ${options.connectionName}`);
    },
    get connected() {
      return session !== undefined;
    },
    current() {
      return session;
    },
    waitForSession(timeoutMs) {
      if (session !== undefined) return Promise.resolve(session);
      if (closing) return Promise.reject(new AppError('unavailable', 'The message bus is closed'));
      return new Promise<AmqpSession>((resolve, reject) => {
        const waiter = {
          resolve: (live: AmqpSession): void => {
            clearTimeout(timer);
            resolve(live);
          },
          reject: (error: Error): void => {
            clearTimeout(timer);
            reject(error);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new AppError('unavailable', `The message broker is unreachable (waited ${timeoutMs} ms)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    onSession(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closing = true;
      for (const waiter of waiters) waiter.reject(new AppError('unavailable', 'The message bus is closed'));
      waiters.clear();
      if (reconnectTimer !== undefined) {
        clearTimeout(reconnectTimer);
        reconnectTimer = undefined;
      } else if (attemptInProgress) {
        await new Promise<void>((resolve) => closeWaiters.add(resolve));
      }
      const live = session;
      session = undefined;
      if (live !== undefined) {
        live.abort.abort(new Error('bus closed'));
        await closeModel(live.model, options.closeTimeoutMs);
      }
    },
  };
}

/**
 * Closes politely (close frame, wait for close-ok); on a blackholed path the close-ok never comes,
 * so past `timeoutMs` the socket is destroyed: close() must never hang nor leave a socket open.
 */
async function closeModel(model: ChannelModel, timeoutMs: number): Promise<void> {
  const closing = model.close().catch(() => undefined);
  if (await settledWithin(closing, timeoutMs)) return;
  // Destroyed with an error, so amqplib's socket-error path runs: it stops the heartbeat timer
  // (a plain destroy() leaves it ticking until the missed beats time out).
  const stream = (model.connection as { stream?: { destroy(error?: Error): void } }).stream;
  stream?.destroy(new Error(`the broker did not answer the close within ${timeoutMs} ms`));
}
