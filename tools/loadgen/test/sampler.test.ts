// The resource sampler: its pure arithmetic, and real child processes read from /proc (a busy one,
// one that is replaced by another pid, one that dies). No figure is asserted beyond "there is CPU
// and memory" and "never negative, null when it cannot be known".
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import type { ResourceSample } from '../src/results.js';
import { cpuPercentBetween, startResourceSampler, summarizeResources } from '../src/sampler.js';

const children: ChildProcess[] = [];

after(async () => {
  for (const child of children) await stop(child);
});

/** A node child that spins (busy) or idles; it is killed in after() if a test did not. */
async function child(kind: 'busy' | 'idle'): Promise<ChildProcess & { pid: number }> {
  const code = kind === 'busy' ? 'for (;;) {}' : 'setInterval(() => {}, 1000)';
  const started = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  children.push(started);
  await once(started, 'spawn');
  if (started.pid === undefined) throw new Error('the child has no pid');
  return started as ChildProcess & { pid: number };
}

async function stop(process: ChildProcess): Promise<void> {
  if (process.exitCode !== null || process.signalCode !== null) return;
  const exited = once(process, 'exit');
  process.kill('SIGKILL');
  await exited;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('resource arithmetic', () => {
  test('CPU between two readings of one pid is percent of one core; a new pid, a gap or a drop is null', () => {
    assert.equal(cpuPercentBetween({ pid: 7, cpuSeconds: 1 }, 7, 1.5, 0.5), 100);
    assert.equal(cpuPercentBetween({ pid: 7, cpuSeconds: 1 }, 7, 1.25, 0.5), 50);
    assert.equal(cpuPercentBetween({ pid: 7, cpuSeconds: 1 }, 8, 1.5, 0.5), null, 'restarted: new pid');
    assert.equal(cpuPercentBetween(undefined, 7, 1.5, 0.5), null, 'no earlier reading');
    assert.equal(cpuPercentBetween({ pid: 7, cpuSeconds: 1 }, undefined, undefined, 0.5), null, 'down');
    assert.equal(cpuPercentBetween({ pid: 7, cpuSeconds: 2 }, 7, 1, 0.5), null, 'never negative');
    assert.equal(cpuPercentBetween({ pid: 7, cpuSeconds: 1 }, 7, 1, 0), null, 'no time passed');
  });

  test('the summary weights CPU by each interval, skips nulls and keeps the largest RSS', () => {
    const sample = (
      t: number,
      cpuPercent: number | null,
      rssBytes: number | null,
      machine: number | null,
    ): ResourceSample => ({
      t,
      processes: { pagamentos: { cpuPercent, rssBytes } },
      postgres: null,
      rabbitmq: 20,
      machine,
      loadgen: 5,
    });
    // Intervals: 0→1 s (10 %), 1→1.5 s (40 %), 1.5→2.5 s (down), 2.5→3 s (a restart: no delta);
    // the machine: (50 × 1 + 150 × 1 + 150 × 0.5) / 2.5 s = 110.
    const summary = summarizeResources(
      [
        sample(1, 10, 100, 50),
        sample(1.5, 40, 300, null),
        sample(2.5, null, null, 150),
        sample(3, null, 200, 150),
      ],
      0,
    );
    assert.deepEqual(summary.pagamentos, { cpuMeanPercent: 20, cpuMaxPercent: 40, rssMaxBytes: 300 });
    assert.deepEqual(summary.machine, { cpuMeanPercent: 110, cpuMaxPercent: 150, rssMaxBytes: null });
    assert.deepEqual(summary.postgres, { cpuMeanPercent: null, cpuMaxPercent: null, rssMaxBytes: null });
    assert.deepEqual(summary.rabbitmq, { cpuMeanPercent: 20, cpuMaxPercent: 20, rssMaxBytes: null });
    assert.deepEqual(summary.loadgen, { cpuMeanPercent: 5, cpuMaxPercent: 5, rssMaxBytes: null });
    assert.deepEqual(Object.keys(summarizeResources([], 0)), ['postgres', 'rabbitmq', 'machine', 'loadgen']);
  });
});

describe('sampling real processes', () => {
  test('a busy child shows CPU and RSS; a replaced pid gives one null interval; a dead one is null', async () => {
    const busy = await child('busy');
    const idle = await child('idle');
    const replacement = await child('busy');
    let busyPid: number = busy.pid;
    let idlePid: number | undefined = idle.pid;
    const startedAt = performance.now();
    const sampler = startResourceSampler({
      startedAt,
      intervalMs: 100,
      processes: () => [
        { name: 'busy', pid: busyPid },
        { name: 'idle', pid: idlePid },
        { name: 'never-started', pid: undefined },
      ],
    });
    await sleep(800);
    // A restart: the same name, another pid. Then the idle one dies and is reported down.
    busyPid = replacement.pid;
    await stop(idle);
    await sleep(300);
    idlePid = undefined;
    await sleep(500);
    const series = sampler.stop();

    assert.equal(series.intervalMs, 100);
    assert.ok(series.samples.length >= 8, `${series.samples.length} samples`);
    assert.deepEqual(sampler.stop(), series, 'stop() twice answers the same series');
    const ts = series.samples.map((s) => s.t);
    assert.ok(
      ts.every((t, i) => t > 0 && (i === 0 || t > (ts[i - 1] ?? 0))),
      `t grows: ${ts.join(', ')}`,
    );
    for (const s of series.samples) {
      const values = [
        s.machine,
        s.loadgen,
        s.postgres,
        s.rabbitmq,
        ...Object.values(s.processes).flatMap((p) => [p.cpuPercent, p.rssBytes]),
      ];
      assert.ok(
        values.every((v) => v === null || v >= 0),
        `no negative figure at t=${s.t}: ${JSON.stringify(s)}`,
      );
      assert.deepEqual(s.processes['never-started'], { cpuPercent: null, rssBytes: null });
    }

    const busyCpu = series.samples.map((s) => s.processes.busy?.cpuPercent ?? null);
    // Exactly one interval straddles the pid change; the ones before and after it are measured.
    const swap = busyCpu.findIndex((cpu, i) => i > 0 && cpu === null);
    assert.ok(swap > 0, `one interval has no delta: ${JSON.stringify(busyCpu)}`);
    assert.equal(busyCpu.filter((cpu) => cpu === null).length, 1, JSON.stringify(busyCpu));
    assert.ok(
      busyCpu.slice(swap + 1).some((cpu) => cpu !== null && cpu > 0),
      'the new pid is measured',
    );

    const summary = series.summary;
    assert.ok((summary.busy?.cpuMeanPercent ?? 0) > 0, JSON.stringify(summary.busy));
    assert.ok((summary.busy?.rssMaxBytes ?? 0) > 0, JSON.stringify(summary.busy));
    assert.ok((summary.idle?.rssMaxBytes ?? 0) > 0, JSON.stringify(summary.idle));
    const last = series.samples.at(-1);
    assert.deepEqual(last?.processes.idle, { cpuPercent: null, rssBytes: null }, 'dead: null');
    assert.ok((summary.machine?.cpuMeanPercent ?? 0) > 0, JSON.stringify(summary.machine));
    assert.ok((summary.loadgen?.cpuMeanPercent ?? -1) >= 0, JSON.stringify(summary.loadgen));
    assert.deepEqual(summary['never-started'], {
      cpuMeanPercent: null,
      cpuMaxPercent: null,
      rssMaxBytes: null,
    });
  });
});
