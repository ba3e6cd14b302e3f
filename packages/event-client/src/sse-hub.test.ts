import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { createSseHub, type SseHub } from './sse-hub.js';
import { recordEvents } from './test-support.js';

const event = (id: number) => ({ id, event: 'E', data: JSON.stringify({ n: id }) });

describe('SSE hub: what a Last-Event-ID gets', () => {
  test('when no event was published yet, then a client without an id gets live events and one with an id a reset', () => {
    const hub = createSseHub({ capacity: 3, heartbeatMs: 1000 });
    assert.deepEqual(hub.resume(undefined), { kind: 'live' });
    assert.deepEqual(hub.resume(''), { kind: 'live' });
    assert.deepEqual(hub.resume('4'), { kind: 'reset', reason: 'no-history' });
  });

  test('when the id is buffered, then the events after it are replayed; a wrong id is a reset', () => {
    const hub = createSseHub({ capacity: 3, heartbeatMs: 1000 });
    for (const id of [5, 6, 7, 8, 9]) hub.publish(event(id));
    // Buffered: 7, 8, 9 (5 and 6 evicted). A client that saw 6 misses nothing still buffered.
    const ids = (lastEventId: string) => {
      const r = hub.resume(lastEventId);
      return r.kind === 'replay' ? r.events.map((e) => e.id) : r.kind === 'reset' ? r.reason : r.kind;
    };
    assert.deepEqual(ids('6'), [7, 8, 9]);
    assert.deepEqual(ids('7'), [8, 9]);
    assert.deepEqual(ids('9'), []);
    assert.equal(ids('5'), 'too-old');
    assert.equal(ids('10'), 'unknown-id');
    assert.equal(ids('x1'), 'malformed-id');
    assert.equal(ids('-1'), 'malformed-id');
    assert.equal(ids('99999999999999999999'), 'malformed-id');
  });

  test('when the first id after start is not 1 (ids survive restarts), then ids before it are too old', () => {
    const hub = createSseHub({ capacity: 10, heartbeatMs: 1000 });
    hub.publish(event(1001));
    assert.deepEqual(hub.resume('1000'), { kind: 'reset', reason: 'too-old' });
    assert.deepEqual(hub.resume('1001'), { kind: 'replay', events: [] });
  });

  test('when the hub is reset, then the buffer is forgotten and old ids get a reset', () => {
    const hub = createSseHub({ capacity: 10, heartbeatMs: 1000 });
    hub.publish(event(1));
    hub.publish(event(2));
    hub.reset('upstream-reconnected');
    assert.equal(hub.latestId, undefined);
    assert.equal(hub.resume('2').kind, 'reset');
    hub.publish(event(3));
    assert.deepEqual(hub.resume('2'), { kind: 'reset', reason: 'too-old' });
    assert.deepEqual(hub.resume('3'), { kind: 'replay', events: [] });
  });

  test('when ids do not increase, then publish refuses', () => {
    const hub = createSseHub({ capacity: 10, heartbeatMs: 1000 });
    hub.publish(event(2));
    assert.throws(() => hub.publish(event(2)), RangeError);
    assert.throws(() => hub.publish(event(1)), RangeError);
  });
});

describe('SSE hub over HTTP', () => {
  let hub: SseHub;
  let server: Server;
  let url: string;

  before(async () => {
    hub = createSseHub({ capacity: 5, heartbeatMs: 50, retryMs: 100 });
    server = createServer((req, res) => {
      if (!hub.canAccept()) {
        res.writeHead(503).end();
        return;
      }
      const lastEventId = req.headers['last-event-id'];
      hub.attach(res, {
        lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined,
        headers: { 'x-mine': '1' },
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    hub.close();
    await new Promise((resolve) => server.close(resolve));
  });

  test('the stream has SSE headers, a retry hint, heartbeats and the published events', async () => {
    const response = await request(url);
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/event-stream/);
    assert.match(String(response.headers['cache-control']), /no-cache/);
    assert.equal(response.headers['x-accel-buffering'], 'no');
    assert.equal(response.headers.connection, 'keep-alive');
    assert.equal(response.headers['x-mine'], '1');
    let text = '';
    for await (const chunk of response.body) {
      text += (chunk as Buffer).toString('utf8');
      if (text.includes(': ping') && hub.latestId === undefined) hub.publish(event(1));
      if (text.includes('id: 1\n')) break;
    }
    response.body.destroy();
    assert.match(text, /^retry: 100\n\n/);
    assert.match(text, /: ping\n\n/);
    assert.match(text, /id: 1\nevent: E\ndata: \{"n":1\}\n\n/);
  });

  test('when a client disconnects, then it is dropped; when the hub closes, streams end and new ones are refused', async () => {
    await until(() => hub.subscribers === 0, 'the first client is gone');
    const a = recordEvents({ url, retry: { initialMs: 20, maxMs: 50 } });
    await a.until((log) => log.some((e) => e.kind === 'open'), 'a is connected');
    assert.equal(hub.subscribers, 1);
    hub.publish(event(2));
    await a.until((log) => log.some((e) => e.message?.id === '2'), 'a got event 2');
    await a.close();
    await until(() => hub.subscribers === 0, 'a is dropped');

    const b = recordEvents({ url, retry: { initialMs: 20, maxMs: 50 } });
    await b.until((log) => log.some((e) => e.kind === 'open'), 'b is connected');
    hub.close();
    assert.equal(hub.canAccept(), false);
    await b.until((log) => log.some((e) => e.kind === 'error'), 'b saw its stream end');
    await b.close();
  });
});

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
