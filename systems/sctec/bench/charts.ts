/** Charts of one run: Vega-Lite specs (pure); @dslab/bench-kit renders them to SVG and PNG. */
import type { Chart } from '@dslab/bench-kit';
import type { TopLevelSpec } from 'vega-lite';
import { memoryRowsByScenario } from './report.js';
import type { BenchResults } from './results.js';

const base = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  background: 'white',
  width: 520,
  height: 300,
  config: {
    font: 'DejaVu Sans',
    axis: { labelFontSize: 11, titleFontSize: 12 },
    legend: { labelFontSize: 11, labelLimit: 0 },
  },
} as const;

export function throughputSpec(results: BenchResults): TopLevelSpec {
  const values = [
    ...results.http.baseline.map((r) => ({ target: 'hello-world baseline', c: r.concurrency, rps: r.rps })),
    ...results.http.bookings.map((r) => ({
      target: 'POST /agendamentos (distinct slots)',
      c: r.concurrency,
      rps: r.rps,
    })),
    ...results.http.time.map((r) => ({ target: 'GET /time', c: r.concurrency, rps: r.rps })),
  ];
  return {
    ...base,
    title: 'Throughput by concurrency (autocannon, keep-alive)',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'c', type: 'ordinal', title: 'connections', axis: { labelAngle: 0 } },
      y: {
        field: 'rps',
        type: 'quantitative',
        title: 'successful requests/s (log scale)',
        scale: { type: 'log' },
      },
      color: { field: 'target', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1 } },
    },
  };
}

export function latencySpec(results: BenchResults): TopLevelSpec {
  const values = [
    ...results.http.baseline.flatMap((r) => [
      { target: 'hello-world baseline', c: r.concurrency, pct: 'p50', ms: r.latency.p50 },
      { target: 'hello-world baseline', c: r.concurrency, pct: 'p99', ms: r.latency.p99 },
    ]),
    ...results.http.bookings.flatMap((r) => [
      { target: 'POST /agendamentos', c: r.concurrency, pct: 'p50', ms: r.latency.p50 },
      { target: 'POST /agendamentos', c: r.concurrency, pct: 'p99', ms: r.latency.p99 },
    ]),
    ...results.http.time.flatMap((r) => [
      { target: 'GET /time', c: r.concurrency, pct: 'p50', ms: r.latency.p50 },
      { target: 'GET /time', c: r.concurrency, pct: 'p99', ms: r.latency.p99 },
    ]),
  ].filter((v) => Number.isFinite(v.ms) && v.ms > 0);
  return {
    ...base,
    title: 'Latency p50 and p99 by concurrency',
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'c', type: 'ordinal', title: 'connections', axis: { labelAngle: 0 } },
      y: { field: 'ms', type: 'quantitative', title: 'latency, ms (log scale)', scale: { type: 'log' } },
      color: { field: 'target', type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1 } },
      strokeDash: { field: 'pct', type: 'nominal', title: 'percentile' },
    },
  };
}

export function hotSlotSpec(results: BenchResults): TopLevelSpec {
  const hot = results.hotSlot;
  return {
    ...base,
    title: `Hot slot: decision time of ${hot.contenders} contenders × ${hot.rounds.length} rounds`,
    layer: [
      {
        data: { values: hot.decisionTimesMs.map((ms) => ({ ms })) },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: {
            field: 'ms',
            type: 'quantitative',
            bin: { maxbins: 40 },
            title: 'time from the burst to the answer, ms',
          },
          y: { aggregate: 'count', type: 'quantitative', title: 'contenders' },
        },
      },
      {
        data: {
          values: [
            { label: 'p50', ms: hot.decision.p50 },
            { label: 'p99', ms: hot.decision.p99 },
          ],
        },
        layer: [
          {
            mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] },
            encoding: { x: { field: 'ms', type: 'quantitative' } },
          },
          {
            mark: { type: 'text', align: 'left', dx: 3, dy: -140, color: '#d62728' },
            encoding: { x: { field: 'ms', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
          },
        ],
      },
    ],
  };
}

export function lockPairsSpec(results: BenchResults): TopLevelSpec {
  const values = [
    ...results.loops.baseline.map((r) => ({
      what: 'hello-world GET (same client)',
      c: r.concurrency,
      ops: r.rps,
    })),
    ...results.loops.lockPairs.map((r) => ({
      what: 'coordinator lock+unlock pairs',
      c: r.concurrency,
      ops: r.rps,
    })),
  ];
  return {
    ...base,
    title: 'Coordinator lock+unlock pairs/s (undici Pool, keep-alive)',
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'c', type: 'ordinal', title: 'workers (connections)', axis: { labelAngle: 0 } },
      xOffset: { field: 'what' },
      y: { field: 'ops', type: 'quantitative', title: 'operations/s' },
      color: { field: 'what', type: 'nominal', title: null, legend: { orient: 'bottom' } },
    },
  };
}

export function memorySpec(results: BenchResults): TopLevelSpec {
  return {
    ...base,
    width: 620,
    title: 'Highest RSS by scenario',
    data: { values: memoryRowsByScenario(results) },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'scenario', type: 'nominal', title: null, sort: null, axis: { labelAngle: -30 } },
      xOffset: { field: 'service' },
      y: { field: 'mib', type: 'quantitative', title: 'RSS, MiB' },
      color: { field: 'service', type: 'nominal', title: null, legend: { orient: 'bottom' } },
    },
  };
}

/** Every chart of sctec.md, written as sctec-<name>.svg and .png (the name is how sctec.md finds it). */
export function sctecCharts(results: BenchResults): Chart[] {
  const specs: [string, TopLevelSpec][] = [
    ['throughput', throughputSpec(results)],
    ['latency', latencySpec(results)],
    ['hot-slot', hotSlotSpec(results)],
    ['lock-pairs', lockPairsSpec(results)],
    ['memory', memorySpec(results)],
  ];
  return specs.map(([name, spec]) => ({ name, file: `sctec-${name}`, spec }));
}
