import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { AppError } from '@dslab/errors';
import { createInProcessBus, type MessageBus, type ReceivedMessage } from '@dslab/messaging';
import { waitForDrain } from '@dslab/messaging/testing';
import { expectAppError, seededRandom } from '@dslab/testing';
import {
  createKvApplier,
  createKvWriter,
  kvQueues,
  subscribeKvConsumers,
  type KvQueues,
  type KvStore,
  type KvWrite,
} from '../src/index.js';
import { checkConvergence, expectedStates, recordingLogger, useTestKv } from '../src/testing.js';

/** Collects what reaches a queue (a consumer that acknowledges everything). */
async function collect(bus: MessageBus, queue: string) {
  const received: ReceivedMessage[] = [];
  const subscription = await bus.consume(queue, async (message) => {
    received.push(message);
  });
  return { received, subscription };
}

const fixedNow = (iso: string) => () => new Date(iso);

describe('KV writer (PUT / DELETE)', () => {
  const kv = useTestKv();
  const bus = createInProcessBus();
  const queues = kvQueues('w.');
  after(() => bus.close());

  /** A writer on this block's bus (and `own` queues) whose clock always reads `iso`. */
  function writerAt(iso: string, own: KvQueues = queues) {
    return createKvWriter({
      store: kv.store,
      bus,
      queues: own,
      now: fixedNow(iso),
      logger: recordingLogger(),
    });
  }

  test("when a PUT is accepted, then add_key gets the seed's body stamped with a new version and the server's time, confirmed before it resolves", async () => {
    const { received, subscription } = await collect(bus, queues.put);
    const writer = writerAt('2025-11-01T10:00:00.123Z');
    const queued = await writer.put('user:1', 'Ana');
    await waitForDrain(bus, [queues.put]);
    await subscription.cancel();
    assert.deepEqual(queued, {
      queue: 'w.add_key',
      key: 'user:1',
      version: queued.version,
      timestamp: '2025-11-01T10:00:00.123Z',
    });
    assert.equal(queued.version, await kv.store.highestIssuedVersion());
    assert.equal(received.length, 1);
    assert.equal(received[0]?.messageId, `kv-${queued.version}`);
    assert.deepEqual(JSON.parse(received[0].content.toString()), {
      key_name: 'user:1',
      key_value: 'Ana',
      version: queued.version,
      timestamp: '2025-11-01T10:00:00.123Z',
    });
  });

  test('when a DELETE is accepted, then del_key gets {key_name, version, timestamp}', async () => {
    const { received, subscription } = await collect(bus, queues.delete);
    const writer = writerAt('2025-11-01T10:00:01.000Z');
    const queued = await writer.delete('user:1');
    await waitForDrain(bus, [queues.delete]);
    await subscription.cancel();
    assert.equal(queued.queue, 'w.del_key');
    assert.deepEqual(JSON.parse(received[0]?.content.toString() ?? ''), {
      key_name: 'user:1',
      version: queued.version,
      timestamp: '2025-11-01T10:00:01.000Z',
    });
  });

  test('when two replicas with skewed clocks accept writes in turn, then the versions follow the acceptance order, not the clocks', async () => {
    const fast = writerAt('2030-01-01T00:00:00.000Z');
    const slow = writerAt('2020-01-01T00:00:00.000Z');
    const first = await fast.put('skew', 'first');
    const second = await slow.put('skew', 'second');
    const third = await fast.delete('skew');
    assert.ok(first.version < second.version && second.version < third.version);
  });

  test('when the key or value is invalid, then the writer refuses it before taking a version or publishing', async () => {
    const highest = await kv.store.highestIssuedVersion();
    const own = kvQueues('w-invalid.');
    const writer = writerAt('2025-11-01T10:00:02.000Z', own);
    const badKey = await expectAppError(writer.put('', 'x'));
    assert.equal(badKey.code, 'validation-failed');
    assert.equal((await expectAppError(writer.delete('a\nb'))).code, 'validation-failed');
    assert.equal((await expectAppError(writer.put('k', 'x'.repeat(262_145)))).code, 'validation-failed');
    assert.equal(await kv.store.highestIssuedVersion(), highest);
    assert.deepEqual(await bus.depth(own.put), { ready: 0, retrying: 0, dead: 0 });
    assert.deepEqual(await bus.depth(own.delete), { ready: 0, retrying: 0, dead: 0 });
  });

  test('when the broker cannot take the message, then the write fails with 503 unavailable instead of answering 202', async () => {
    const closed = createInProcessBus();
    await closed.close();
    const logger = recordingLogger();
    const writer = createKvWriter({ store: kv.store, bus: closed, queues, now: () => new Date(), logger });
    const error = await expectAppError(writer.put('k', 'v'));
    assert.deepEqual([error.code, error.status], ['unavailable', 503]);
    assert.match(logger.lines[0]?.message ?? '', /não enfileirada/);
  });
});

describe('KV consumers (applier on the queues)', () => {
  const kv = useTestKv();
  const bus = createInProcessBus();
  after(() => bus.close());

  const fastRetries = { maxAttempts: 3, retryDelayMs: () => 5 };

  test("when many PUTs and DELETEs of a few keys are queued, then after the queues drain PostgreSQL and Redis hold each key's last accepted write", async () => {
    const queues = kvQueues('c1.');
    const logger = recordingLogger();
    const applier = createKvApplier({ store: kv.store, cache: kv.cache, logger });
    const writer = createKvWriter({
      store: kv.store,
      bus,
      queues,
      now: () => new Date('2025-11-01T10:00:00.000Z'),
      logger,
    });
    const subscriptions = await subscribeKvConsumers({
      bus,
      applier,
      queues,
      logger,
      consume: { prefetch: 8 },
    });
    const random = seededRandom(6);
    const accepted: KvWrite[] = [];
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const key = `key-${Math.floor(random() * 5)}`;
        if (random() < 0.3) {
          const q = await writer.delete(key);
          accepted.push({ op: 'delete', key, version: q.version, timestamp: q.timestamp });
        } else {
          const q = await writer.put(key, `value ${i}`);
          accepted.push({ op: 'put', key, value: `value ${i}`, version: q.version, timestamp: q.timestamp });
        }
      }),
    );
    await waitForDrain(bus, [queues.put, queues.delete]);
    await Promise.all(subscriptions.map((s) => s.cancel()));
    assert.deepEqual(
      await checkConvergence({ store: kv.store, cache: kv.cache, expected: expectedStates(accepted) }),
      [],
    );
    assert.equal((await bus.depth(queues.put)).dead + (await bus.depth(queues.delete)).dead, 0);
    assert.ok(
      logger.lines.some((l) =>
        /^\[add_key\] key-\d set to "value \d+" at 2025-11-01T10:00:00.000Z$/.test(l.message),
      ),
    );
  });

  test('when a message is malformed, then it goes to the dead-letter queue at once with the reason, logged as the seed does', async () => {
    const queues = kvQueues('c2.');
    const logger = recordingLogger();
    const applier = createKvApplier({ store: kv.store, cache: kv.cache, logger });
    const subscriptions = await subscribeKvConsumers({ bus, applier, queues, logger, consume: fastRetries });
    await bus.publish(queues.put, {
      messageId: 'bad-1',
      body: { key_name: 'x', key_value: 42, version: 1, timestamp: '2025-11-01T10:00:00.000Z' },
    });
    await waitForDrain(bus, [queues.put]);
    await Promise.all(subscriptions.map((s) => s.cancel()));
    const dead = await bus.peekDeadLetters(queues.put);
    assert.equal(dead.length, 1);
    assert.equal(dead[0]?.attempts, 1);
    assert.match(dead[0].reason, /key_value: the value must be a string/);
    assert.ok(logger.lines.some((l) => l.message.startsWith('⚠ Invalid add_key message: {"key_name":"x"')));
    assert.equal(await kv.store.read('x'), undefined);
  });

  /** The real store, failing its first `failures` applies (PostgreSQL down for a while). */
  function failing(store: KvStore, failures: number): KvStore {
    let left = failures;
    return {
      ...store,
      apply: async (write) => {
        if (left > 0) {
          left--;
          throw new AppError('unavailable', 'The database is not reachable right now; try again shortly');
        }
        return store.apply(write);
      },
    };
  }

  test('when applying fails for a while, then the message is retried and applied once the store is back', async () => {
    const queues = kvQueues('c3.');
    const logger = recordingLogger();
    const applier = createKvApplier({ store: failing(kv.store, 2), cache: kv.cache, logger });
    const subscriptions = await subscribeKvConsumers({ bus, applier, queues, logger, consume: fastRetries });
    const writer = createKvWriter({ store: kv.store, bus, queues, now: () => new Date(), logger });
    const q = await writer.put('flaky', 'eventually');
    await waitForDrain(bus, [queues.put]);
    await Promise.all(subscriptions.map((s) => s.cancel()));
    assert.deepEqual(await kv.store.read('flaky'), {
      key: 'flaky',
      value: 'eventually',
      version: q.version,
      writtenAt: q.timestamp,
    });
    assert.equal((await kv.cache.get('flaky'))?.version, q.version);
    assert.equal(
      logger.lines.filter((l) => l.message.startsWith('[add_key] Error: The database is not reachable'))
        .length,
      2,
    );
  });

  test('when applying keeps failing, then after the bounded attempts the write is dead-lettered, and a replay applies it once fixed', async () => {
    const queues = kvQueues('c4.');
    const logger = recordingLogger();
    const broken = createKvApplier({ store: failing(kv.store, Infinity), cache: kv.cache, logger });
    let subscriptions = await subscribeKvConsumers({
      bus,
      applier: broken,
      queues,
      logger,
      consume: fastRetries,
    });
    const writer = createKvWriter({ store: kv.store, bus, queues, now: () => new Date(), logger });
    const q = await writer.delete('doomed');
    await waitForDrain(bus, [queues.delete]);
    await Promise.all(subscriptions.map((s) => s.cancel()));
    const dead = await bus.peekDeadLetters(queues.delete);
    assert.deepEqual([dead.length, dead[0]?.attempts, dead[0]?.messageId], [1, 3, `kv-${q.version}`]);
    assert.match(dead[0]?.reason ?? '', /not reachable/);

    const fixed = createKvApplier({ store: kv.store, cache: kv.cache, logger });
    subscriptions = await subscribeKvConsumers({ bus, applier: fixed, queues, logger, consume: fastRetries });
    assert.equal(await bus.replayDeadLetters(queues.delete), 1);
    await waitForDrain(bus, [queues.delete]);
    await Promise.all(subscriptions.map((s) => s.cancel()));
    assert.deepEqual(await kv.store.read('doomed'), {
      key: 'doomed',
      value: null,
      version: q.version,
      writtenAt: q.timestamp,
    });
  });
});

describe('KV applier log lines', () => {
  const kv = useTestKv();

  test("when writes are applied or skipped, then the consumer logs the seed's lines (long values cut at 120 characters)", async () => {
    const logger = recordingLogger();
    const applier = createKvApplier({ store: kv.store, cache: kv.cache, logger });
    const t = '2025-11-01T10:00:00.000Z';
    await applier.apply({ op: 'put', key: 'k', value: 'v2', version: 2, timestamp: t });
    await applier.apply({ op: 'put', key: 'k', value: 'v1', version: 1, timestamp: t });
    await applier.apply({ op: 'delete', key: 'k', version: 3, timestamp: t });
    await applier.apply({ op: 'delete', key: 'k', version: 1, timestamp: t });
    await applier.apply({ op: 'put', key: 'long', value: 'x'.repeat(500), version: 4, timestamp: t });
    const info = logger.lines.filter((l) => l.level === 'info').map((l) => l.message);
    assert.deepEqual(info, [
      `[add_key] k set to "v2" at ${t}`,
      '[add_key] Skipped "k" v1 — newer version 2 exists.',
      `[del_key] Deleted "k" at ${t}`,
      '[del_key] Skipped deletion of "k" — newer value exists.',
      `[add_key] long set to "${'x'.repeat(120)}…" at ${t}`,
    ]);
  });
});
