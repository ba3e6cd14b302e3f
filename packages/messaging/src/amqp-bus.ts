import type { Channel, GetMessage } from 'amqplib';
import { AppError } from '@dslab/errors';
import type { BusLogger } from './defaults.js';
import { createAmqpChannels } from './amqp-channels.js';
import { createAmqpConnection } from './amqp-connection.js';
import { createAmqpSubscription, keptTimestamp, type AmqpSubscription } from './amqp-subscription.js';
import { assertTopology, deleteTopology } from './amqp-topology.js';
import {
  attemptOf,
  DEFAULT_CANCEL_TIMEOUT_MS,
  DEFAULT_PEEK_LIMIT,
  DEFAULT_PREFETCH,
  deadLetterQueueName,
  encodeBody,
  PUBLISHED_AT_HEADER,
  resolveQueueOptions,
  scalarHeaders,
  withoutDeathHeaders,
} from './defaults.js';
import { HEADERS, type DeadLetter, type MessageBus } from './types.js';

export interface AmqpBusOptions {
  readonly url: string;
  /** Shown in the broker's connection list (connection_name). */
  readonly connectionName: string;
  readonly logger: BusLogger;
  /** How long a publish waits for a connection and its confirm before rejecting (default 5000). */
  readonly publishTimeoutMs?: number;
  readonly reconnect?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /** AMQP heartbeat (default 10 s): a blackholed connection is declared dead after about two. */
  readonly heartbeatSeconds?: number;
  /** Bounds one connection attempt, TCP plus AMQP handshake (default 10000). */
  readonly connectTimeoutMs?: number;
  readonly now?: () => Date;
}

/**
 * The RabbitMQ adapter of the messaging port: one connection (re-opened after a loss), one confirm
 * channel shared by every publish, one channel per subscription. Rejects when the first connection fails.
 */
export async function createAmqpBus(options: AmqpBusOptions): Promise<MessageBus> {
  const { logger } = options;
  const now = options.now ?? (() => new Date());
  const publishTimeoutMs = options.publishTimeoutMs ?? 5000;
  const connection = createAmqpConnection({
    url: options.url,
    connectionName: options.connectionName,
    logger,
    initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
    maxDelayMs: options.reconnect?.maxDelayMs ?? 5000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    heartbeatSeconds: options.heartbeatSeconds ?? 10,
    closeTimeoutMs: 2000,
  });
  const channels = createAmqpChannels(connection, logger);
  const subscriptions = new Set<AmqpSubscription>();
  let closed = false;

  connection.onSession((session) => {
    for (const subscription of subscriptions) subscription.resume(session);
  });
  await connection.start();

  function ensureOpen(): void {
    if (closed) throw new AppError('unavailable', 'The message bus is closed');
  }

  /** Runs `work` on a channel of its own, closed afterwards: basic.get leaves unacked messages on it. */
  async function withTemporaryChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    const session = await connection.waitForSession(publishTimeoutMs);
    const channel = await session.model.createChannel();
    channel.on('error', (error: Error) => {
      logger.warn(`Erro no canal temporário: ${error.message}`);
    });
    try {
      return await work(channel);
    } finally {
      // Closing hands back whatever was got and not acked, at its old place in the queue.
      await channel.close().catch(() => undefined);
    }
  }

  function toDeadLetter(queue: string, message: GetMessage): DeadLetter {
    const headers = scalarHeaders(message.properties.headers);
    const reason = headers[HEADERS.deathReason];
    const deadAt = headers[HEADERS.deathTime];
    return {
      messageId: (message.properties.messageId as string | undefined) ?? '',
      queue,
      reason: typeof reason === 'string' ? reason : '',
      deadAt: typeof deadAt === 'string' ? deadAt : undefined,
      attempts: attemptOf(headers),
      content: message.content,
    };
  }

  const bus: MessageBus = {
    get connected() {
      return !closed && connection.connected;
    },

    async declareQueue(queue) {
      ensureOpen();
      const session = await connection.waitForSession(publishTimeoutMs);
      await channels.declare(session, queue);
    },

    async publish(queue, message) {
      ensureOpen();
      const content = encodeBody(message.body);
      const publishedAt = now();
      await channels.sendConfirmed(
        queue,
        content,
        {
          persistent: true,
          contentType: 'application/json',
          messageId: message.messageId,
          timestamp: Math.floor(publishedAt.getTime() / 1000),
          headers: {
            ...message.headers,
            [HEADERS.attempt]: 1,
            [PUBLISHED_AT_HEADER]: publishedAt.toISOString(),
          },
        },
        publishTimeoutMs,
      );
    },

    async consume(queue, handler, consumeOptions = {}) {
      ensureOpen();
      const subscription = createAmqpSubscription({
        queue,
        handler,
        queueOptions: resolveQueueOptions(consumeOptions),
        prefetch: consumeOptions.prefetch ?? DEFAULT_PREFETCH,
        cancelTimeoutMs: consumeOptions.cancelTimeoutMs ?? DEFAULT_CANCEL_TIMEOUT_MS,
        publishTimeoutMs,
        channels,
        logger,
        now,
        onCancelled: () => subscriptions.delete(subscription),
      });
      const session = await connection.waitForSession(publishTimeoutMs);
      subscriptions.add(subscription);
      try {
        await subscription.attach(session);
      } catch (error) {
        await subscription.cancel();
        throw new AppError('unavailable', `Could not consume from ${queue}`, { cause: error });
      }
      return subscription;
    },

    async depth(queue) {
      ensureOpen();
      const session = await connection.waitForSession(publishTimeoutMs);
      return channels.withAdmin(session, (channel) => assertTopology(channel, queue));
    },

    async peekDeadLetters(queue, limit = DEFAULT_PEEK_LIMIT) {
      ensureOpen();
      await bus.declareQueue(queue);
      return withTemporaryChannel(async (channel) => {
        const letters: DeadLetter[] = [];
        while (letters.length < limit) {
          const message = await channel.get(deadLetterQueueName(queue), { noAck: false });
          if (message === false) break;
          letters.push(toDeadLetter(queue, message));
        }
        return letters;
      });
    },

    async replayDeadLetters(queue, limit) {
      ensureOpen();
      const { dead } = await bus.depth(queue);
      // Bounded by what is dead now: a replayed message that fails again must not loop forever.
      const max = Math.min(limit ?? dead, dead);
      return withTemporaryChannel(async (channel) => {
        let moved = 0;
        while (moved < max) {
          const message = await channel.get(deadLetterQueueName(queue), { noAck: false });
          if (message === false) break;
          const headers = withoutDeathHeaders(scalarHeaders(message.properties.headers));
          // Confirmed on the queue before it leaves the dead-letter queue: never lost, maybe doubled.
          await channels.sendConfirmed(
            queue,
            message.content,
            {
              persistent: true,
              contentType: (message.properties.contentType as string | undefined) ?? 'application/json',
              messageId: (message.properties.messageId as string | undefined) ?? '',
              ...keptTimestamp(message.properties.timestamp),
              headers: { ...headers, [HEADERS.attempt]: 1 },
            },
            publishTimeoutMs,
          );
          channel.ack(message);
          moved += 1;
        }
        if (moved > 0)
          logger.info(`${moved} mensagens reenviadas de ${deadLetterQueueName(queue)} para ${queue}`);
        return moved;
      });
    },

    async deleteQueue(queue) {
      ensureOpen();
      const session = await connection.waitForSession(publishTimeoutMs);
      channels.forget(session, queue);
      await channels.withAdmin(session, (channel) => deleteTopology(channel, queue));
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.cancel()));
      await connection.close();
    },
  };
  return bus;
}
