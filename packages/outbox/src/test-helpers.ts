/**
 * What the outbox tests share (never imported by the package's code): a migrated database on
 * either engine, the rows to enqueue, a consumer that records every delivery, buses whose
 * publish a test controls, and a count of the relay's batch queries. Buses of either kind,
 * waiting and logging helpers come from @dslab/messaging/testing.
 */
import { migrate, type Engine } from '@dslab/db';
import type { MessageBus, OutgoingMessage, ReceivedMessage, Subscription } from '@dslab/messaging';
import { uniqueQueue } from '@dslab/messaging/testing';
import { createTestDatabase, type TestDatabase } from '@dslab/testing';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from 'kysely';
import { outboxMigration } from './migration.js';
import type { OutboxMessage } from './outbox.js';
import type { OutboxTables } from './schema.js';

/** When the tests' rows were enqueued (criado_em). */
export const AT = '2025-10-26T18:00:00.000Z';

/** A fresh database (temp SQLite file or PostgreSQL schema) with the outbox tables. */
export async function openOutboxDatabase(engine: Engine): Promise<TestDatabase<OutboxTables>> {
  const database = await createTestDatabase<OutboxTables>(engine, 'outbox');
  try {
    await migrate(database, { '0001_outbox': outboxMigration(engine) });
  } catch (error) {
    await database.dispose();
    throw error;
  }
  return database;
}

export function messages(queue: string, prefix: string, from: number, count: number): OutboxMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    queue,
    messageId: `${prefix}-${String(from + i).padStart(5, '0')}`,
    body: { n: from + i, texto: 'olá' },
    headers: { 'x-teste': prefix },
  }));
}

export interface Received {
  readonly queue: string;
  readonly messages: ReceivedMessage[];
  /** Message ids in delivery order. */
  ids(): string[];
  /** How many deliveries each id had. */
  counts(): Map<string, number>;
  readonly subscription: Subscription;
  /** Cancels the consumer, then deletes the queue. */
  dispose(): Promise<void>;
}

/** Consumes `queue` (by default one of its own) on `bus` and keeps every delivery. */
export async function consumeAll(bus: MessageBus, queue = uniqueQueue('outbox')): Promise<Received> {
  const received: ReceivedMessage[] = [];
  const subscription = await bus.consume(
    queue,
    async (message) => {
      received.push(message);
    },
    { prefetch: 200 },
  );
  return {
    queue,
    messages: received,
    ids: () => received.map((m) => m.messageId),
    counts() {
      const counts = new Map<string, number>();
      for (const m of received) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
      return counts;
    },
    subscription,
    async dispose() {
      await subscription.cancel();
      await bus.deleteQueue(queue);
    },
  };
}

/**
 * `bus` with its publish in the test's hands: `around` gets each message and the real publish,
 * and decides when, or whether, to call it.
 */
export function wrapPublish(
  bus: MessageBus,
  around: (message: OutgoingMessage, publish: () => Promise<void>) => Promise<void>,
): MessageBus {
  return { ...bus, publish: (queue, message) => around(message, () => bus.publish(queue, message)) };
}

/** `bus` on which the broker refuses message `messageId` every time (its publish throws `reason`). */
export function refusing(bus: MessageBus, messageId: string, reason: string): MessageBus {
  return wrapPublish(bus, async (message, publish) => {
    if (message.messageId === messageId) throw new Error(reason);
    await publish();
  });
}

/** Counts the relay's batch queries (SELECTs with a LIMIT): one per batch, at least one per pass. */
export function batchQueryCounter(): KyselyPlugin & { readonly count: () => number } {
  let count = 0;
  return {
    count: () => count,
    transformQuery(args: PluginTransformQueryArgs) {
      if (args.node.kind === 'SelectQueryNode' && args.node.limit !== undefined) count += 1;
      return args.node;
    },
    transformResult(args: PluginTransformResultArgs) {
      return Promise.resolve(args.result);
    },
  };
}
