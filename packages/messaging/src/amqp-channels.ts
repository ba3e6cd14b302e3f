import type { Channel, ConfirmChannel, Options } from 'amqplib';
import { AppError } from '@dslab/errors';
import type { BusLogger } from './defaults.js';
import type { AmqpConnection, AmqpSession } from './amqp-connection.js';
import { assertTopology } from './amqp-topology.js';
import { errorMessage } from './defaults.js';

/**
 * The channels one connection shares: a confirm channel for every publish (many publishes in flight
 * at once, each resolved by its own confirm) and an admin channel for declarations and counts
 * (a failed declaration closes its channel; keeping it apart spares the publishes in flight).
 * Both are opened lazily and re-opened when the broker closes them.
 */
interface SessionChannels {
  publisher: Promise<ConfirmChannel> | undefined;
  admin: Promise<Channel> | undefined;
  /** Queues whose topology this connection has declared (publish declares before the first send). */
  readonly declared: Map<string, Promise<void>>;
}

export interface AmqpChannels {
  /**
   * Publishes to `target` (a work queue or one of its stages) with a confirm, waiting for a
   * connection first and declaring the topology of work queue `queue`; rejects AppError
   * 'unavailable' past `timeoutMs`.
   */
  sendConfirmed(
    queue: string,
    content: Buffer,
    properties: Options.Publish,
    timeoutMs: number,
    target?: string,
  ): Promise<void>;
  /** Declares the topology of `queue` on this session once. */
  declare(session: AmqpSession, queue: string): Promise<void>;
  /** Runs `work` on the session's admin channel. */
  withAdmin<T>(session: AmqpSession, work: (channel: Channel) => Promise<T>): Promise<T>;
  forget(session: AmqpSession, queue: string): void;
}

export function createAmqpChannels(connection: AmqpConnection, logger: BusLogger): AmqpChannels {
  const bySession = new WeakMap<AmqpSession, SessionChannels>();

  function channelsOf(session: AmqpSession): SessionChannels {
    let channels = bySession.get(session);
    if (channels === undefined) {
      channels = { publisher: undefined, admin: undefined, declared: new Map() };
      bySession.set(session, channels);
    }
    return channels;
  }

  function publisher(session: AmqpSession): Promise<ConfirmChannel> {
    const channels = channelsOf(session);
    if (channels.publisher !== undefined) return channels.publisher;
    const opening = session.model.createConfirmChannel().then((channel) => {
      channel.on('error', (error: Error) => {
        logger.warn(`Erro no canal de publicação: ${error.message}`);
      });
      channel.on('close', () => {
        if (channels.publisher === opening) channels.publisher = undefined;
      });
      return channel;
    });
    channels.publisher = opening;
    opening.catch(() => {
      if (channels.publisher === opening) channels.publisher = undefined;
    });
    return opening;
  }

  function admin(session: AmqpSession): Promise<Channel> {
    const channels = channelsOf(session);
    if (channels.admin !== undefined) return channels.admin;
    const opening = session.model.createChannel().then((channel) => {
      channel.on('error', (error: Error) => {
        logger.warn(`Erro no canal de administração: ${error.message}`);
      });
      channel.on('close', () => {
        if (channels.admin === opening) channels.admin = undefined;
      });
      return channel;
    });
    channels.admin = opening;
    opening.catch(() => {
      if (channels.admin === opening) channels.admin = undefined;
    });
    return opening;
  }

  async function withAdmin<T>(session: AmqpSession, work: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await admin(session);
    try {
      return await work(channel);
    } catch (error) {
      // Another operation's failure (e.g. a 406 on a declaration) closed the shared channel under
      // this one: try once more on a fresh channel, as long as the connection lives.
      if (!errorMessage(error).startsWith('Channel ended') || session.signal.aborted) throw error;
      return work(await admin(session));
    }
  }

  function declare(session: AmqpSession, queue: string): Promise<void> {
    const channels = channelsOf(session);
    const known = channels.declared.get(queue);
    if (known !== undefined) return known;
    const declaring = withAdmin(session, async (channel) => {
      await assertTopology(channel, queue);
    });
    channels.declared.set(queue, declaring);
    declaring.catch(() => {
      if (channels.declared.get(queue) === declaring) channels.declared.delete(queue);
    });
    return declaring;
  }

  async function send(
    queue: string,
    target: string,
    content: Buffer,
    properties: Options.Publish,
    timeoutMs: number,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const session = await connection.waitForSession(Math.max(1, deadline - Date.now()));
      const progress = { sent: false };
      try {
        await declare(session, queue);
        const channel = await publisher(session);
        await new Promise<void>((resolve, reject) => {
          // The callback fires on the broker's ack or nack, or with 'channel closed' when the channel
          // or connection dies first: a publish never resolves without a confirm.
          channel.sendToQueue(target, content, properties, (error: unknown) => {
            if (error === null || error === undefined) resolve();
            else reject(error instanceof Error ? error : new Error('the broker refused the message (nack)'));
          });
          progress.sent = true;
        });
        return;
      } catch (error) {
        // A connection that died before the message left can be waited out (the next one takes
        // it); once sent, the outcome is unknown and the caller must hear it failed.
        if (progress.sent || !session.signal.aborted || Date.now() >= deadline) throw error;
      }
    }
  }

  return {
    declare,
    withAdmin,
    forget(session, queue) {
      channelsOf(session).declared.delete(queue);
    },
    async sendConfirmed(queue, content, properties, timeoutMs, target = queue) {
      let timer: NodeJS.Timeout | undefined;
      const sending = send(queue, target, content, properties, timeoutMs);
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(
            new AppError(
              'unavailable',
              `The message broker did not confirm the message within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs);
      });
      // A confirm that arrives after the deadline is ignored: the caller was already told it failed.
      sending.catch(() => undefined);
      try {
        await Promise.race([sending, timeout]);
      } catch (error) {
        if (error instanceof AppError) throw error;
        throw new AppError(
          'unavailable',
          `The message broker did not take the message: ${errorMessage(error)}`,
          {
            cause: error,
          },
        );
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
