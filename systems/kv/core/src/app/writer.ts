/**
 * PUT / DELETE: take a version, stamp the server's time, queue the write and answer only once
 * the broker confirmed it (publisher confirms), so a 202 always means the write will be applied.
 * One nextval and one confirmed publish per write; nothing else touches PostgreSQL here.
 *
 * A broker failure answers 503. If the confirm was lost after the broker stored the message,
 * the write may still be applied; a client retry gets a higher version and wins, so retrying
 * after a 503 is safe.
 */
import { AppError, invalidFields, isAppError } from '@dslab/errors';
import type { MessageBus } from '@dslab/messaging';
import { encodeWrite, type KvQueues } from '../domain/messages.js';
import type { KvWrite, QueuedWrite } from '../domain/types.js';
import { validateKey, validateValue } from '../domain/validation.js';
import { messageOf, type KvLogger } from './logger.js';
import type { KvStore } from './ports.js';

export interface KvWriter {
  put(key: string, value: string): Promise<QueuedWrite>;
  delete(key: string): Promise<QueuedWrite>;
}

export interface KvWriterOptions {
  store: Pick<KvStore, 'nextVersion'>;
  bus: Pick<MessageBus, 'publish'>;
  queues: KvQueues;
  /** The server's clock (wire timestamps are its ISO-8601 UTC time). */
  now: () => Date;
  logger: KvLogger;
}

export function createKvWriter({ store, bus, queues, now, logger }: KvWriterOptions): KvWriter {
  async function enqueue(write: KvWrite): Promise<QueuedWrite> {
    const queue = write.op === 'put' ? queues.put : queues.delete;
    try {
      await bus.publish(queue, encodeWrite(write));
    } catch (error) {
      logger.warn(
        `Escrita de "${write.key}" v${write.version} não enfileirada em ${queue}: ${messageOf(error)}`,
      );
      if (isAppError(error)) throw error;
      throw new AppError('unavailable', 'The message broker did not confirm the write; it was not queued', {
        cause: error,
      });
    }
    return { queue, key: write.key, version: write.version, timestamp: write.timestamp };
  }

  async function stamp(key: string): Promise<{ version: number; timestamp: string }> {
    const problem = validateKey(key);
    if (problem !== undefined) throw invalidFields([{ field: 'key_name', message: problem }]);
    const version = await store.nextVersion();
    return { version, timestamp: now().toISOString() };
  }

  return {
    async put(key, value) {
      const problem = validateValue(value);
      if (problem !== undefined) throw invalidFields([{ field: 'key_value', message: problem }]);
      return enqueue({ op: 'put', key, value, ...(await stamp(key)) });
    },
    async delete(key) {
      return enqueue({ op: 'delete', key, ...(await stamp(key)) });
    },
  };
}
