// kv-consumer over real PostgreSQL and Redis (the in-process bus carries the messages; the broker
// is not the point here, the e2e suite runs it on RabbitMQ): it applies queued writes with the
// highest version winning, dead-letters what can never succeed, retries what failed, stops without
// abandoning a write in flight, and reports all of it at /health and /metrics.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import {
  combineProbes,
  createKvApplier,
  encodeWrite,
  engineProbes,
  kvQueues,
  type KvApplier,
  type KvQueues,
  type KvStore,
  type KvWrite,
} from '@dslab/kv-core';
import { openTestKv, type TestKv } from '@dslab/kv-core/testing';
import type { HttpApp } from '@dslab/http-kit';
import { createLogger, type Logger } from '@dslab/logging';
import { createInProcessBus, type MessageBus } from '@dslab/messaging';
import { uniqueQueue, waitForDrain } from '@dslab/messaging/testing';
import { call, startOnFreePort } from '@dslab/testing';
import { buildKvConsumerApp } from '../src/app.js';
import { startKvConsumer, type RunningKvConsumer } from '../src/consumer.js';
import { createKvConsumerMetrics, type KvConsumerMetrics } from '../src/metrics.js';

const T0 = '2025-11-01T10:00:00.000Z';

describe('kv-consumer', () => {
  let kv: TestKv;
  let bus: MessageBus | undefined;
  let queues: KvQueues;
  let app: HttpApp | undefined;
  let metrics: KvConsumerMetrics;
  let logger: Logger;
  const lines: string[] = [];
  let running: RunningKvConsumer | undefined;

  before(async () => {
    kv = await openTestKv();
    logger = createLogger({
      service: 'kv-consumer',
      level: 'info',
      console: false,
      onLine: (line) => lines.push(line),
    });
  });
  async function stopEverything(): Promise<void> {
    await running?.stop();
    running = undefined;
    await bus?.close();
    // startOnFreePort's close already closed it in some tests; closing again is harmless.
    await app?.close();
  }
  after(async () => {
    await stopEverything();
    await kv.dispose();
  });

  // A fresh bus, queues and metrics per test: the counters below start at 0.
  beforeEach(async () => {
    await stopEverything();
    const openBus = createInProcessBus();
    bus = openBus;
    queues = kvQueues(`${uniqueQueue('kvc')}.`);
    app = await buildKvConsumerApp({
      logger,
      health: combineProbes({
        consumer: async () => (running?.consuming === true ? 'ok' : 'not consuming'),
        ...engineProbes({
          queryPostgres: () => kv.store.highestIssuedVersion(),
          redis: kv.redis,
          bus: openBus,
        }),
      }),
    });
    metrics = createKvConsumerMetrics({ registry: app.metrics, bus: openBus, queues });
  });

  /** The bus and app of the running test (set by beforeEach). */
  function current(): { bus: MessageBus; app: HttpApp } {
    assert.ok(bus !== undefined && app !== undefined);
    return { bus, app };
  }

  async function start(
    options: { applier?: KvApplier; maxAttempts?: number; prefetch?: number } = {},
  ): Promise<RunningKvConsumer> {
    running = await startKvConsumer({
      bus: current().bus,
      applier: options.applier ?? createKvApplier({ store: kv.store, cache: kv.cache, logger }),
      queues,
      logger,
      metrics,
      consume: {
        prefetch: options.prefetch ?? 4,
        maxAttempts: options.maxAttempts ?? 3,
        retryDelayMs: () => 1,
      },
    });
    return running;
  }

  async function write(op: 'put' | 'delete', key: string, value = ''): Promise<KvWrite> {
    const version = await kv.store.nextVersion();
    const written: KvWrite =
      op === 'put' ? { op, key, value, version, timestamp: T0 } : { op, key, version, timestamp: T0 };
    return written;
  }

  async function publish(...writes: KvWrite[]): Promise<void> {
    for (const written of writes) {
      await current().bus.publish(written.op === 'put' ? queues.put : queues.delete, encodeWrite(written));
    }
  }

  /** A metric's value for one label set, read from the app's registry. */
  async function metricValue(name: string, labels: Record<string, string>): Promise<number | undefined> {
    const metric = (await current().app.metrics.getMetricsAsJSON()).find(
      (candidate) => candidate.name === name,
    );
    const value = (metric?.values ?? []).find((candidate) =>
      Object.entries(labels).every(([label, expected]) => String(candidate.labels[label]) === expected),
    );
    return value?.value;
  }

  async function deadLettered(queue: string, count: number): Promise<void> {
    while ((await current().bus.depth(queue)).dead < count)
      await new Promise((resolve) => setImmediate(resolve));
  }

  test('when writes arrive out of order, then the highest version wins in PostgreSQL and the cache, and applied and skipped are counted per queue', async () => {
    const older = await write('put', 'colour', 'red');
    const newer = await write('put', 'colour', 'blue');
    const removed = await write('delete', 'shape');
    // One write at a time, so the arrival order is the order they are applied in: with a larger
    // prefetch the older write could reach PostgreSQL first and both would count as applied.
    await start({ prefetch: 1 });
    await publish(newer, older, removed);
    await waitForDrain(current().bus, [queues.put, queues.delete]);
    await running?.stop();

    assert.deepEqual(await kv.store.read('colour'), {
      key: 'colour',
      value: 'blue',
      version: newer.version,
      writtenAt: T0,
    });
    assert.deepEqual(await kv.cache.get('colour'), {
      key: 'colour',
      value: 'blue',
      version: newer.version,
      writtenAt: T0,
    });
    assert.equal(
      (await kv.store.read('shape'))?.value,
      null,
      'a delete of a key never seen leaves a tombstone',
    );
    assert.equal(await metricValue('kv_consumer_writes_applied_total', { queue: 'add_key' }), 1);
    assert.equal(await metricValue('kv_consumer_writes_skipped_total', { queue: 'add_key' }), 1);
    assert.equal(await metricValue('kv_consumer_writes_applied_total', { queue: 'del_key' }), 1);
    assert.ok(
      lines.some((line) => line.includes(`[add_key] colour set to "blue" at ${T0}`)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((line) =>
        line.includes(
          `[add_key] Skipped "colour" v${older.version} — newer version ${newer.version} exists.`,
        ),
      ),
    );
    assert.ok(lines.some((line) => line.includes(`[del_key] Deleted "shape" at ${T0}`)));
  });

  test('when a message is malformed, then it is dead-lettered at once (no retry) and counted', async () => {
    await start();
    await current().bus.publish(queues.put, { messageId: 'kv-bad', body: { key_name: 'x', key_value: 1 } });
    await deadLettered(queues.put, 1);
    assert.equal(await metricValue('kv_consumer_dead_lettered_total', { queue: 'add_key' }), 1);
    assert.equal(await metricValue('kv_consumer_retries_total', { queue: 'add_key' }), 0);
    const [letter] = await current().bus.peekDeadLetters(queues.put);
    assert.equal(letter?.messageId, 'kv-bad');
    assert.ok(lines.some((line) => line.includes('⚠ Invalid add_key message:')));
  });

  test('when applying keeps failing, then the write is retried up to the attempts and then dead-lettered, each counted', async () => {
    const failing: KvStore = {
      ...kv.store,
      apply: () => Promise.reject(new Error('PostgreSQL is down')),
    };
    await start({ applier: createKvApplier({ store: failing, cache: kv.cache, logger }), maxAttempts: 3 });
    await publish(await write('delete', 'doomed'));
    await deadLettered(queues.delete, 1);
    assert.equal(await metricValue('kv_consumer_retries_total', { queue: 'del_key' }), 2);
    assert.equal(await metricValue('kv_consumer_dead_lettered_total', { queue: 'del_key' }), 1);
    const [letter] = await current().bus.peekDeadLetters(queues.delete);
    assert.match(letter?.reason ?? '', /PostgreSQL is down/);
    assert.ok(lines.some((line) => line.includes('[del_key] Error: PostgreSQL is down')));
  });

  test('when it is stopped with a write in flight, then stop waits for that write and no other is taken', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const events: string[] = [];
    const real = createKvApplier({ store: kv.store, cache: kv.cache, logger });
    const consumer = await start({
      applier: {
        async apply(written) {
          entered();
          await gate;
          const result = await real.apply(written);
          events.push(`applied ${written.key}`);
          return result;
        },
      },
    });
    await publish(await write('put', 'slow', 'finally'));
    await inFlight;
    const stopped = consumer.stop().then(() => events.push('stopped'));
    assert.equal(consumer.consuming, false);
    release();
    await stopped;
    assert.deepEqual(events, ['applied slow', 'stopped']);
    assert.equal((await kv.store.read('slow'))?.value, 'finally');
    await publish(await write('put', 'after-stop', 'waits'));
    assert.deepEqual(await current().bus.depth(queues.put), { ready: 1, retrying: 0, dead: 0 });
  });

  test('when it consumes, then /health is 200 with every check ok; once stopped, 503 "not consuming"', async () => {
    const server = await startOnFreePort(current().app);
    try {
      const consumer = await start();
      const healthy = await call<{ checks: Record<string, string> }>(server.url, 'GET', '/health');
      assert.equal(healthy.status, 200, healthy.text);
      assert.deepEqual(healthy.body.checks, { consumer: 'ok', postgres: 'ok', redis: 'ok', rabbitmq: 'ok' });
      await consumer.stop();
      const stopped = await call<{ checks: Record<string, string> }>(server.url, 'GET', '/health');
      assert.equal(stopped.status, 503);
      assert.equal(stopped.body.checks.consumer, 'not consuming');
    } finally {
      await server.close();
    }
  });

  test('when /metrics is scraped, then it shows the counters from the start and each queue’s depth by stage', async () => {
    await start();
    await current().bus.publish(queues.delete, { messageId: 'kv-bad', body: 'not an object' });
    await deadLettered(queues.delete, 1);
    const server = await startOnFreePort(current().app);
    try {
      const response = await call<string>(server.url, 'GET', '/metrics');
      assert.equal(response.status, 200);
      for (const expected of [
        /kv_consumer_writes_applied_total\{queue="add_key"[^}]*\} 0/,
        /kv_consumer_dead_lettered_total\{queue="del_key"[^}]*\} 1/,
        /kv_queue_messages\{queue="del_key",stage="dead"[^}]*\} 1/,
        /kv_queue_messages\{queue="add_key",stage="ready"[^}]*\} 0/,
      ]) {
        assert.match(response.text, expected);
      }
    } finally {
      await server.close();
    }
  });
});
