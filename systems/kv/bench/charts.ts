/** The KV chart: every measured rate as a bar (a Vega-Lite spec; @dslab/bench-kit renders it). */
import type { Chart } from '@dslab/bench-kit';
import type { TopLevelSpec } from 'vega-lite';
import { summaryRows } from './report.js';
import type { KvBenchResults } from './results.js';

export function ratesSpec(results: KvBenchResults): TopLevelSpec {
  const rows = summaryRows(results).filter((row) => Number.isFinite(row.rps) && row.rps > 0);
  // Bars on a log scale need a baseline above zero: a power of ten below the smallest rate.
  const floor = 10 ** Math.floor(Math.log10(Math.min(...rows.map((row) => row.rps), 1e9) / 2));
  const ceiling = 10 ** Math.ceil(Math.log10(Math.max(...rows.map((row) => row.rps), 10) * 1.5));
  const values = rows.map((row) => ({
    label: row.client === 'autocannon' ? `${row.target}, ${String(row.connections)} conn.` : row.target,
    kind: row.target.startsWith('Redis')
      ? 'raw Redis'
      : row.target.startsWith('hello')
        ? 'hello-world baselines'
        : row.target.startsWith('consumer')
          ? 'consumer'
          : 'kv-api',
    rps: Math.round(row.rps),
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    width: 480,
    height: { step: 22 },
    config: {
      font: 'DejaVu Sans',
      axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 320 },
      legend: { labelFontSize: 11, labelLimit: 0 },
    },
    title: 'KV: operations per second (log scale), same machine, same run',
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'label', type: 'nominal', title: null, sort: null, axis: { labelLimit: 400 } },
          x: {
            field: 'rps',
            type: 'quantitative',
            title: 'per second (log scale)',
            scale: { type: 'log', domain: [floor, ceiling] },
          },
          x2: { datum: floor },
          color: { field: 'kind', type: 'nominal', title: null, legend: { orient: 'bottom' } },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3, fontSize: 10 },
        encoding: {
          y: { field: 'label', type: 'nominal', sort: null },
          x: { field: 'rps', type: 'quantitative', scale: { type: 'log', domain: [floor, ceiling] } },
          text: { field: 'rps', type: 'quantitative', format: ',' },
        },
      },
    ],
  };
}

/** The chart of kv.md, written as kv-rates.svg and kv-rates.png (its name is the image's alt text). */
export function kvCharts(results: KvBenchResults): Chart[] {
  return [
    {
      name: 'KV operations per second: raw Redis, hello-world, kv-api, consumer',
      file: 'kv-rates',
      spec: ratesSpec(results),
    },
  ];
}
