import type { Channel } from 'amqplib';
import { deadLetterQueueName, retryQueueName } from './defaults.js';
import type { QueueDepth } from './types.js';

/**
 * The three queues behind one work queue `q`:
 * - `q`: durable, no arguments (so the seed's own `assertQueue(q, { durable: true })` still matches);
 * - `q.retry`: a failed message waits here with a per-message `expiration` (its retry delay), then
 *   RabbitMQ dead-letters it back to `q` through the default exchange;
 * - `q.dlq`: messages whose attempts ran out, or that can never succeed, wait for a human.
 * Per-message TTLs expire only at the head of a queue, so a long delay at the head holds shorter ones
 * behind it; with the capped back-off that bounds a retry's lateness by the cap.
 */
export async function assertTopology(channel: Channel, queue: string): Promise<QueueDepth> {
  const main = await channel.assertQueue(queue, { durable: true });
  const retry = await channel.assertQueue(retryQueueName(queue), {
    durable: true,
    deadLetterExchange: '',
    deadLetterRoutingKey: queue,
  });
  const dead = await channel.assertQueue(deadLetterQueueName(queue), { durable: true });
  return { ready: main.messageCount, retrying: retry.messageCount, dead: dead.messageCount };
}

export async function deleteTopology(channel: Channel, queue: string): Promise<void> {
  await channel.deleteQueue(queue);
  await channel.deleteQueue(retryQueueName(queue));
  await channel.deleteQueue(deadLetterQueueName(queue));
}
