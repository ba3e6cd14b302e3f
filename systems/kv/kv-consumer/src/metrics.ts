/**
 * What kv-consumer reports at /metrics (Prometheus): writes applied, skipped (a newer version had
 * already won) and failed (retried or dead-lettered) per queue, and at each scrape how many
 * messages wait in each queue, its retry stage and its dead-letter queue.
 */
import type { KvApplier, KvQueues, KvWrite } from '@dslab/kv-core';
import { PoisonMessageError, type MessageBus, type MessageHandler, type QueueDepth } from '@dslab/messaging';
import { Counter, Gauge, type Registry } from 'prom-client';

/** The seed's queue names label the metrics, whatever prefix the deployment uses. */
type QueueLabel = 'add_key' | 'del_key';

export interface KvConsumerMetrics {
  /** The applier, counting applied and skipped writes. */
  instrumentApplier(applier: KvApplier): KvApplier;
  /**
   * The bus, counting every failed delivery: retried, or dead-lettered when it was a poison
   * message or its last attempt (`maxAttempts`, as the consumer subscribes with).
   */
  instrumentBus(bus: Pick<MessageBus, 'consume'>, maxAttempts: number): Pick<MessageBus, 'consume'>;
}

/** Longest wait for the broker's queue depths during a scrape; /metrics must not hang on it. */
const DEPTH_TIMEOUT_MS = 1000;

export function createKvConsumerMetrics(options: {
  readonly registry: Registry;
  readonly bus: Pick<MessageBus, 'depth'>;
  readonly queues: KvQueues;
}): KvConsumerMetrics {
  const { registry, queues } = options;
  const labelOf = (queue: string): QueueLabel => (queue === queues.delete ? 'del_key' : 'add_key');
  const labelOfWrite = (write: KvWrite): QueueLabel => (write.op === 'put' ? 'add_key' : 'del_key');

  const applied = new Counter({
    name: 'kv_consumer_writes_applied_total',
    help: 'writes applied to PostgreSQL and the cache (newer than what the key held)',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  const skipped = new Counter({
    name: 'kv_consumer_writes_skipped_total',
    help: 'writes that changed nothing: a newer version had already won, or a redelivery of one already applied',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  const retried = new Counter({
    name: 'kv_consumer_retries_total',
    help: 'deliveries that failed and were sent to the retry stage',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  const deadLettered = new Counter({
    name: 'kv_consumer_dead_lettered_total',
    help: 'messages sent to the dead-letter queue (poison, or attempts exhausted)',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  for (const queue of ['add_key', 'del_key'] as const) {
    // Present from the first scrape, at 0, so rates and alerts have a series to work on.
    applied.inc({ queue }, 0);
    skipped.inc({ queue }, 0);
    retried.inc({ queue }, 0);
    deadLettered.inc({ queue }, 0);
  }
  new Gauge({
    name: 'kv_queue_messages',
    help: 'messages waiting per queue and stage (ready, retrying, dead) at the time of the scrape',
    labelNames: ['queue', 'stage'] as const,
    registers: [registry],
    async collect() {
      for (const [label, queue] of [
        ['add_key', queues.put],
        ['del_key', queues.delete],
      ] as const) {
        const depth = await depthWithin(options.bus, queue, DEPTH_TIMEOUT_MS);
        if (depth === undefined) continue; // Broker unreachable: keep the last values.
        this.set({ queue: label, stage: 'ready' }, depth.ready);
        this.set({ queue: label, stage: 'retrying' }, depth.retrying);
        this.set({ queue: label, stage: 'dead' }, depth.dead);
      }
    },
  });

  return {
    instrumentApplier(applier) {
      return {
        async apply(write) {
          const result = await applier.apply(write);
          (result.applied ? applied : skipped).inc({ queue: labelOfWrite(write) });
          return result;
        },
      };
    },
    instrumentBus(bus, maxAttempts) {
      const counting =
        (handler: MessageHandler): MessageHandler =>
        async (message) => {
          try {
            await handler(message);
          } catch (error) {
            const last = error instanceof PoisonMessageError || message.attempt >= maxAttempts;
            (last ? deadLettered : retried).inc({ queue: labelOf(message.queue) });
            throw error;
          }
        };
      return {
        consume: (queue, handler, consumeOptions) => bus.consume(queue, counting(handler), consumeOptions),
      };
    },
  };
}

async function depthWithin(
  bus: Pick<MessageBus, 'depth'>,
  queue: string,
  timeoutMs: number,
): Promise<QueueDepth | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([bus.depth(queue).catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
