import type { Channel, ConsumeMessage, Options } from 'amqplib';
import type { BusLogger } from './defaults.js';
import type { AmqpChannels } from './amqp-channels.js';
import type { AmqpSession } from './amqp-connection.js';
import { assertTopology } from './amqp-topology.js';
import {
  attemptOf,
  deadLetterQueueName,
  delay,
  errorMessage,
  isPoisonMessage,
  PUBLISHED_AT_HEADER,
  retryQueueName,
  scalarHeaders,
  settledWithin,
  type ResolvedQueueOptions,
} from './defaults.js';
import { HEADERS, type MessageHandler, type ReceivedMessage, type Subscription } from './types.js';

export interface AmqpSubscriptionDeps {
  readonly queue: string;
  readonly handler: MessageHandler;
  readonly queueOptions: ResolvedQueueOptions;
  readonly prefetch: number;
  readonly cancelTimeoutMs: number;
  readonly publishTimeoutMs: number;
  readonly channels: AmqpChannels;
  readonly logger: BusLogger;
  readonly now: () => Date;
  /** Called once the subscription is cancelled, so the bus forgets it. */
  readonly onCancelled: () => void;
}

export interface AmqpSubscription extends Subscription {
  /** Opens a channel and a consumer on `session`; rejects when that fails. */
  attach(session: AmqpSession): Promise<void>;
  /** Same after a reconnection: failures are logged and retried while the session lives. */
  resume(session: AmqpSession): void;
}

/** The channel a delivery came on; acks go to that channel only while it is open. */
interface Attachment {
  readonly session: AmqpSession;
  readonly channel: Channel;
  open: boolean;
  consumerTag: string | undefined;
}

const REATTACH_DELAY_MS = 1000;

/** The original AMQP timestamp, when there is one (copies keep the publisher's time). */
export function keptTimestamp(value: unknown): { timestamp?: number } {
  return typeof value === 'number' ? { timestamp: value } : {};
}

/**
 * One competing consumer of a work queue. Each delivery runs the handler; success acks it, failure
 * publishes a confirmed copy to `q.retry` (or `q.dlq`) and only then acks the original: a crash in
 * between duplicates the message (at-least-once) but never loses it. When the channel dies under a
 * running handler, nothing is acked or copied: the broker redelivers the message on its own.
 */
export function createAmqpSubscription(deps: AmqpSubscriptionDeps): AmqpSubscription {
  const { queue, handler, channels, logger } = deps;
  const { maxAttempts, retryDelayMs } = deps.queueOptions;
  let cancelled = false;
  let cancelling: Promise<void> | undefined;
  let current: Attachment | undefined;
  let attaching: Promise<void> | undefined;
  let reattachTimer: NodeJS.Timeout | undefined;
  const cancelSignal = new AbortController();
  const inFlight = new Set<Promise<void>>();

  function ack(attachment: Attachment, message: ConsumeMessage): void {
    if (!attachment.open) return;
    try {
      attachment.channel.ack(message);
    } catch (error) {
      // The channel closed between the check and the ack: the broker redelivers the message.
      logger.debug(`Confirmação descartada (canal fechado): ${errorMessage(error)}`);
    }
  }

  function requeue(attachment: Attachment, message: ConsumeMessage): void {
    if (!attachment.open) return;
    try {
      attachment.channel.nack(message, false, true);
    } catch {
      // Same as above: a closed channel gives the message back by itself.
    }
  }

  function toReceived(message: ConsumeMessage): ReceivedMessage {
    const headers = scalarHeaders(message.properties.headers);
    const publishedHeader = headers[PUBLISHED_AT_HEADER];
    const timestamp = message.properties.timestamp as number | undefined;
    return {
      messageId: (message.properties.messageId as string | undefined) ?? '',
      queue,
      content: message.content,
      headers,
      attempt: attemptOf(headers),
      redelivered: message.fields.redelivered,
      publishedAt:
        typeof publishedHeader === 'string'
          ? publishedHeader
          : timestamp === undefined
            ? undefined
            : new Date(timestamp * 1000).toISOString(),
    };
  }

  function copyProperties(message: ConsumeMessage, received: ReceivedMessage): Options.Publish {
    return {
      persistent: true,
      contentType: (message.properties.contentType as string | undefined) ?? 'application/json',
      messageId: received.messageId,
      ...keptTimestamp(message.properties.timestamp),
      headers: { ...received.headers },
    };
  }

  async function onFailure(
    attachment: Attachment,
    message: ConsumeMessage,
    received: ReceivedMessage,
    error: unknown,
  ): Promise<void> {
    const reason = errorMessage(error);
    const base = copyProperties(message, received);
    try {
      if (isPoisonMessage(error) || received.attempt >= maxAttempts) {
        const dlq = deadLetterQueueName(queue);
        await channels.sendConfirmed(
          queue,
          message.content,
          {
            ...base,
            headers: {
              ...received.headers,
              [HEADERS.deathReason]: reason,
              [HEADERS.deathQueue]: queue,
              [HEADERS.deathTime]: deps.now().toISOString(),
            },
          },
          deps.publishTimeoutMs,
          dlq,
        );
        logger.warn(
          `Mensagem ${received.messageId} enviada para a fila de mensagens mortas ${dlq}: ${reason}`,
        );
      } else {
        const delayMs = Math.max(0, Math.round(retryDelayMs(received.attempt)));
        await channels.sendConfirmed(
          queue,
          message.content,
          {
            ...base,
            headers: { ...received.headers, [HEADERS.attempt]: received.attempt + 1 },
            expiration: String(delayMs),
          },
          deps.publishTimeoutMs,
          retryQueueName(queue),
        );
        logger.warn(
          `Mensagem ${received.messageId} falhou na tentativa ${received.attempt} de ${maxAttempts} em ${queue}: ${reason}; nova tentativa em ${delayMs} ms`,
        );
      }
      ack(attachment, message);
    } catch (publishError) {
      // The copy was not confirmed: keep the original with the broker rather than risk losing it.
      logger.error(
        `Não foi possível reencaminhar a mensagem ${received.messageId} de ${queue}: ${errorMessage(publishError)}; devolvendo-a à fila`,
      );
      await delay(Math.min(retryDelayMs(received.attempt), 1000), cancelSignal.signal);
      requeue(attachment, message);
    }
  }

  async function handle(attachment: Attachment, message: ConsumeMessage): Promise<void> {
    const received = toReceived(message);
    try {
      await handler(received);
    } catch (error) {
      // Channel gone: the broker gives the message to another consumer; a retry copy would duplicate it.
      if (!attachment.open) return;
      await onFailure(attachment, message, received, error);
      return;
    }
    ack(attachment, message);
  }

  function onDelivery(attachment: Attachment, message: ConsumeMessage | null): void {
    // null: the broker cancelled the consumer (queue deleted); the channel's close handler reattaches.
    if (message === null) {
      logger.warn(`O broker cancelou o consumidor de ${queue}`);
      if (attachment.open) void attachment.channel.close().catch(() => undefined);
      return;
    }
    // After cancel() a delivery is left unacknowledged: closing the channel hands it back.
    if (cancelled) return;
    const task = handle(attachment, message).catch((error: unknown) => {
      logger.error(`Falha inesperada ao tratar mensagem de ${queue}: ${errorMessage(error)}`);
    });
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
  }

  function scheduleReattach(session: AmqpSession): void {
    if (cancelled || session.signal.aborted || reattachTimer !== undefined) return;
    reattachTimer = setTimeout(() => {
      reattachTimer = undefined;
      void attachSafely(session);
    }, REATTACH_DELAY_MS);
  }

  async function attachSafely(session: AmqpSession): Promise<void> {
    try {
      await attach(session);
    } catch (error) {
      logger.warn(`Não foi possível retomar o consumidor de ${queue}: ${errorMessage(error)}`);
      scheduleReattach(session);
    }
  }

  async function openConsumer(session: AmqpSession): Promise<void> {
    const channel = await session.model.createChannel();
    const attachment: Attachment = { session, channel, open: true, consumerTag: undefined };
    channel.on('error', (error: Error) => {
      logger.warn(`Erro no canal do consumidor de ${queue}: ${error.message}`);
    });
    channel.on('close', () => {
      attachment.open = false;
      if (current === attachment) current = undefined;
      // The channel died while the connection lives (a channel-level error): open another.
      scheduleReattach(session);
    });
    try {
      // Declared on this channel, not from the bus's cache: the queue may have been deleted behind
      // our back (the broker then cancels the consumer and we come back here).
      await assertTopology(channel, queue);
      await channel.prefetch(deps.prefetch);
      current = attachment;
      const reply = await channel.consume(queue, (message) => onDelivery(attachment, message), {
        noAck: false,
      });
      attachment.consumerTag = reply.consumerTag;
    } catch (error) {
      attachment.open = false;
      await channel.close().catch(() => undefined);
      throw error;
    }
    if (cancelled) await closeAttachment(attachment);
  }

  /** Nothing to attach: cancelled, the session is gone, or it already has our consumer. */
  function needless(session: AmqpSession): boolean {
    return cancelled || session.signal.aborted || (current?.session === session && current.open);
  }

  async function attach(session: AmqpSession): Promise<void> {
    if (needless(session)) return;
    if (attaching !== undefined) {
      await attaching.catch(() => undefined);
      if (needless(session)) return;
    }
    const opening = openConsumer(session);
    attaching = opening;
    try {
      await opening;
    } finally {
      if (attaching === opening) attaching = undefined;
    }
  }

  async function closeAttachment(attachment: Attachment): Promise<void> {
    if (!attachment.open) return;
    attachment.open = false;
    // Bounded: on a blackholed path the broker's close-ok never comes (the connection's heartbeat
    // or close() ends the socket later).
    await settledWithin(attachment.channel.close(), deps.cancelTimeoutMs);
  }

  return {
    attach,
    resume(session) {
      void attachSafely(session);
    },
    cancel() {
      cancelling ??= (async () => {
        cancelled = true;
        cancelSignal.abort();
        if (reattachTimer !== undefined) clearTimeout(reattachTimer);
        reattachTimer = undefined;
        await attaching?.catch(() => undefined);
        const attachment = current;
        if (attachment?.open === true && attachment.consumerTag !== undefined) {
          await settledWithin(attachment.channel.cancel(attachment.consumerTag), deps.cancelTimeoutMs);
        }
        const finished = await settledWithin(Promise.all(inFlight), deps.cancelTimeoutMs);
        if (!finished) {
          logger.warn(
            `Consumidor de ${queue} cancelado com ${inFlight.size} mensagens em processamento; o broker vai entregá-las de novo`,
          );
        }
        if (attachment !== undefined) await closeAttachment(attachment);
        current = undefined;
        deps.onCancelled();
      })();
      return cancelling;
    },
  };
}
