/** The charts of checkout-async.md (Vega-Lite specs; @dslab/bench-kit renders them to SVG and PNG). */
import type { Chart } from '@dslab/bench-kit';
import type { TopLevelSpec } from 'vega-lite';
import { MESSAGES_PER_ORDER, paymentLabel, speedUps, type CheckoutAsyncBenchResults } from './results.js';

const CONFIG = {
  font: 'DejaVu Sans',
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, labelLimit: 0, orient: 'bottom' as const },
};

function workerAxis(results: CheckoutAsyncBenchResults) {
  const values = [...new Set(results.runs.map((run) => run.workers))].sort((a, b) => a - b);
  return {
    field: 'workers',
    type: 'quantitative' as const,
    title: 'worker processes',
    axis: { values, format: 'd' },
  };
}

/**
 * Completion throughput against worker processes: one colour per payment setting, solid for what
 * was measured and dashed for linear scaling from the series' first run. The broker's round trip
 * (as orders/s) is drawn when it fits the scale, else named in the subtitle.
 */
export function throughputSpec(results: CheckoutAsyncBenchResults): TopLevelSpec {
  const measured = results.runs.map((run) => ({
    workers: run.workers,
    rate: Math.round(run.completion.rate * 10) / 10,
    payment: paymentLabel(run.payment),
    kind: 'measured',
  }));
  const linear = speedUps(results.runs).map(({ run, reference }) => ({
    workers: run.workers,
    rate: Math.round(((reference.completion.rate * run.workers) / reference.workers) * 10) / 10,
    payment: paymentLabel(run.payment),
    kind: 'linear scaling from the fewest workers',
  }));
  const brokerOrders = Math.round(results.baselines.broker.rate / MESSAGES_PER_ORDER);
  const top = Math.max(10, ...measured.map((row) => row.rate), ...linear.map((row) => row.rate));
  const brokerFits = brokerOrders <= top * 1.5;
  const series = [...new Set(measured.map((row) => row.payment))];
  const x = workerAxis(results);
  const y = { field: 'rate', type: 'quantitative' as const, title: 'orders completed per second' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    width: 480,
    height: 300,
    config: CONFIG,
    title: {
      text: `Asynchronous checkout: orders completed per second (${results.machine.cores} cores)`,
      subtitle: brokerFits
        ? `${results.settings.orders} orders placed at once per batch`
        : `${results.settings.orders} orders placed at once per batch; RabbitMQ's own round trip ÷ ${MESSAGES_PER_ORDER} messages = ${brokerOrders} orders/s (off the scale)`,
    },
    layer: [
      {
        data: { values: [...linear, ...measured] },
        mark: { type: 'line' },
        encoding: {
          x,
          y,
          color: { field: 'payment', type: 'nominal', title: null },
          strokeDash: { field: 'kind', type: 'nominal', title: null, sort: 'descending' },
        },
      },
      {
        data: { values: measured },
        mark: { type: 'point', filled: true, size: 50 },
        encoding: { x, y, color: { field: 'payment', type: 'nominal', title: null } },
      },
      // One label layer per series, above for the first and below for the others, so they do not overlap.
      ...series.map((payment, i) => ({
        data: { values: measured.filter((row) => row.payment === payment) },
        mark: { type: 'text' as const, dy: i === 0 ? -10 : 14, fontSize: 10 },
        encoding: { x, y, text: { field: 'rate', type: 'quantitative' as const, format: '.1f' } },
      })),
      ...(brokerFits
        ? [
            {
              data: {
                values: [
                  {
                    rate: brokerOrders,
                    label: `RabbitMQ round trip ÷ ${MESSAGES_PER_ORDER} messages = ${brokerOrders} orders/s`,
                  },
                ],
              },
              layer: [
                {
                  mark: { type: 'rule' as const, color: 'gray', strokeDash: [2, 2] },
                  encoding: { y: { field: 'rate', type: 'quantitative' as const } },
                },
                {
                  mark: {
                    type: 'text' as const,
                    align: 'left' as const,
                    dy: -6,
                    x: 4,
                    color: 'gray',
                    fontSize: 10,
                  },
                  encoding: {
                    y: { field: 'rate', type: 'quantitative' as const },
                    text: { field: 'label', type: 'nominal' as const },
                  },
                },
              ],
            },
          ]
        : []),
    ],
  };
}

/** End-to-end time (202 → terminal) percentiles against worker processes: colour = payment, dash = percentile. */
export function latencySpec(results: CheckoutAsyncBenchResults): TopLevelSpec {
  const values = results.runs.flatMap((run) =>
    (['p50', 'p99'] as const).map((p) => ({
      workers: run.workers,
      ms: Math.round(run.endToEndMs[p]),
      payment: paymentLabel(run.payment),
      percentile: p,
    })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    width: 480,
    height: 260,
    config: CONFIG,
    title: {
      text: '202 → terminal per order (ms)',
      subtitle: `${results.settings.orders} orders placed at once: mostly the wait behind the backlog`,
    },
    data: { values },
    layer: [
      {
        mark: { type: 'line' },
        encoding: {
          x: workerAxis(results),
          y: { field: 'ms', type: 'quantitative', title: 'ms' },
          color: { field: 'payment', type: 'nominal', title: null },
          strokeDash: {
            field: 'percentile',
            type: 'nominal',
            title: null,
            legend: { symbolType: 'stroke', symbolStrokeColor: 'black' },
          },
        },
      },
      {
        mark: { type: 'point', filled: true },
        encoding: {
          x: workerAxis(results),
          y: { field: 'ms', type: 'quantitative' },
          color: { field: 'payment', type: 'nominal', title: null },
        },
      },
    ],
  };
}

export function checkoutAsyncCharts(results: CheckoutAsyncBenchResults): Chart[] {
  return [
    {
      name: 'Orders completed per second against worker processes',
      file: 'checkout-async-throughput',
      spec: throughputSpec(results),
    },
    {
      name: 'End-to-end time per order against worker processes',
      file: 'checkout-async-latency',
      spec: latencySpec(results),
    },
  ];
}
