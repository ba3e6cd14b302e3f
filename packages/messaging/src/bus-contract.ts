import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isAppError } from '@dslab/errors';
import { delay } from './defaults.js';
import {
  collectingLogger,
  eventually,
  gate,
  openTestBus,
  uniqueQueue,
  waitForDrain,
  type BusKind,
} from './testing.js';
import { HEADERS, PoisonMessageError, type MessageBus, type ReceivedMessage } from './types.js';

/**
 * The behaviour every adapter of the messaging port must have. Each adapter's test file calls
 * `runBusContract` with its kind; the same tests then run against RabbitMQ and in memory.
 */

interface ContractBus {
  readonly bus: MessageBus;
  /** Lines the bus logged (for the dead-letter log line). */
  readonly lines: readonly string[];
}

async function open(kind: BusKind): Promise<ContractBus> {
  const logger = collectingLogger();
  return { bus: await openTestBus(kind, logger), lines: logger.lines };
}

const fastRetries = { retryDelayMs: () => 10 };

export function runBusContract(kind: BusKind): void {
  describe(`MessageBus contract: ${kind}`, () => {
    let subject: ContractBus;
    let bus: MessageBus;
    const queues: string[] = [];

    function queue(prefix = 'contract'): string {
      const name = uniqueQueue(prefix);
      queues.push(name);
      return name;
    }

    before(async () => {
      subject = await open(kind);
      bus = subject.bus;
    });

    after(async () => {
      try {
        for (const name of queues) await bus.deleteQueue(name);
      } finally {
        await subject.bus.close();
      }
    });

    test('when a message is published, then a consumer receives its body, id and headers on attempt 1', async () => {
      const q = queue();
      const received: ReceivedMessage[] = [];
      const subscription = await bus.consume(q, async (message) => {
        received.push(message);
      });
      try {
        await bus.publish(q, {
          messageId: 'm-1',
          body: { hello: 'mundo', n: 1 },
          headers: { 'x-trace': 'abc' },
        });
        await eventually('the message arrives', () => received.length === 1);
        const [message] = received;
        assert.ok(message !== undefined);
        assert.equal(message.messageId, 'm-1');
        assert.equal(message.queue, q);
        assert.deepEqual(JSON.parse(message.content.toString('utf8')), { hello: 'mundo', n: 1 });
        assert.equal(message.headers['x-trace'], 'abc');
        assert.equal(message.attempt, 1);
        assert.equal(message.redelivered, false);
        assert.match(message.publishedAt ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      } finally {
        await subscription.cancel();
      }
    });

    test('when messages are published without a consumer, then depth counts them as ready and a later consumer gets them all', async () => {
      const q = queue();
      await bus.declareQueue(q);
      await Promise.all(
        Array.from({ length: 25 }, (_, i) => bus.publish(q, { messageId: `d-${i}`, body: i })),
      );
      assert.deepEqual(await bus.depth(q), { ready: 25, retrying: 0, dead: 0 });
      const seen = new Set<string>();
      const subscription = await bus.consume(q, async (message) => {
        seen.add(message.messageId);
      });
      try {
        await eventually('all 25 arrive', () => seen.size === 25);
        await waitForDrain(bus, [q]);
        assert.deepEqual(await bus.depth(q), { ready: 0, retrying: 0, dead: 0 });
      } finally {
        await subscription.cancel();
      }
    });

    test('when many publishes run concurrently, then each resolves after its confirm and every message is delivered exactly once', async () => {
      const q = queue();
      const counts = new Map<string, number>();
      const subscription = await bus.consume(
        q,
        async (message) => {
          counts.set(message.messageId, (counts.get(message.messageId) ?? 0) + 1);
        },
        { prefetch: 64 },
      );
      try {
        const total = 2000;
        await Promise.all(
          Array.from({ length: total }, (_, i) => bus.publish(q, { messageId: `c-${i}`, body: { i } })),
        );
        await eventually('all messages arrive', () => counts.size === total);
        await waitForDrain(bus, [q]);
        assert.equal(counts.size, total);
        assert.ok(
          [...counts.values()].every((count) => count === 1),
          'a message was delivered twice',
        );
      } finally {
        await subscription.cancel();
      }
    });

    test('when two consumers compete on a queue, then they split the work and no message goes to both', async () => {
      const q = queue();
      const byConsumer: [string[], string[]] = [[], []];
      const release = gate();
      // Each handler holds its message until both consumers hold some: proves the split without timing.
      const handler = (index: 0 | 1) => async (message: ReceivedMessage) => {
        byConsumer[index].push(message.messageId);
        await release.promise;
      };
      const first = await bus.consume(q, handler(0), { prefetch: 5 });
      const second = await bus.consume(q, handler(1), { prefetch: 5 });
      try {
        await Promise.all(
          Array.from({ length: 40 }, (_, i) => bus.publish(q, { messageId: `w-${i}`, body: i })),
        );
        await eventually(
          'both consumers hold messages',
          () => byConsumer[0].length > 0 && byConsumer[1].length > 0,
        );
        release.open();
        await eventually('all 40 are handled', () => byConsumer[0].length + byConsumer[1].length === 40);
        await waitForDrain(bus, [q]);
        const all = [...byConsumer[0], ...byConsumer[1]];
        assert.equal(new Set(all).size, 40, 'a message went to both consumers');
        assert.ok(byConsumer[0].length > 0 && byConsumer[1].length > 0);
      } finally {
        release.open();
        await first.cancel();
        await second.cancel();
      }
    });

    test('when prefetch is 2, then a consumer never holds more than 2 messages at once', async () => {
      const q = queue();
      let inFlight = 0;
      let peak = 0;
      let handled = 0;
      const release = gate();
      const subscription = await bus.consume(
        q,
        async () => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await release.promise;
          inFlight -= 1;
          handled += 1;
        },
        { prefetch: 2 },
      );
      try {
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => bus.publish(q, { messageId: `p-${i}`, body: i })),
        );
        await eventually('two messages are in flight', () => inFlight === 2);
        // The other 8 stay in the queue while both slots are taken.
        await eventually('the rest wait in the queue', async () => (await bus.depth(q)).ready === 8);
        assert.equal(peak, 2);
        release.open();
        await eventually('all are handled', () => handled === 10);
        assert.equal(peak, 2);
      } finally {
        release.open();
        await subscription.cancel();
      }
    });

    test('when a handler fails twice and then succeeds, then the message is retried with a growing attempt and the effect happens once', async () => {
      const q = queue();
      const attempts: number[] = [];
      let effects = 0;
      const subscription = await bus.consume(
        q,
        async (message) => {
          attempts.push(message.attempt);
          if (message.attempt < 3) throw new Error(`falha transitória ${message.attempt}`);
          effects += 1;
        },
        { maxAttempts: 5, ...fastRetries },
      );
      try {
        await bus.publish(q, { messageId: 'retry-1', body: {} });
        await eventually('the third attempt succeeds', () => effects === 1);
        await waitForDrain(bus, [q]);
        assert.deepEqual(attempts, [1, 2, 3]);
        assert.equal(effects, 1);
        assert.deepEqual(await bus.depth(q), { ready: 0, retrying: 0, dead: 0 });
      } finally {
        await subscription.cancel();
      }
    });

    test('when a handler keeps failing, then after maxAttempts deliveries the message is dead-lettered with the reason', async () => {
      const q = queue();
      const attempts: number[] = [];
      const subscription = await bus.consume(
        q,
        async (message) => {
          attempts.push(message.attempt);
          throw new Error('banco indisponível');
        },
        { maxAttempts: 3, ...fastRetries },
      );
      try {
        await bus.publish(q, { messageId: 'doomed', body: { k: 'v' } });
        await eventually('the message is dead', async () => (await bus.depth(q)).dead === 1);
        await waitForDrain(bus, [q]);
        assert.deepEqual(attempts, [1, 2, 3]);
        const [letter] = await bus.peekDeadLetters(q);
        assert.ok(letter !== undefined);
        assert.equal(letter.messageId, 'doomed');
        assert.equal(letter.queue, q);
        assert.equal(letter.reason, 'banco indisponível');
        assert.equal(letter.attempts, 3);
        assert.ok(letter.deadAt !== undefined);
        assert.deepEqual(JSON.parse(letter.content.toString('utf8')), { k: 'v' });
        assert.ok(
          subject.lines.some((line) =>
            line.includes(
              `Mensagem doomed enviada para a fila de mensagens mortas ${q}.dlq: banco indisponível`,
            ),
          ),
        );
        // Peeking does not remove.
        assert.equal((await bus.depth(q)).dead, 1);
      } finally {
        await subscription.cancel();
      }
    });

    test('when a handler throws PoisonMessageError, then the message is dead-lettered at once without retries', async () => {
      const q = queue();
      const attempts: number[] = [];
      const subscription = await bus.consume(
        q,
        async (message) => {
          attempts.push(message.attempt);
          throw new PoisonMessageError('corpo não é JSON válido');
        },
        { maxAttempts: 5, ...fastRetries },
      );
      try {
        await bus.publish(q, { messageId: 'poison', body: 'x' });
        await eventually('the message is dead', async () => (await bus.depth(q)).dead === 1);
        assert.deepEqual(attempts, [1]);
        const [letter] = await bus.peekDeadLetters(q);
        assert.equal(letter?.reason, 'corpo não é JSON válido');
        assert.equal(letter.attempts, 1);
      } finally {
        await subscription.cancel();
      }
    });

    test('when dead letters are replayed after the cause is fixed, then they are handled afresh from attempt 1 and leave the dead-letter queue', async () => {
      const q = queue();
      let broken = true;
      const handled: ReceivedMessage[] = [];
      const subscription = await bus.consume(
        q,
        async (message) => {
          if (broken) throw new Error('dependência fora do ar');
          handled.push(message);
        },
        { maxAttempts: 2, ...fastRetries },
      );
      try {
        await Promise.all(['a', 'b', 'c'].map((id) => bus.publish(q, { messageId: id, body: id })));
        await eventually('all three are dead', async () => (await bus.depth(q)).dead === 3);
        const peeked = await bus.peekDeadLetters(q, 2);
        assert.equal(peeked.length, 2);
        broken = false;
        assert.equal(await bus.replayDeadLetters(q, 2), 2);
        await eventually('two are handled', () => handled.length === 2);
        assert.equal((await bus.depth(q)).dead, 1);
        assert.equal(await bus.replayDeadLetters(q), 1);
        await eventually('all three are handled', () => handled.length === 3);
        await waitForDrain(bus, [q]);
        assert.deepEqual(handled.map((message) => message.messageId).sort(), ['a', 'b', 'c']);
        assert.ok(handled.every((message) => message.attempt === 1));
        assert.ok(handled.every((message) => message.headers[HEADERS.deathReason] === undefined));
        assert.deepEqual(await bus.depth(q), { ready: 0, retrying: 0, dead: 0 });
        assert.equal(await bus.replayDeadLetters(q), 0);
      } finally {
        await subscription.cancel();
      }
    });

    test('when a subscription is cancelled while a handler runs, then cancel waits for it and its message is acknowledged, not redelivered', async () => {
      const q = queue();
      const started = gate();
      const release = gate();
      let finished = false;
      const subscription = await bus.consume(q, async () => {
        started.open();
        await release.promise;
        finished = true;
      });
      await bus.publish(q, { messageId: 'slow', body: {} });
      await started.promise;
      let cancelled = false;
      const cancelling = subscription.cancel().then(() => {
        cancelled = true;
      });
      // Cancel is still waiting while the handler holds its message.
      await delay(50);
      assert.equal(cancelled, false);
      release.open();
      await cancelling;
      assert.equal(finished, true);
      const again: string[] = [];
      const next = await bus.consume(q, async (message) => {
        again.push(message.messageId);
      });
      try {
        await waitForDrain(bus, [q]);
        assert.deepEqual(again, []);
      } finally {
        await next.cancel();
      }
    });

    test('when a handler outlives the cancel timeout, then cancel returns and the unacknowledged message is delivered again to another consumer', async () => {
      const q = queue();
      const started = gate();
      const release = gate();
      let lateAck = 0;
      const stuck = await bus.consume(
        q,
        async () => {
          started.open();
          await release.promise;
          lateAck += 1;
        },
        { cancelTimeoutMs: 100 },
      );
      await bus.publish(q, { messageId: 'abandoned', body: {} });
      await started.promise;
      await stuck.cancel();
      const redelivered: ReceivedMessage[] = [];
      const next = await bus.consume(q, async (message) => {
        redelivered.push(message);
      });
      try {
        await eventually('the message comes again', () => redelivered.length === 1);
        assert.equal(redelivered[0]?.messageId, 'abandoned');
        assert.equal(redelivered[0].redelivered, true);
        // The first handler finishing late must neither ack nor retry anything.
        release.open();
        await eventually('the late handler finished', () => lateAck === 1);
        await waitForDrain(bus, [q]);
        assert.equal(redelivered.length, 1);
        assert.deepEqual(await bus.depth(q), { ready: 0, retrying: 0, dead: 0 });
      } finally {
        release.open();
        await next.cancel();
      }
    });

    test('when the bus is closed, then publishing rejects with unavailable', async () => {
      const other = await open(kind);
      await other.bus.close();
      await assert.rejects(
        other.bus.publish(uniqueQueue('closed'), { messageId: 'late', body: {} }),
        (error: unknown) => isAppError(error) && error.code === 'unavailable',
      );
      assert.equal(other.bus.connected, false);
    });
  });
}
