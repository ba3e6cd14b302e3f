import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { startHelloWorld } from './baselines.js';
import { syntheticLoadResult } from './fixtures.js';
import { runAtConcurrency, runAutocannon, runClosedLoop } from './load.js';
import { sampleWhile } from './processes.js';

test('when the hello-world baseline is driven by autocannon and by a closed loop, then both count its answers', async () => {
  const work = mkdtempSync(join(tmpdir(), 'bench-kit-load-'));
  const server = await startHelloWorld({
    name: 'baseline',
    logFile: join(work, 'baseline.log'),
    // Nothing inherited: the baseline needs only the PORT and HOST it is given.
    env: {},
  });
  try {
    const sampled = await sampleWhile([{ name: server.name, pid: server.pid }], () =>
      runAutocannon({ url: `${server.url}/`, connections: 2, durationS: 0.3 }),
    );
    const fromAutocannon = sampled.result;
    assert.ok(fromAutocannon.ok > 0 && fromAutocannon.rps > 0);
    assert.equal(fromAutocannon.concurrency, 2);
    assert.equal(fromAutocannon.statusCodes['200'], fromAutocannon.ok);
    assert.ok(fromAutocannon.latency.count >= fromAutocannon.ok);
    assert.ok(fromAutocannon.latency.p50 > 0 && fromAutocannon.latency.p50 <= fromAutocannon.latency.p99);
    assert.ok((sampled.usage.baseline?.cpuPercent ?? 0) > 0);

    const fromLoop = await runClosedLoop({
      concurrency: 2,
      durationS: 0.2,
      operation: async (_worker, iteration) => {
        const response = await request(`${server.url}/${iteration % 2 === 0 ? '' : 'missing'}`);
        await response.body.dump();
        return response.statusCode;
      },
    });
    assert.ok(fromLoop.ok > 0 && fromLoop.non2xx > 0);
    assert.equal(fromLoop.errors, 0);
    assert.equal(fromLoop.latency.count, fromLoop.ok + fromLoop.non2xx);
    assert.equal(
      (fromLoop.statusCodes['200'] ?? 0) + (fromLoop.statusCodes['404'] ?? 0),
      fromLoop.latency.count,
    );
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
});

test('a run is paired with its baseline by concurrency', () => {
  const latency = { mean: 1, p50: 1, p90: 1, p99: 1, max: 1 };
  const runs = [1, 10].map((concurrency) =>
    syntheticLoadResult({ concurrency, rps: concurrency * 100, durationS: 1, latency }),
  );
  assert.equal(runAtConcurrency(runs, 10)?.rps, 1000);
  assert.equal(runAtConcurrency(runs, 50), undefined);
});
