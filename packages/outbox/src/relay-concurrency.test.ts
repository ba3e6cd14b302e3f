import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { openDatabase, type Database } from '@dslab/db';
import { collectingLogger, eventually, openTestAmqpBus, waitForDrain } from '@dslab/messaging/testing';
import { enqueue } from './outbox.js';
import { createOutboxRelay, type OutboxRelay } from './relay.js';
import type { OutboxTables } from './schema.js';
import { AT, consumeAll, messages, openOutboxDatabase, wrapPublish } from './test-helpers.js';

/**
 * Several processes relaying one PostgreSQL schema: each relay has its own pool and its own
 * broker connection, as separate processes would. SKIP LOCKED must keep any row from being
 * published by two relays.
 */

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test('when three relays drain 2,000 rows of one PostgreSQL schema at once, then every message is published exactly once', async () => {
  const total = 2000;
  const database = await openOutboxDatabase('postgres');
  cleanups.push(() => database.dispose());
  const observer = await openTestAmqpBus();
  cleanups.push(() => observer.close());
  const received = await consumeAll(observer);
  cleanups.push(() => received.dispose());
  const { queue } = received;

  const { options } = database;
  assert.equal(options.engine, 'postgres');
  const relays: OutboxRelay[] = [];
  const confirmedBy: number[] = [];
  for (let i = 0; i < 3; i++) {
    const own: Database<OutboxTables> = await openDatabase<OutboxTables>({ ...options, poolSize: 3 });
    const bus = await openTestAmqpBus();
    cleanups.push(async () => {
      await bus.close();
      await own.close();
    });
    confirmedBy.push(0);
    // Counts the confirmed publishes of this relay: their sum must be the number of rows.
    const counting = wrapPublish(bus, async (_message, publish) => {
      await publish();
      confirmedBy[i] = (confirmedBy[i] ?? 0) + 1;
    });
    const relay = createOutboxRelay({
      database: own,
      bus: counting,
      logger: collectingLogger(),
      batchSize: 25,
      idlePollMs: 20,
    });
    cleanups.push(() => relay.stop());
    relays.push(relay);
  }

  // Half is waiting before the relays start; the other half is committed while they drain.
  await database.db.transaction().execute((trx) => enqueue(trx, messages(queue, 'm', 0, total / 2), AT));
  for (const relay of relays) relay.start();
  for (let from = total / 2; from < total; from += 100) {
    await database.db.transaction().execute((trx) => enqueue(trx, messages(queue, 'm', from, 100), AT));
    for (const relay of relays) relay.wake();
  }

  await eventually('every message arrives', () => received.counts().size === total, 60_000);
  await eventually('the outbox is empty', async () => (await relays[0]?.pending()) === 0);
  for (const relay of relays) await relay.stop();
  await waitForDrain(observer, [queue]);
  await delay(200);

  const duplicated = [...received.counts().entries()].filter(([, n]) => n > 1);
  assert.deepEqual(duplicated, [], 'no message was published twice');
  assert.equal(received.messages.length, total);
  assert.equal(
    confirmedBy.reduce((a, b) => a + b, 0),
    total,
    `confirmed publishes per relay: ${confirmedBy.join(', ')}`,
  );
  const expected = new Set(messages(queue, 'm', 0, total).map((m) => m.messageId));
  assert.deepEqual(new Set(received.ids()), expected);
  // Not a guarantee, but with 2,000 rows and batches of 25 the relays share the work.
  assert.ok(confirmedBy.filter((n) => n > 0).length >= 2, `work per relay: ${confirmedBy.join(', ')}`);
});
