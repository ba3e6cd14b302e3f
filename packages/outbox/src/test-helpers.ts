/**
 * What the outbox tests share (never imported by the package's code): a migrated database on
 * either engine, the buses to run against, a consumer that records every delivery, and small
 * waiting helpers.
 */
import assert from 'node:assert/strict';
import { migrate, type Engine } from '@dslab/db';
import {
  createInProcessBus,
  type MessageBus,
  type ReceivedMessage,
  type Subscription,
} from '@dslab/messaging';
import { openTestAmqpBus, uniqueQueue } from '@dslab/messaging/testing';
import { createTestDatabase, type TestDatabase } from '@dslab/testing';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from 'kysely';
import { outboxMigration } from './migration.js';
import type { OutboxMessage } from './outbox.js';
import type { RelayLogger } from './relay.js';
import type { OutboxTables } from './schema.js';

export type BusKind = 'in-process' | 'amqp';
export const BUS_KINDS: readonly BusKind[] = ['in-process', 'amqp'];

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

export async function openBus(kind: BusKind): Promise<MessageBus> {
  return kind === 'amqp' ? openTestAmqpBus() : createInProcessBus();
}

/** A queue name of its own per test (for AMQP, delete it afterwards). */
export function testQueue(): string {
  return uniqueQueue('outbox');
}

export function collectingLogger(): RelayLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (message) => lines.push(`DEBUG:${message}`),
    info: (message) => lines.push(`INFO:${message}`),
    warn: (message) => lines.push(`WARNING:${message}`),
    error: (message) => lines.push(`ERROR:${message}`),
  };
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
  readonly messages: ReceivedMessage[];
  /** Message ids in delivery order. */
  ids(): string[];
  /** How many deliveries each id had. */
  counts(): Map<string, number>;
  readonly subscription: Subscription;
}

/** Consumes `queue` on `bus` and keeps every delivery. */
export async function consumeAll(bus: MessageBus, queue: string): Promise<Received> {
  const received: ReceivedMessage[] = [];
  const subscription = await bus.consume(
    queue,
    async (message) => {
      received.push(message);
    },
    { prefetch: 200 },
  );
  return {
    messages: received,
    ids: () => received.map((m) => m.messageId),
    counts() {
      const counts = new Map<string, number>();
      for (const m of received) counts.set(m.messageId, (counts.get(m.messageId) ?? 0) + 1);
      return counts;
    },
    subscription,
  };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `predicate` holds; fails with `what` past the timeout (never a timing assertion). */
export async function eventually(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await delay(10);
  }
}

export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
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
