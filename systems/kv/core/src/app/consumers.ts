/**
 * Wires the applier to the two work queues. The bus acknowledges after the handler resolves
 * (the effect is committed), retries a throwing handler with a bounded count and then
 * dead-letters it; a message that does not parse is poison and goes to the dead-letter queue at once.
 */
import type { ConsumeOptions, MessageBus, Subscription } from '@dslab/messaging';
import { parseWriteMessage, seedQueueName, type KvQueues } from '../domain/messages.js';
import type { KvOp } from '../domain/types.js';
import type { KvApplier } from './applier.js';
import { messageOf, truncateForLog, type KvLogger } from './logger.js';

export interface SubscribeKvConsumersOptions {
  bus: Pick<MessageBus, 'consume'>;
  applier: KvApplier;
  queues: KvQueues;
  logger: KvLogger;
  consume?: ConsumeOptions;
}

export async function subscribeKvConsumers({
  bus,
  applier,
  queues,
  logger,
  consume,
}: SubscribeKvConsumersOptions): Promise<Subscription[]> {
  const subscriptions: Subscription[] = [];
  const ops: [KvOp, string][] = [
    ['put', queues.put],
    ['delete', queues.delete],
  ];
  try {
    for (const [op, queue] of ops) {
      const subscription = await bus.consume(
        queue,
        async (message) => {
          let write;
          try {
            write = parseWriteMessage(op, message.content);
          } catch (error) {
            logger.warn(
              `⚠ Invalid ${seedQueueName(op)} message: ${truncateForLog(message.content.toString('utf8'))}`,
              {
                reason: messageOf(error),
              },
            );
            throw error;
          }
          await applier.apply(write);
        },
        consume,
      );
      subscriptions.push(subscription);
    }
  } catch (error) {
    await Promise.allSettled(subscriptions.map((s) => s.cancel()));
    throw error;
  }
  return subscriptions;
}
