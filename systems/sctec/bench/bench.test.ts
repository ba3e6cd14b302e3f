import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile } from 'vega-lite';
import { summarize, syntheticLoadResult, syntheticMachineInfo } from '@dslab/bench-kit';
import { hotSlotSpec, latencySpec, memorySpec, sctecCharts, throughputSpec } from './charts.js';
import { areaOf, summarizeProfile, type CpuProfile } from './cpuprofile.js';
import { createSlotAllocator, parseOptions } from './options.js';
import {
  cpuCostRows,
  hotSlotRatios,
  memoryRows,
  ratioRows,
  renderMarkdown,
  renderTextReport,
} from './report.js';
import type { BenchResults, MeasuredRun } from './results.js';
import { countsDelta, requestCountsByRoute } from './scenarios.js';

describe('benchmark options', () => {
  test('a quick run is short, has no profile and registers fewer scientists', () => {
    const quick = parseOptions(['--quick']);
    assert.equal(quick.quick, true);
    assert.equal(quick.profile, false);
    assert.equal(quick.scientists, 10);
    assert.deepEqual(quick.concurrencies, [1, 10, 50]);
    const full = parseOptions([]);
    assert.equal(full.profile, true);
    assert.equal(full.contenders, 100);
  });

  test('options override the defaults, and a bad one is refused', () => {
    const o = parseOptions(
      [
        '--quick',
        '--profile',
        '--concurrency',
        '2,4',
        '--duration',
        '1.5',
        '--log-level',
        'info',
        '--postgres',
      ],
      { DATABASE_URL: 'postgres://x@db/y' },
    );
    assert.equal(o.profile, true);
    assert.deepEqual(o.concurrencies, [2, 4]);
    assert.equal(o.durationS, 1.5);
    assert.equal(o.logLevel, 'info');
    assert.equal(o.postgres, true);
    assert.equal(o.databaseUrl, 'postgres://x@db/y');
    assert.throws(() => parseOptions(['--concurrency', '0']), /positive/);
    assert.throws(() => parseOptions(['--log-level', 'loud']), /log-level/);
    assert.throws(() => parseOptions(['--frobnicate']), /unknown option/);
  });

  test('the slot allocator hands out distinct grid slots inside the horizon, then stops', () => {
    const now = Date.UTC(2027, 0, 1, 10, 2, 0);
    const slots = createSlotAllocator({
      nowMs: now,
      slotMs: 300_000,
      horizonMs: 2 * 3_600_000,
      leadMs: 600_000,
      tailMarginMs: 3_600_000,
    });
    assert.equal(slots.next(), '2027-01-01T10:15:00Z');
    assert.equal(slots.next(), '2027-01-01T10:20:00Z');
    const seen = new Set<string>();
    while (slots.remaining > 0) seen.add(slots.next());
    assert.equal(seen.size, slots.used - 2);
    assert.ok([...seen].every((s) => Date.parse(s) <= now + 3_600_000));
    assert.throws(() => slots.next(), /no free slot/);
  });
});

describe('coordinator traffic', () => {
  test('request counts by route come from the Prometheus histogram, and deltas drop what did not move', () => {
    const text = [
      '# TYPE http_request_duration_seconds histogram',
      'http_request_duration_seconds_bucket{le="0.005",method="POST",route="/lock",status_code="200",service="c"} 3',
      'http_request_duration_seconds_count{method="POST",route="/lock",status_code="200",service="c"} 10',
      'http_request_duration_seconds_count{method="POST",route="/lock",status_code="409",service="c"} 2',
      'http_request_duration_seconds_count{method="POST",route="/unlock",status_code="200",service="c"} 10',
    ].join('\n');
    const counts = requestCountsByRoute(text);
    assert.deepEqual(counts, { 'POST /lock': 12, 'POST /unlock': 10 });
    assert.deepEqual(countsDelta({ 'POST /lock': 5, 'POST /unlock': 10 }, counts), { 'POST /lock': 7 });
  });
});

describe('cpuprofile summary', () => {
  // root → main (app) → query (kysely) ; root → (idle); root → (garbage collector)
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 4, 5] },
      {
        id: 2,
        callFrame: {
          functionName: 'book',
          url: 'file:///r/systems/sctec/servico-agendamento/src/a.ts',
          lineNumber: 9,
        },
        children: [3],
      },
      {
        id: 3,
        callFrame: {
          functionName: 'executeQuery',
          url: 'file:///r/node_modules/kysely/dist/x.js',
          lineNumber: 59,
        },
      },
      { id: 4, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      { id: 5, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
    ],
    startTime: 1_000,
    endTime: 11_000,
    // Timestamps 2000, 3000, ... 10000 (after the first delta), each sample lasting 1000 µs.
    samples: [3, 3, 3, 2, 4, 4, 5, 3, 2],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
  };

  test('self time goes to the sampled function, inclusive time to every area on its stack', () => {
    const s = summarizeProfile(profile);
    assert.equal(s.sampleCount, 9);
    assert.equal(s.totalMs, 9);
    assert.equal(s.windowIgnored, false);
    const top = s.topFunctions[0];
    assert.equal(top?.functionName, 'executeQuery');
    assert.equal(top.area, 'kysely');
    assert.equal(top.location, 'kysely/dist/x.js:60');
    assert.equal(top.selfMs, 4);
    const area = (name: string) => s.areas.find((a) => a.area === name);
    assert.equal(area('kysely')?.selfMs, 4);
    assert.equal(area('servico-agendamento')?.selfMs, 2);
    assert.equal(area('servico-agendamento')?.inclusiveMs, 6);
    assert.equal(area('(idle)')?.selfMs, 2);
    assert.ok(Math.abs(s.busyPercent - (100 * 7) / 9) < 1e-9);
    assert.equal(s.topInclusive[0]?.functionName, 'book');
    assert.equal(s.topInclusive[0].inclusiveMs, 6);
  });

  test('a window keeps only the samples taken inside it; an empty window falls back to all', () => {
    const s = summarizeProfile(profile, { windowUs: { from: 2_000, to: 4_000 } });
    assert.equal(s.sampleCount, 3);
    assert.equal(s.topFunctions[0]?.selfMs, 3);
    const none = summarizeProfile(profile, { windowUs: { from: 50_000, to: 60_000 } });
    assert.equal(none.windowIgnored, true);
    assert.equal(none.sampleCount, 9);
  });

  test('code areas are packages, repository folders, Node built-ins or V8 specials', () => {
    assert.equal(
      areaOf({ functionName: 'x', url: 'file:///a/node_modules/@fastify/helmet/index.js' }),
      '@fastify/helmet',
    );
    assert.equal(areaOf({ functionName: 'x', url: 'file:///a/node_modules/pino/lib/x.js' }), 'pino');
    assert.equal(
      areaOf({ functionName: 'x', url: 'file:///repo/packages/db/src/database.ts' }),
      'packages/db',
    );
    assert.equal(areaOf({ functionName: 'x', url: 'node:internal/crypto/util' }), 'node built-ins');
    assert.equal(areaOf({ functionName: '(program)', url: '' }), '(program)');
    assert.equal(areaOf({ functionName: 'writev', url: '' }), '(native/V8)');
  });
});

function run(concurrency: number, rps: number, p50: number, p99: number, rss: number): MeasuredRun {
  return {
    ...syntheticLoadResult({
      concurrency,
      rps,
      durationS: 10,
      latency: { mean: p50, p50, p90: p99, p99, max: p99 },
    }),
    usage: {
      baseline: { idleRssBytes: 50 * 2 ** 20, maxRssBytes: 60 * 2 ** 20, cpuPercent: 90 },
      'servico-agendamento': { idleRssBytes: 100 * 2 ** 20, maxRssBytes: rss, cpuPercent: 100 },
    },
    benchCpuPercent: 40,
  };
}

function syntheticResults(): BenchResults {
  return {
    machine: syntheticMachineInfo(),
    settings: {
      quick: true,
      engine: 'sqlite',
      logLevel: 'warn',
      concurrencies: [1, 10],
      durationS: 1,
      loopDurationS: 1,
      warmupS: 1,
      rounds: 1,
      contenders: 4,
      scientists: 2,
      notes: [],
    },
    idleRssBytes: { baseline: 50 * 2 ** 20, 'servico-agendamento': 100 * 2 ** 20 },
    http: {
      baseline: [run(1, 10_000, 0.1, 0.4, 0), run(10, 20_000, 0.5, 2, 0)],
      bookings: [run(1, 500, 2, 8, 150 * 2 ** 20), run(10, 1_000, 10, 40, 200 * 2 ** 20)],
      time: [run(1, 5_000, 0.2, 0.8, 120 * 2 ** 20)],
    },
    loops: { baseline: [run(1, 8_000, 0.1, 0.3, 0)], lockPairs: [run(1, 2_000, 0.5, 1, 0)] },
    hotSlot: {
      contenders: 4,
      rounds: [
        {
          slot: '2027-01-02T00:00:00Z',
          allDecidedMs: 20,
          won: 1,
          lostAtLock: 3,
          lostAtDatabase: 0,
          other: {},
        },
      ],
      decision: summarize([5, 10, 15, 20]),
      decisionTimesMs: [5, 10, 15, 20],
      exactlyOneWinnerEachRound: true,
      usage: {},
    },
    connections: {
      coordinatorRequests: { 'POST /lock': 10 },
      bookings: 10,
      maxOpenConnections: 3,
      distinctConnections: 3,
    },
    warnings: {},
    totalSeconds: 5,
  };
}

describe('benchmark report', () => {
  test('every figure is given as a ratio to the baseline at the same concurrency and client', () => {
    const rows = ratioRows(syntheticResults());
    const booking10 = rows.find((r) => r.target.startsWith('POST') && r.concurrency === 10);
    assert.equal(booking10?.rpsRatio, 0.05);
    assert.equal(booking10.p50Ratio, 20);
    assert.equal(booking10.p99Ratio, 20);
    const pairs = rows.find((r) => r.target.includes('lock+unlock'));
    assert.equal(pairs?.rpsRatio, 0.25);
    const hot = hotSlotRatios(syntheticResults());
    assert.equal(hot.baselineConcurrency, 10);
    assert.equal(hot.decisionsPerSecond, 200);
    assert.equal(hot.decisionsPerSecondRatio, 0.01);
  });

  test('CPU per request is the process CPU over the run divided by its successful requests', () => {
    const rows = cpuCostRows(syntheticResults());
    const booking = rows.find((r) => r.target.startsWith('POST') && r.concurrency === 1);
    // Scheduler 100 % of a core at 500 bookings/s = 2000 µs; baseline 90 % at 10 000 req/s = 90 µs.
    assert.equal(booking?.schedulerUs, 2000);
    assert.equal(booking.baselineUs, 90);
    assert.equal(booking.totalUs, 2000);
    assert.ok(Math.abs((booking.ratio ?? 0) - 2000 / 90) < 1e-9);
  });

  test('memory rows report idle and the highest RSS with the scenario it was seen in', () => {
    const scheduler = memoryRows(syntheticResults()).find((m) => m.service === 'servico-agendamento');
    assert.equal(scheduler?.idle, 100 * 2 ** 20);
    assert.equal(scheduler.max, 200 * 2 ** 20);
    assert.equal(scheduler.scenario, 'bookings c=10');
  });

  test("the reports name the machine and the baseline's source, and embed every chart", () => {
    const results = syntheticResults();
    const charts = sctecCharts(results).map((c) => ({
      name: c.name,
      svg: `${c.file}.svg`,
      png: `${c.file}.png`,
    }));
    const markdown = renderMarkdown(results, charts, '# Finding\n\nwhat bounds it');
    assert.match(markdown, /^# SCTEC benchmarks/);
    assert.match(markdown, /`tools\/bench-kit\/src\/hello-server\.ts`/);
    assert.match(
      markdown,
      /cpu, 2 cores, 8\.0 GiB, linux x64, Node v20; load average at start 0\.00 \/ 0\.00 \/ 0\.00/,
    );
    for (const name of ['throughput', 'latency', 'hot-slot', 'lock-pairs', 'memory'])
      assert.ok(markdown.includes(`](sctec-${name}.png)`), name);
    assert.match(markdown, /what bounds it\s*$/);
    assert.match(renderTextReport(results), /^\nSCTEC benchmark — cpu, 2 cores/);
  });

  test('the chart specs compile with Vega-Lite', () => {
    const results = syntheticResults();
    for (const spec of [
      throughputSpec(results),
      latencySpec(results),
      hotSlotSpec(results),
      memorySpec(results),
    ]) {
      assert.ok(compile(spec).spec.marks !== undefined);
    }
  });
});
