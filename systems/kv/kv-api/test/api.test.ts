// kv-api's contract (seed 002) through HTTP, over real PostgreSQL and Redis: the 202 answers and
// the messages they queue, cache-aside reads, 404 for absent and deleted keys, read-your-writes
// with min_version (wait, 425, 409), and the limits at their edges. The in-process bus carries the
// writes unless the broker is the point (the last suite runs on the real RabbitMQ).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KV_LIMITS, type KvStore } from '@dslab/kv-core';
import type { ReceivedMessage } from '@dslab/messaging';
import { call } from '@dslab/testing';
import { readHref } from '../src/entry-points/http/routes.js';
import { startApi, type ApiHarness, type Problem } from './support.js';

const NOW = new Date('2025-11-01T10:00:00.123Z');

interface Queued {
  readonly message: string;
  readonly key_name: string;
  readonly version: number;
  readonly timestamp: string;
  readonly queue: string;
  readonly _links: { readonly read: { readonly href: string } };
}

interface Read {
  readonly key: string;
  readonly value: string;
  readonly source: 'redis' | 'postgres';
  readonly version: number;
}

/** Takes the messages waiting in `queue` (acknowledging them) and answers them. */
async function takeAll(api: ApiHarness, queue: string): Promise<ReceivedMessage[]> {
  const taken: ReceivedMessage[] = [];
  const expected = (await api.bus.depth(queue)).ready;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const subscription = await api.bus.consume(queue, async (message) => {
    taken.push(message);
    if (taken.length >= expected) done();
  });
  if (expected > 0) await all;
  await subscription.cancel();
  return taken;
}

async function put(api: ApiHarness, key: string, value: string) {
  return call<Queued>(api.url, 'PUT', '/', { body: { key_name: key, key_value: value } });
}

describe('kv-api: writes are queued with a version and answered 202', () => {
  let api: ApiHarness;
  before(async () => {
    api = await startApi({ now: () => NOW });
  });
  after(async () => {
    await api.close();
  });

  test("when a key is PUT, then 202 says 'Queued to add_key' with its version, the server's time and where to read it, and add_key holds the seed's message", async () => {
    const response = await put(api, 'hello', 'world');
    assert.equal(response.status, 202, response.text);
    const { version } = response.body;
    assert.ok(Number.isSafeInteger(version) && version >= 1);
    const href = `/?key=hello&min_version=${version}`;
    assert.deepEqual(response.body, {
      message: 'Queued to add_key',
      key_name: 'hello',
      version,
      timestamp: '2025-11-01T10:00:00.123Z',
      queue: api.queues.put,
      _links: { read: { href } },
    });
    assert.equal(response.headers.location, href);

    const [message, ...others] = await takeAll(api, api.queues.put);
    assert.equal(others.length, 0);
    assert.ok(message !== undefined);
    assert.equal(message.messageId, `kv-${version}`);
    assert.deepEqual(JSON.parse(message.content.toString('utf8')), {
      key_name: 'hello',
      key_value: 'world',
      version,
      timestamp: '2025-11-01T10:00:00.123Z',
    });
  });

  test("when a key is DELETEd (by key or key_name), then 202 says 'Queued to del_key' and del_key holds {key_name, version, timestamp}", async () => {
    const byKey = await call<Queued>(api.url, 'DELETE', '/?key=hello');
    const byKeyName = await call<Queued>(api.url, 'DELETE', '/?key_name=hello');
    for (const response of [byKey, byKeyName]) {
      assert.equal(response.status, 202, response.text);
      assert.equal(response.body.message, 'Queued to del_key');
      assert.equal(response.body.key_name, 'hello');
      assert.equal(response.body.queue, api.queues.delete);
      assert.equal(response.headers.location, response.body._links.read.href);
    }
    assert.ok(byKeyName.body.version > byKey.body.version);
    const messages = await takeAll(api, api.queues.delete);
    assert.deepEqual(
      messages.map((message) => JSON.parse(message.content.toString('utf8')) as unknown),
      [byKey, byKeyName].map(({ body }) => ({
        key_name: 'hello',
        version: body.version,
        timestamp: body.timestamp,
      })),
    );
  });

  test('when many writes race, then every one gets its own version and its own message', async () => {
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        index % 4 === 3
          ? call<Queued>(api.url, 'DELETE', `/?key=race-${index % 5}`)
          : put(api, `race-${index % 5}`, `v${index}`),
      ),
    );
    assert.ok(responses.every((response) => response.status === 202));
    const versions = responses.map((response) => response.body.version);
    assert.equal(new Set(versions).size, versions.length);
    const [puts, deletes] = await Promise.all([
      takeAll(api, api.queues.put),
      takeAll(api, api.queues.delete),
    ]);
    assert.deepEqual(
      [...puts, ...deletes].map((message) => message.messageId).sort(),
      versions.map((version) => `kv-${version}`).sort(),
    );
  });
});

describe('kv-api: reads', () => {
  let api: ApiHarness;
  before(async () => {
    api = await startApi({ minVersionWaitMs: 100 });
  });
  after(async () => {
    await api.close();
  });

  test('when the consumer applied a PUT, then GET answers it from PostgreSQL once and from Redis after that', async () => {
    const { body } = await put(api, 'city', 'Lisboa');
    await api.applyQueued();
    // The consumer refreshed the cache; drop it to see the miss path.
    await api.kv.redis.del(`${api.kv.cachePrefix}city`);
    const first = await call<Read>(api.url, 'GET', '/?key=city');
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.body, { key: 'city', value: 'Lisboa', source: 'postgres', version: body.version });
    const second = await call<Read>(api.url, 'GET', '/?key_name=city');
    assert.deepEqual(second.body, { key: 'city', value: 'Lisboa', source: 'redis', version: body.version });
  });

  test('when the Location of a PUT is followed after the write is applied, then it reads that version', async () => {
    const written = await put(api, 'a b&c=d?é/😀', 'odd key');
    assert.equal(written.headers.location, readHref('a b&c=d?é/😀', written.body.version));
    await api.applyQueued();
    const location = written.headers.location;
    assert.ok(typeof location === 'string');
    const read = await call<Read>(api.url, 'GET', location);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.key, 'a b&c=d?é/😀');
    assert.equal(read.body.value, 'odd key');
    assert.equal(read.body.version, written.body.version);
  });

  test('when a key was never written, then GET answers 404 problem+json naming the key, with version 0', async () => {
    const response = await call<Problem>(api.url, 'GET', '/?key=nobody');
    assert.equal(response.status, 404);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
    assert.equal(response.body.code, 'not-found');
    assert.equal(response.body.key, 'nobody');
    assert.equal(response.body.version, 0);
  });

  test('when a key was deleted, then GET answers 404 with the version of the delete (a tombstone)', async () => {
    await put(api, 'gone', 'soon');
    const deleted = await call<Queued>(api.url, 'DELETE', '/?key=gone');
    await api.applyQueued();
    const response = await call<Problem>(api.url, 'GET', '/?key=gone');
    assert.equal(response.status, 404);
    assert.equal(response.body.version, deleted.body.version);
    const waited = await call<Problem>(api.url, 'GET', deleted.body._links.read.href);
    assert.equal(waited.status, 404, 'a delete read back with its min_version is visible as 404');
  });

  test('when GET asks for a version not applied yet, then after the wait it answers 425 with Retry-After and what is visible', async () => {
    await put(api, 'late', 'one');
    await api.applyQueued();
    const queued = await put(api, 'late', 'two');
    const response = await call<Problem>(api.url, 'GET', queued.body._links.read.href);
    assert.equal(response.status, 425, response.text);
    assert.equal(response.headers['retry-after'], '1');
    assert.equal(response.body.code, 'version-not-visible');
    assert.equal(response.body.key, 'late');
    assert.equal(response.body.min_version, queued.body.version);
    assert.equal(response.body.visible_version, queued.body.version - 1);
    // Without min_version the older value is what there is.
    const plain = await call<Read>(api.url, 'GET', '/?key=late');
    assert.equal(plain.body.value, 'one');
    await api.applyQueued();
  });

  test('when GET asks for a version that was never issued, then it answers 409 at once', async () => {
    const highest = await api.kv.store.highestIssuedVersion();
    const response = await call<Problem>(api.url, 'GET', `/?key=city&min_version=${highest + 1000}`);
    assert.equal(response.status, 409, response.text);
    assert.equal(response.body.code, 'conflict');
    assert.match(response.body.detail, new RegExp(`version ${highest + 1000} was never issued`));
  });

  test('when a newer version than asked for is visible, then GET with min_version answers it at once', async () => {
    const older = await put(api, 'newer', 'first');
    const newer = await put(api, 'newer', 'second');
    await api.applyQueued();
    const response = await call<Read>(api.url, 'GET', older.body._links.read.href);
    assert.equal(response.status, 200);
    assert.equal(response.body.version, newer.body.version);
    assert.equal(response.body.value, 'second');
  });

  test('when a key has 512 characters and a value exactly 256 KiB of UTF-8, or is empty, then they are written and read back intact', async () => {
    const longKey = 'k'.repeat(KV_LIMITS.keyMaxLength);
    const bigValue = 'é'.repeat(KV_LIMITS.valueMaxBytes / 2); // 2 bytes each: exactly the limit
    assert.equal(Buffer.byteLength(bigValue), KV_LIMITS.valueMaxBytes);
    const written = await Promise.all([put(api, longKey, bigValue), put(api, 'empty', '')]);
    assert.deepEqual(
      written.map((response) => response.status),
      [202, 202],
    );
    await api.applyQueued();
    for (const [key, value] of [
      [longKey, bigValue],
      ['empty', ''],
    ] as const) {
      const read = await call<Read>(api.url, 'GET', `/?key=${key}`);
      assert.equal(read.status, 200, key);
      assert.equal(read.body.value, value, key);
    }
  });
});

describe('kv-api: read-your-writes while the consumer catches up', () => {
  let api: ApiHarness;
  let reads = 0;
  before(async () => {
    api = await startApi({
      minVersionWaitMs: 30_000,
      // Counts PostgreSQL reads, to know when a GET is waiting (polling) before the write is applied.
      store: (kv): KvStore => ({
        ...kv.store,
        read: (key) => {
          reads += 1;
          return kv.store.read(key);
        },
      }),
    });
  });
  after(async () => {
    await api.close();
  });

  test('when a GET with min_version is already waiting and the consumer then applies the write, then the GET answers that version', async () => {
    const queued = await put(api, 'ryw', 'mine');
    const readsBefore = reads;
    const pending = call<Read>(api.url, 'GET', queued.body._links.read.href);
    // Wait (without a clock) until the GET has polled PostgreSQL at least twice: it is waiting.
    while (reads < readsBefore + 2) await new Promise((resolve) => setImmediate(resolve));
    await api.applyQueued();
    const response = await pending;
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.body, {
      key: 'ryw',
      value: 'mine',
      source: 'postgres',
      version: queued.body.version,
    });
  });
});

describe('kv-api on the real RabbitMQ', () => {
  let api: ApiHarness;
  before(async () => {
    api = await startApi({ broker: 'amqp' });
  });
  after(async () => {
    await api.close();
  });

  test('when PUT answers 202, then the broker holds the message (confirmed), and the consumer applies it', async () => {
    const written = await put(api, 'broker', 'confirmed');
    assert.equal(written.status, 202, written.text);
    assert.deepEqual(await api.bus.depth(api.queues.put), { ready: 1, retrying: 0, dead: 0 });
    await api.applyQueued();
    const read = await call<Read>(api.url, 'GET', written.body._links.read.href);
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.value, 'confirmed');
  });
});
