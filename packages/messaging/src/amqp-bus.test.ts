import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isAppError } from '@dslab/errors';
import { eventually, gate, startProxiedBroker, waitForDrain, type ProxiedBroker } from './testing.js';
import type { MessageBus, ReceivedMessage } from './types.js';

/**
 * What only a real broker connection can show: losing it, getting it back, a blackholed path.
 * A TCP proxy sits between the bus and RabbitMQ so the tests can break the path on purpose.
 */

function isUnavailable(error: unknown): boolean {
  return isAppError(error) && error.code === 'unavailable';
}

describe('AMQP bus over a path that fails', () => {
  let broker: ProxiedBroker;
  let proxy: ProxiedBroker['proxy'];
  /** A direct bus (no proxy) to observe and clean up the queues. */
  let observer: MessageBus;
  const queue = () => broker.queue('amqpfail');
  const proxiedBus: ProxiedBroker['openBus'] = (overrides) => broker.openBus(overrides);

  before(async () => {
    broker = await startProxiedBroker();
    ({ proxy, observer } = broker);
  });

  after(async () => {
    await broker.close();
  });

  test('when the first connection cannot be made, then createAmqpBus rejects', async () => {
    proxy.refuse(true);
    try {
      await assert.rejects(proxiedBus({ connectTimeoutMs: 2000 }));
    } finally {
      proxy.refuse(false);
    }
  });

  test('when the broker connection is cut, then the bus reconnects and publishing and consuming resume', async () => {
    const { bus, lines } = await proxiedBus();
    const q = queue();
    const received: string[] = [];
    const subscription = await bus.consume(q, async (message) => {
      received.push(message.messageId);
    });
    try {
      await bus.publish(q, { messageId: 'before', body: 1 });
      await eventually('the first message arrives', () => received.includes('before'));

      proxy.cutAll();
      await eventually('the loss is logged', () =>
        lines.some((line) => /Conexão com o broker perdida: .*; reconectando em \d+ ms/.test(line)),
      );
      await eventually('the bus is connected again', () => bus.connected);
      assert.ok(lines.some((line) => line === 'INFO:Reconectado ao broker'));

      await bus.publish(q, { messageId: 'after', body: 2 });
      await eventually('the subscription resumed on the new connection', () => received.includes('after'));
      await waitForDrain(observer, [q]);
      // 'before' may come twice: its ack can die with the cut connection (at-least-once).
      assert.deepEqual([...new Set(received)], ['before', 'after']);
    } finally {
      await subscription.cancel();
    }
  });

  test('when the broker stays unreachable, then publish rejects unavailable within the timeout, and succeeds once it is back', async () => {
    const { bus } = await proxiedBus({ publishTimeoutMs: 300 });
    const q = queue();
    await bus.declareQueue(q);
    proxy.refuse(true);
    proxy.cutAll();
    try {
      await eventually('the bus noticed the loss', () => !bus.connected);
      await assert.rejects(bus.publish(q, { messageId: 'while-down', body: {} }), isUnavailable);
    } finally {
      proxy.refuse(false);
    }
    await eventually('the bus is connected again', () => bus.connected);
    await bus.publish(q, { messageId: 'when-back', body: {} });
    assert.deepEqual(await observer.depth(q), { ready: 1, retrying: 0, dead: 0 });
  });

  test('when the path to the broker is blackholed, then publish rejects unavailable within the timeout instead of resolving without a confirm', async () => {
    const { bus } = await proxiedBus({ publishTimeoutMs: 300 });
    const q = queue();
    await bus.declareQueue(q);
    proxy.pause();
    try {
      // The socket is open and silent: only the confirm deadline can tell.
      assert.equal(bus.connected, true);
      const error = await bus.publish(q, { messageId: 'into-the-void', body: {} }).then(
        () => assert.fail('publish resolved without a confirm'),
        (failure: unknown) => failure,
      );
      assert.ok(isUnavailable(error), String(error));
      assert.match((error as Error).message, /did not confirm the message within 300 ms/);
    } finally {
      proxy.resume();
    }
  });

  test('when the connection dies while a publish waits for its confirm, then the publish rejects unavailable before its timeout', async () => {
    const { bus } = await proxiedBus({ publishTimeoutMs: 60_000 });
    const q = queue();
    // A first publish opens the confirm channel, so the next one goes out without a round trip.
    await bus.publish(q, { messageId: 'warm-up', body: {} });
    proxy.pause();
    const publishing = bus.publish(q, { messageId: 'orphan', body: {} });
    // Only promise continuations stand between publish() and the send: they all run before this.
    await new Promise((resolve) => setImmediate(resolve));
    // Cut (not heal) the blackholed path: the confirm can never come now.
    proxy.cutAll();
    proxy.resume();
    const error = await publishing.then(
      () => assert.fail('publish resolved without a confirm'),
      (failure: unknown) => failure,
    );
    assert.ok(isUnavailable(error), String(error));
    assert.match((error as Error).message, /did not take the message/);
  });

  test('when a blackholed bus is closed, then close returns and leaves no socket open', async () => {
    const { bus } = await proxiedBus();
    const q = queue();
    await bus.declareQueue(q);
    // The cut of an earlier test sends its buses reconnecting in the background: count once they are back.
    await eventually('the earlier buses reconnected', () => broker.everyBusConnected);
    const connectionsBefore = proxy.connections;
    proxy.pause();
    try {
      await bus.close();
      assert.equal(bus.connected, false);
    } finally {
      proxy.resume();
    }
    await eventually('the bus dropped its connection', () => proxy.connections === connectionsBefore - 1);
  });

  test('when the connection drops while a handler runs, then its message is not acknowledged and the broker delivers it again', async () => {
    const { bus, lines } = await proxiedBus();
    const q = queue();
    const started = gate();
    const release = gate();
    const deliveries: ReceivedMessage[] = [];
    let firstFinished = false;
    const subscription = await bus.consume(q, async (message) => {
      deliveries.push(message);
      if (deliveries.length === 1) {
        started.open();
        await release.promise;
        firstFinished = true;
        // Fails after the channel is gone: must neither ack nor publish a retry copy.
        throw new Error('efeito interrompido');
      }
    });
    try {
      await bus.publish(q, { messageId: 'mid-flight', body: {} });
      await started.promise;
      proxy.cutAll();
      await eventually('the message is delivered again', () => deliveries.length === 2);
      assert.equal(deliveries[1]?.messageId, 'mid-flight');
      assert.equal(deliveries[1].redelivered, true);
      assert.equal(deliveries[1].attempt, 1);
      release.open();
      await eventually('the first handler finished', () => firstFinished);
      await waitForDrain(observer, [q]);
      assert.deepEqual(await observer.depth(q), { ready: 0, retrying: 0, dead: 0 });
      assert.equal(deliveries.length, 2);
      assert.ok(!lines.some((line) => line.includes('falhou na tentativa')), 'a retry copy was published');
    } finally {
      release.open();
      await subscription.cancel();
    }
  });

  test('when the queue is deleted behind a consumer, then the consumer comes back and takes new messages', async () => {
    const { bus } = await proxiedBus();
    const q = queue();
    const received: string[] = [];
    const subscription = await bus.consume(q, async (message) => {
      received.push(message.messageId);
    });
    try {
      await observer.deleteQueue(q);
      await observer.publish(q, { messageId: 'after-delete', body: {} });
      await eventually('the consumer resumed', () => received.includes('after-delete'));
    } finally {
      await subscription.cancel();
    }
  });
});
