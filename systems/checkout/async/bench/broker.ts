/**
 * The broker's own ceiling, measured in the same run: M messages through one RabbitMQ queue with
 * one consumer, through @dslab/messaging's AMQP bus exactly as the checkout uses it (persistent
 * publish, wait for the publisher confirm; consume with a prefetch, ack after the handler).
 */
import { randomBytes } from 'node:crypto';
import { messageOf } from '@dslab/checkout-contracts/messages';
import { createLogger } from '@dslab/logging';
import { createAmqpBus } from '@dslab/messaging';
import { cpuBetween, cpuSnapshot, startSampler } from '@dslab/bench-kit';
import { distribution, perSecond, type BrokerBaseline } from './results.js';

/** A real command envelope, as large as the checkout's (pedido id, trace id, time, dados). */
function sampleMessage(i: number) {
  return messageOf(
    'PROCESSAR_PAGAMENTO',
    i + 1,
    { valor_centavos: 12_345, metodo: 'cartao_credito' },
    { traceId: randomBytes(16).toString('hex'), at: new Date().toISOString() },
  );
}

export async function measureBrokerRoundTrip(options: {
  amqpUrl: string;
  queue: string;
  messages: number;
  concurrency: number;
  prefetch: number;
  timeoutMs?: number;
}): Promise<BrokerBaseline> {
  const bus = await createAmqpBus({
    url: options.amqpUrl,
    connectionName: `bench-checkout-async-broker:${process.pid}`,
    logger: createLogger({ service: 'bench-broker', level: 'silent' }),
  });
  try {
    await bus.declareQueue(options.queue);
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    let received = 0;
    let lastReceivedAt = Number.NaN;
    let allReceived: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      allReceived = resolve;
    });
    const subscription = await bus.consume(
      options.queue,
      async (message) => {
        const now = performance.now();
        const sent = sentAt.get(message.messageId);
        if (sent === undefined) return; // a redelivery of one already counted
        sentAt.delete(message.messageId);
        latencies.push(now - sent);
        received += 1;
        lastReceivedAt = now;
        if (received === options.messages) allReceived();
      },
      { prefetch: options.prefetch },
    );
    const bodyBytes = Buffer.byteLength(JSON.stringify(sampleMessage(0)));
    const engines = cpuSnapshot();
    const sampler = startSampler([]);
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        for (let i = next++; i < options.messages; i = next++) {
          const messageId = `bench:${i}`;
          sentAt.set(messageId, performance.now());
          await bus.publish(options.queue, { messageId, body: sampleMessage(i) });
        }
      }),
    );
    const timeoutMs = options.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(
            new Error(`only ${received} of ${options.messages} messages consumed after ${timeoutMs} ms`),
          );
        }, timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    const { benchCpuPercent } = sampler.stop();
    const cpu = cpuBetween(engines, cpuSnapshot());
    await subscription.cancel();
    const seconds = (lastReceivedAt - started) / 1000;
    return {
      messages: options.messages,
      concurrency: options.concurrency,
      prefetch: options.prefetch,
      bodyBytes,
      seconds,
      rate: perSecond(options.messages, seconds),
      latencyMs: distribution(latencies),
      cpu: { rabbitmq: cpu.rabbitmq, bench: benchCpuPercent },
    };
  } finally {
    await bus.deleteQueue(options.queue).catch(() => undefined);
    await bus.close();
  }
}
