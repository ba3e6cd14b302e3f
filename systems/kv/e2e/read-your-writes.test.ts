/**
 * Read-your-writes through HTTP: a PUT answers its version and a link; following it (GET
 * ?min_version=V) answers that version or a newer one, for many keys at once, DELETEs included.
 * Without a consumer the same GET answers 425 with Retry-After (and 200 once a consumer runs);
 * a version never issued answers 409 at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyQuery, versionOf, type Answer } from './client.js';
import { withKvHarness } from './harness.js';

const KEYS = 40;
const ROUNDS = 3;

function readLink(answer: Answer): string {
  const links = answer.body._links as { read?: { href?: unknown } } | undefined;
  const href = links?.read?.href;
  if (typeof href !== 'string') throw new Error(`no read link in ${JSON.stringify(answer.body)}`);
  assert.equal(answer.headers.location, href, 'Location is the read link');
  return href;
}

test('when many clients each follow their PUT and DELETE with GET ?min_version, then each sees its own write or a newer one', async () => {
  await withKvHarness(
    async (kv, client) => {
      const consumers = [await kv.startConsumer(), await kv.startConsumer()];
      const problems: string[] = [];
      // Two writers per key: the other writer's newer version may be what a reader sees (allowed).
      await Promise.all(
        Array.from({ length: KEYS * 2 }, async (_, writer) => {
          const key = `ryw-${String(writer % KEYS)}`;
          for (let round = 0; round < ROUNDS; round++) {
            const value = `writer ${String(writer)} round ${String(round)}`;
            const put = await client.put(key, value);
            const version = versionOf(put);
            const read = await client.follow(readLink(put));
            const seen = read.body.version;
            if (typeof seen !== 'number' || seen < version)
              problems.push(
                `${key}: PUT v${String(version)}, then GET answered ${String(read.status)} ${JSON.stringify(read.body)}`,
              );
            else if (read.status === 200 && seen === version && read.body.value !== value)
              problems.push(`${key}: v${String(version)} read back as ${JSON.stringify(read.body.value)}`);
            else if (read.status !== 200 && read.status !== 404)
              problems.push(`${key}: GET answered ${String(read.status)} ${JSON.stringify(read.body)}`);
          }
          if (writer < KEYS) {
            const deleted = await client.delete(key);
            const version = versionOf(deleted);
            const read = await client.follow(readLink(deleted));
            const seen = read.body.version;
            if (typeof seen !== 'number' || seen < version || (seen === version && read.status !== 404))
              problems.push(
                `${key}: DELETE v${String(version)}, then GET answered ${String(read.status)} ${JSON.stringify(read.body)}`,
              );
          }
        }),
      );
      assert.deepEqual(problems, []);
      await Promise.all(consumers.map((c) => c.stop()));
    },
    { connections: 32 },
  );
});

test('when no consumer runs, then GET ?min_version answers 425 with Retry-After, 200 once a consumer applied it, and 409 for a version never issued', async () => {
  await withKvHarness(
    async (kv, client) => {
      const version = versionOf(await client.put('pending', 'soon'));
      const early = await client.get('pending', version);
      assert.equal(early.status, 425);
      assert.equal(early.headers['retry-after'], '1');
      assert.match(String(early.headers['content-type']), /^application\/problem\+json/);
      assert.equal(early.body.key, 'pending');
      assert.equal(early.body.min_version, version);
      assert.equal(early.body.visible_version, 0);

      const never = await client.get('pending', version + 1000);
      assert.equal(never.status, 409);
      assert.match(String(never.headers['content-type']), /^application\/problem\+json/);

      const consumer = await kv.startConsumer();
      await kv.drain();
      // The reader's wait is short here: ask again until the consumer's commit is visible.
      let late = await client.get('pending', version);
      for (let tries = 0; late.status === 425 && tries < 100; tries++)
        late = await client.get('pending', version);
      assert.equal(late.status, 200);
      assert.equal(late.body.value, 'soon');
      assert.equal(late.body.version, version);
      assert.equal(
        (await client.follow(keyQuery('pending'))).body.source,
        'redis',
        'the consumer filled the cache',
      );
      await consumer.stop();
    },
    { minVersionWaitMs: 300 },
  );
});
