/**
 * A consumer killed mid-message loses nothing: a backlog of accepted writes, a kv-consumer child
 * process SIGKILLed while it works through it (messages delivered, some applied, none of those
 * acknowledged), then a new consumer: every accepted write ends up applied, none is dead-lettered.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { versionOf } from './client.js';
import { eventually, withKvHarness } from './harness.js';
import type { AcceptedWrite } from './invariants.js';

const WRITES = 1200;

test('when a consumer process is SIGKILLed in the middle of a backlog, then a new consumer applies every accepted write and nothing is dead-lettered', async (t) => {
  await withKvHarness(
    async (kv, client) => {
      // The backlog: distinct keys, so a lost message would leave its key missing (nothing masks it).
      const writes: AcceptedWrite[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let i = next++; i < WRITES; i = next++) {
            const key = `crash-${String(i)}`;
            if (i % 10 === 9) {
              writes.push({ key, version: versionOf(await client.delete(key)), value: null });
            } else {
              const value = `value ${String(i)}`;
              writes.push({ key, version: versionOf(await client.put(key, value)), value });
            }
          }
        }),
      );
      // A small prefetch makes the consumer work through the backlog in many acknowledged steps.
      const doomed = await kv.spawnConsumer({ KV_PREFETCH: '8' });
      await eventually(async () => ((await kv.rowCount()) >= 20 ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 5,
        describe: () => `the first consumer applied nothing:\n${doomed.output().slice(-3000)}`,
      });
      await doomed.kill();
      const atKill = await kv.rowCount();
      t.diagnostic(`SIGKILLed after ${String(atKill)} of ${String(WRITES)} writes were applied`);
      assert.ok(atKill < WRITES, 'the consumer was killed before it finished the backlog (mid-stream)');
      assert.equal(doomed.child.signalCode, 'SIGKILL');

      const survivor = await kv.spawnConsumer({ KV_PREFETCH: '32' });
      await kv.drainAndConverge(writes, { context: () => survivor.output().slice(-3000) });
      assert.equal(await kv.rowCount(), WRITES);
      assert.equal(await kv.deadLetterCount(), 0);
      await survivor.stop();
    },
    { connections: 16 },
  );
});
