/**
 * A consumer killed mid-message loses nothing: a backlog of accepted writes, a kv-consumer child
 * process SIGKILLed while it works through it (messages delivered, some applied, none of those
 * acknowledged), then a new consumer: every accepted write ends up applied, none is dead-lettered.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createKvClient, versionOf } from './client.js';
import { eventually, startKvHarness } from './harness.js';
import { checkConvergence, type AcceptedWrite } from './invariants.js';

const WRITES = 1200;

test('when a consumer process is SIGKILLed in the middle of a backlog, then a new consumer applies every accepted write and nothing is dead-lettered', async (t) => {
  const kv = await startKvHarness();
  const client = createKvClient(kv.url, 16);
  try {
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
    const appliedRows = async () => {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kv_store`.execute(kv.db);
      return rows[0]?.n ?? 0;
    };

    // A small prefetch makes the consumer work through the backlog in many acknowledged steps.
    const doomed = await kv.spawnConsumer({ KV_PREFETCH: '8' });
    await eventually(async () => ((await appliedRows()) >= 20 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 5,
      describe: () => `the first consumer applied nothing:\n${doomed.output().slice(-3000)}`,
    });
    await doomed.kill();
    const atKill = await appliedRows();
    t.diagnostic(`SIGKILLed after ${String(atKill)} of ${String(WRITES)} writes were applied`);
    assert.ok(atKill < WRITES, 'the consumer was killed before it finished the backlog (mid-stream)');
    assert.equal(doomed.child.signalCode, 'SIGKILL');

    const survivor = await kv.spawnConsumer({ KV_PREFETCH: '32' });
    await kv.drain(90_000);
    const keys = writes.map((w) => w.key);
    let problems: string[] = [];
    await eventually(
      async () => {
        problems = await checkConvergence({
          db: kv.db,
          redis: kv.redis,
          cachePrefix: kv.namespace.cachePrefix,
          keys,
          writes,
        });
        return problems.length === 0 ? true : undefined;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 200,
        describe: () =>
          `${String(problems.length)} problems, e.g.\n${problems.slice(0, 10).join('\n')}\n${survivor.output().slice(-3000)}`,
      },
    );
    assert.equal(await appliedRows(), WRITES);
    assert.equal(await kv.deadLetterCount(), 0);
    await survivor.stop();
  } finally {
    await client.close();
    await kv.close();
  }
});
