/**
 * The lecture's consumer (seed 002: `mqChannel.consume('add_key' | 'del_key', …)`) on the messaging
 * port: one competing consumer per queue, acknowledging only after the write is committed to
 * PostgreSQL and the cache, with bounded retries and a dead-letter queue (the bus does those).
 */
import { subscribeKvConsumers, type KvApplier, type KvQueues } from '@dslab/kv-core';
import type { Logger } from '@dslab/logging';
import { DEFAULT_MAX_ATTEMPTS, type ConsumeOptions, type MessageBus } from '@dslab/messaging';
import type { KvConsumerMetrics } from './metrics.js';

export interface KvConsumerDeps {
  readonly bus: MessageBus;
  readonly applier: KvApplier;
  readonly queues: KvQueues;
  readonly logger: Logger;
  /** Prefetch, attempts and retry delays of both subscriptions (the bus's defaults otherwise). */
  readonly consume?: ConsumeOptions;
  /** Counts applied, skipped, retried and dead-lettered writes, when given. */
  readonly metrics?: KvConsumerMetrics;
}

export interface RunningKvConsumer {
  /** True from start until stop() is called. */
  readonly consuming: boolean;
  /** Stops taking messages and waits for the ones in flight to be applied and acknowledged. */
  stop(): Promise<void>;
}

export async function startKvConsumer(deps: KvConsumerDeps): Promise<RunningKvConsumer> {
  const { queues, logger, metrics } = deps;
  const maxAttempts = deps.consume?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const bus = metrics === undefined ? deps.bus : metrics.instrumentBus(deps.bus, maxAttempts);
  const applier = metrics === undefined ? deps.applier : metrics.instrumentApplier(deps.applier);
  const subscriptions = await subscribeKvConsumers({
    bus,
    applier,
    queues,
    logger,
    ...(deps.consume === undefined ? {} : { consume: deps.consume }),
  });
  logger.info(`Consumindo as filas ${queues.put} e ${queues.delete}`);
  let stopped: Promise<void> | undefined;
  return {
    get consuming() {
      return stopped === undefined;
    },
    stop() {
      stopped ??= Promise.all(subscriptions.map((subscription) => subscription.cancel())).then(() => {
        logger.info(`Consumo de ${queues.put} e ${queues.delete} encerrado`);
      });
      return stopped;
    },
  };
}
