/**
 * kv-api on port 0 over real engines: a fresh PostgreSQL schema and Redis prefix per harness
 * (openTestKv), queues with a unique prefix, and either the in-process bus (when the broker is not
 * the point) or the real RabbitMQ. `applyQueued()` runs the real consumer use case until the queues
 * are drained, so a test can write through the API and read the applied result back.
 */
import type { HealthCheck } from '@dslab/http-kit';
import {
  createKvApplier,
  createKvReader,
  createKvWriter,
  kvQueues,
  subscribeKvConsumers,
  type KvCache,
  type KvQueues,
  type KvStore,
} from '@dslab/kv-core';
import { openTestKv, type TestKv } from '@dslab/kv-core/testing';
import { createLogger, type Logger } from '@dslab/logging';
import { createInProcessBus, type MessageBus, type QueueDepth } from '@dslab/messaging';
import { openTestAmqpBus, uniqueQueue, waitForDrain } from '@dslab/messaging/testing';
import { startOnFreePort } from '@dslab/testing';
import { buildKvApi } from '../src/app.js';

export interface ApiHarness {
  readonly url: string;
  readonly kv: TestKv;
  readonly bus: MessageBus;
  readonly queues: KvQueues;
  /** Every line the API and the consumer logged (warnings and up). */
  readonly lines: string[];
  /** Applies every queued write (the real applier), and returns once both queues are empty. */
  applyQueued(): Promise<void>;
  /** Depth of both queues, summed: what the API queued and nobody applied yet. */
  queuedDepth(): Promise<QueueDepth>;
  close(): Promise<void>;
}

export interface ApiHarnessOptions {
  readonly broker?: 'in-process' | 'amqp';
  readonly minVersionWaitMs?: number;
  /** The cache the API reads through (default: the harness's working one). */
  readonly cache?: (kv: TestKv) => KvCache;
  /** The store the API reads and takes versions from (default: the harness's). */
  readonly store?: (kv: TestKv) => KvStore;
  readonly health?: (kv: TestKv, bus: MessageBus) => HealthCheck;
  /** The server's clock that stamps writes (default the wall clock). */
  readonly now?: () => Date;
}

export function testLogger(lines: string[]): Logger {
  return createLogger({
    service: 'kv-api',
    level: 'warn',
    console: false,
    onLine: (line) => lines.push(line),
  });
}

export async function startApi(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const lines: string[] = [];
  const logger = testLogger(lines);
  const kv = await openTestKv();
  let bus: MessageBus | undefined;
  let server: Awaited<ReturnType<typeof startOnFreePort>> | undefined;
  const queues = kvQueues(`${uniqueQueue('kvapi')}.`);
  const cleanUp = async () => {
    await server?.close();
    if (bus !== undefined) {
      if (options.broker === 'amqp') {
        await Promise.allSettled([bus.deleteQueue(queues.put), bus.deleteQueue(queues.delete)]);
      }
      await bus.close();
    }
    await kv.dispose();
  };
  try {
    bus = options.broker === 'amqp' ? await openTestAmqpBus() : createInProcessBus();
    const openBus = bus;
    const store = options.store?.(kv) ?? kv.store;
    const app = await buildKvApi({
      logger,
      reader: createKvReader({
        store,
        cache: options.cache?.(kv) ?? kv.cache,
        logger,
        minVersionWaitMs: options.minVersionWaitMs ?? 2000,
      }),
      writer: createKvWriter({ store, bus: openBus, queues, now: options.now ?? (() => new Date()), logger }),
      ...(options.health === undefined ? {} : { health: options.health(kv, openBus) }),
    });
    server = await startOnFreePort(app);
    return {
      url: server.url,
      kv,
      bus: openBus,
      queues,
      lines,
      async applyQueued() {
        const subscriptions = await subscribeKvConsumers({
          bus: openBus,
          applier: createKvApplier({ store: kv.store, cache: kv.cache, logger }),
          queues,
          logger,
        });
        try {
          await waitForDrain(openBus, [queues.put, queues.delete], { timeoutMs: 20_000 });
        } finally {
          // cancel() waits for the handlers in flight: every write taken is applied when it returns.
          await Promise.all(subscriptions.map((subscription) => subscription.cancel()));
        }
      },
      async queuedDepth() {
        const [put, del] = await Promise.all([openBus.depth(queues.put), openBus.depth(queues.delete)]);
        return {
          ready: put.ready + del.ready,
          retrying: put.retrying + del.retrying,
          dead: put.dead + del.dead,
        };
      },
      close: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

export const NOTHING_QUEUED: QueueDepth = { ready: 0, retrying: 0, dead: 0 };

/** A problem+json answer's body. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly errors?: readonly { field: string; message: string }[];
  readonly [extension: string]: unknown;
}
