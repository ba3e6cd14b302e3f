import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { compile } from 'vega-lite';
import { runAndSave, syntheticLoadResult, syntheticMachineInfo } from '@dslab/bench-kit';
import type { MeasuredRun } from './results.js';
import { kvCharts, ratesSpec } from './charts.js';
import { parseOptions } from './options.js';
import { parseRedisBenchmarkCsv, redisTarget } from './redis-benchmark.js';
import { headline, renderMarkdown, renderTextReport, summaryRows, toJson } from './report.js';
import type { KvBenchResults } from './results.js';
import { KV_BENCH } from './run.js';

describe('KV benchmark options', () => {
  test('a quick run is short; options override the defaults; a bad one is refused', () => {
    const quick = parseOptions(['--quick']);
    assert.equal(quick.quick, true);
    assert.deepEqual(quick.connections, [10]);
    assert.equal(quick.messages, 300);
    const full = parseOptions([]);
    assert.deepEqual(full.connections, [10, 50]);
    assert.equal(full.redisRequests, 200_000);
    const custom = parseOptions([
      '--connections',
      '1,64',
      '--duration',
      '2.5',
      '--messages',
      '10',
      '--out',
      '/tmp/x',
    ]);
    assert.deepEqual(custom.connections, [1, 64]);
    assert.equal(custom.durationS, 2.5);
    assert.equal(custom.messages, 10);
    assert.equal(custom.outDir, '/tmp/x');
    assert.throws(() => parseOptions(['--connections', '0']), /positive/);
    assert.throws(() => parseOptions(['--messages', '1.5']), /whole number/);
    assert.throws(() => parseOptions(['--log-level', 'loud']), /log-level/);
    assert.throws(() => parseOptions(['--frobnicate']), /unknown option/);
  });
});

describe('redis-benchmark output', () => {
  test('the CSV gives the rate and the latency percentiles', () => {
    const csv = [
      '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"',
      '"GET","47961.63","0.568","0.192","0.527","0.847","1.223","2.503"',
      '',
    ].join('\n');
    assert.deepEqual(parseRedisBenchmarkCsv(csv), [
      {
        test: 'GET',
        rps: 47961.63,
        latencyMs: { avg: 0.568, p50: 0.527, p95: 0.847, p99: 1.223, max: 2.503 },
      },
    ]);
    assert.throws(() => parseRedisBenchmarkCsv('GET: 1000 requests per second'), /no CSV header/);
  });

  test('a redis:// URL gives host, port, database and credentials', () => {
    assert.deepEqual(redisTarget('redis://127.0.0.1:6379'), {
      host: '127.0.0.1',
      port: 6379,
      db: 0,
      user: undefined,
      password: undefined,
    });
    assert.deepEqual(redisTarget('redis://u:p%40ss@cache:6380/3'), {
      host: 'cache',
      port: 6380,
      db: 3,
      user: 'u',
      password: 'p@ss',
    });
  });
});

function run(connections: number, rps: number): MeasuredRun {
  return {
    ...syntheticLoadResult({
      concurrency: connections,
      rps,
      durationS: 5,
      latency: { mean: 1, p50: 1, p90: 2, p99: 3, max: 4 },
    }),
    cpuPercent: { 'kv-api': 95 },
    benchCpuPercent: 50,
  };
}

function synthetic(): KvBenchResults {
  const redis = (rps: number) => ({
    command: 'redis-benchmark',
    test: 'GET',
    rps,
    latencyMs: { avg: 1, p50: 1, p95: 1, p99: 1, max: 1 },
  });
  return {
    machine: syntheticMachineInfo(),
    settings: {
      quick: false,
      connections: [10, 50],
      durationS: 5,
      warmupS: 1,
      redisRequests: 1000,
      redisClients: 50,
      messages: 100,
      valueBytes: 100,
      logLevel: 'warn',
      engines: { postgres: 'postgres://db/test', redis: 'redis://cache', amqp: 'amqp://broker' },
      defaults: [],
      notes: [],
    },
    redis: { get: redis(40_000), hmget: redis(20_000) },
    http: {
      baseline: [run(10, 20_000), run(50, 25_000)],
      kitBaseline: [run(10, 16_000), run(50, 20_000)],
      getHit: [run(10, 8_000), run(50, 10_000)],
      put: [run(10, 1_000), run(50, 2_000)],
    },
    apply: {
      messages: 100,
      applied: 100,
      applySeconds: 0.2,
      rate: 500,
      wallSeconds: 2,
      queuedBefore: 100,
      prefetch: 32,
      consumerCpuPercent: 80,
    },
    checks: { getHitSource: 'redis', putStatuses: { '202': 15_000 } },
    totalSeconds: 60,
  };
}

describe('KV benchmark report', () => {
  test('each rate is given against hello-world at the same connections and against raw Redis GET', () => {
    const rows = summaryRows(synthetic());
    const get50 = rows.find((r) => r.target.startsWith('GET') && r.connections === 50);
    assert.equal(get50?.vsHello, 0.4);
    assert.equal(get50.vsRedisGet, 0.25);
    assert.equal(get50.vsKit, 0.5);
    const h = headline(synthetic());
    assert.equal(h.getVsRedis, 0.25);
    assert.equal(h.getVsHmget, 0.5);
    assert.equal(h.putVsHello, 0.08);
    assert.equal(h.applyVsPut, 0.25);
    assert.match(renderTextReport(synthetic()), /0\.25× of redis-benchmark's raw GET/);
    const markdown = renderMarkdown(synthetic(), []);
    assert.match(markdown, /^# KV benchmarks/);
    assert.match(
      markdown,
      /hello-world Fastify server \(`tools\/bench-kit\/src\/hello-server\.ts`, same Node/,
    );
    assert.match(markdown, /\*\*Machine:\*\* cpu, 2 cores, 8\.0 GiB, linux x64, Node v20; load average/);
    assert.deepEqual((toJson(synthetic()) as { ratios: unknown }).ratios, {
      getHitVsRedisGet: 0.25,
      getHitVsRedisHmget: 0.5,
      getHitVsHelloWorld: 0.4,
      getHitVsHttpKitHelloWorld: 0.5,
      httpKitVsHelloWorld: 0.8,
      putVsHelloWorld: 0.08,
      applyVsPut: 0.25,
    });
  });

  test('the chart spec compiles with Vega-Lite and is written as kv-rates', () => {
    assert.ok(compile(ratesSpec(synthetic())).spec.marks !== undefined);
    assert.deepEqual(
      kvCharts(synthetic()).map((chart) => chart.file),
      ['kv-rates'],
    );
  });
});

test('when the quick benchmark runs end to end, then it measures every figure and writes kv.json, kv.md and the chart', async () => {
  const out = mkdtempSync(join(tmpdir(), 'kv-bench-test-'));
  try {
    const options = parseOptions([
      '--quick',
      '--duration',
      '0.5',
      '--warmup',
      '0.2',
      '--messages',
      '100',
      '--redis-requests',
      '5000',
      '--out',
      out,
    ]);
    const { results, files } = await runAndSave(KV_BENCH, options, () => undefined);
    for (const rate of [
      results.redis.get.rps,
      results.redis.hmget.rps,
      ...results.http.baseline.map((r) => r.rps),
      ...results.http.kitBaseline.map((r) => r.rps),
      ...results.http.getHit.map((r) => r.rps),
      ...results.http.put.map((r) => r.rps),
      results.apply.rate,
    ])
      assert.ok(Number.isFinite(rate) && rate > 0, `a rate was measured (${String(rate)})`);
    assert.equal(results.checks.getHitSource, 'redis');
    assert.equal(results.apply.applied, 100);
    assert.equal(results.apply.queuedBefore, 100);
    for (const file of files) assert.ok(existsSync(file), file);
    const json = JSON.parse(readFileSync(join(out, 'kv.json'), 'utf8')) as {
      ratios: Record<string, unknown>;
    };
    assert.equal(typeof json.ratios.getHitVsRedisGet, 'number');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
