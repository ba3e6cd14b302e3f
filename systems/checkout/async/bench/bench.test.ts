// The checkout-async benchmark's pure pieces: options, the figures computed from a run's raw
// measurements, the report and the charts (its /proc readers moved to bench-kit's machine.ts).
// Never timings: the benchmark's numbers are not assertions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compile } from 'vega-lite';
import { latencyRange, syntheticMachineInfo } from '@dslab/bench-kit';
import { checkoutAsyncCharts, latencySpec, throughputSpec } from './charts.js';
import { parseOptions } from './options.js';
import {
  completionRange,
  paymentCap,
  postgresCpuMsPerOrder,
  renderMarkdown,
  renderRunsTable,
  renderTextReport,
  scalingVerdict,
  toJson,
  workerCpuMsPerOrder,
} from './report.js';
import {
  distribution,
  endToEnd,
  figuresOf,
  medianRun,
  MESSAGES_PER_ORDER,
  otherCpu,
  paymentLabel,
  perSecond,
  speedUps,
  sumKnown,
  type CheckoutAsyncBenchResults,
  type ScenarioResult,
} from './results.js';

describe('checkout-async benchmark options', () => {
  test('the defaults are 1, 2 and 4 workers, 400 orders, 50 at a time, a 50–150 ms payment that never refuses', () => {
    const options = parseOptions([]);
    assert.deepEqual(options.workers, [1, 2, 4]);
    assert.equal(options.orders, 400);
    assert.equal(options.concurrency, 50);
    assert.deepEqual(options.payment, { minMs: 50, maxMs: 150, rejection: 0 });
    assert.deepEqual(options.cpuBoundWorkers, [1, 2, 4]);
    assert.equal(options.brokerMessages, 400 * MESSAGES_PER_ORDER);
    assert.equal(options.outDir, 'docs/benchmarks');
    const quick = parseOptions(['--quick']);
    assert.deepEqual(quick.workers, [1, 2]);
    assert.equal(quick.orders, 100);
    assert.equal(quick.brokerMessages, 100 * MESSAGES_PER_ORDER);
  });

  test('options override the defaults; worker counts are sorted once each; the broker follows --orders', () => {
    const options = parseOptions([
      '--workers',
      '4,1,2,2',
      '--orders',
      '50',
      '--payment-latency',
      '10-20',
      '--rejection',
      '0.1',
      '--no-cpu-bound',
      '--warmup-orders',
      '0',
      '--out',
      '/tmp/x',
    ]);
    assert.deepEqual(options.workers, [1, 2, 4]);
    assert.equal(options.orders, 50);
    assert.deepEqual(options.payment, { minMs: 10, maxMs: 20, rejection: 0.1 });
    assert.deepEqual(options.cpuBoundWorkers, []);
    assert.equal(options.warmupOrders, 0);
    assert.equal(options.brokerMessages, 50 * MESSAGES_PER_ORDER);
    assert.equal(options.outDir, '/tmp/x');
    assert.equal(parseOptions(['--broker-messages', '1000', '--orders', '10']).brokerMessages, 1000);
    assert.deepEqual(parseOptions(['--cpu-bound-workers', '2']).cpuBoundWorkers, [2]);
  });

  test('a bad value is refused, naming its flag', () => {
    assert.throws(() => parseOptions(['--workers', '0']), /--workers needs a positive number/);
    assert.throws(() => parseOptions(['--orders', '1.5']), /--orders needs a whole number/);
    assert.throws(() => parseOptions(['--payment-latency', '150-50']), /MAX must not be less than MIN/);
    assert.throws(() => parseOptions(['--payment-latency', 'fast']), /--payment-latency needs MIN-MAX/);
    assert.throws(() => parseOptions(['--rejection', '1.5']), /--rejection needs a number from 0 to 1/);
    assert.throws(() => parseOptions(['--customers', '13']), /the seed has 12 customers/);
    assert.throws(() => parseOptions(['--log-level', 'loud']), /--log-level/);
    assert.throws(() => parseOptions(['--frobnicate']), /unknown option --frobnicate/);
    assert.deepEqual(latencyRange('--x', ' 0 - 0 '), { minMs: 0, maxMs: 0 });
    assert.equal(parseOptions(['--rejection', '0']).payment.rejection, 0);
  });
});

function scenario(workers: number, rate: number, overrides: Partial<ScenarioResult> = {}): ScenarioResult {
  const d = distribution([100, 200, 300]);
  return {
    workers,
    payment: { minMs: 50, maxMs: 150, rejection: 0 },
    orders: 400,
    startupSeconds: 5,
    acceptance: { seconds: 2, rate: 200, latencyMs: d, statuses: { '202': 400 } },
    completion: { seconds: 400 / rate, rate },
    endToEndMs: d,
    statuses: { enviado: 400 },
    messagesPerOrder: 11,
    deadLetters: 0,
    retrying: 0,
    windowSeconds: 10,
    cpu: {
      workers: Array.from({ length: workers }, () => 50),
      workersTotal: 50 * workers,
      bench: 20,
      postgres: 40,
      rabbitmq: 10,
      machine: 190,
    },
    workersMaxRssBytes: Array.from({ length: workers }, () => 200 * 2 ** 20),
    quietWaitSeconds: 1,
    repeat: 0,
    repeats: [],
    ...overrides,
  };
}

function synthetic(): CheckoutAsyncBenchResults {
  return {
    machine: syntheticMachineInfo(),
    versions: { node: 'v20', postgres: '15.20', rabbitmq: '3.10.8' },
    settings: {
      ...parseOptions([]),
      engines: { postgres: 'postgres://db/test', amqp: 'amqp://broker' },
      defaults: [],
      notes: ['a note'],
    },
    baselines: {
      http: {
        requests: 3000,
        concurrency: 50,
        seconds: 1,
        rate: 3000,
        latencyMs: distribution([10]),
        serverCpuPercent: 90,
      },
      broker: {
        messages: 4400,
        concurrency: 50,
        prefetch: 16,
        bodyBytes: 190,
        seconds: 2,
        rate: 2200,
        latencyMs: distribution([50]),
        cpu: { rabbitmq: 60, bench: 40 },
      },
    },
    runs: [
      scenario(1, 20),
      scenario(2, 30),
      scenario(4, 31),
      scenario(1, 40, { payment: { minMs: 0, maxMs: 0, rejection: 0 } }),
      scenario(2, 60, { payment: { minMs: 0, maxMs: 0, rejection: 0 } }),
    ],
    totalSeconds: 120,
  };
}

describe('checkout-async benchmark figures', () => {
  test('percentiles are nearest-rank; rates need a positive span', () => {
    const d = distribution([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]);
    assert.deepEqual(d, { count: 10, mean: 5.5, p50: 5, p95: 10, p99: 10, max: 10 });
    assert.equal(distribution([]).count, 0);
    assert.ok(Number.isNaN(distribution([]).p50));
    assert.equal(perSecond(400, 20), 20);
    assert.ok(Number.isNaN(perSecond(400, 0)));
    assert.equal(sumKnown([1, null, 2, undefined]), 3);
    assert.equal(sumKnown([null]), null);
  });

  test('end-to-end times come from each terminal order created → updated; the last terminal ends the run', () => {
    const { durationsMs, lastTerminalAt } = endToEnd([
      {
        status: 'enviado',
        data_criacao: '2025-01-01T00:00:00.000Z',
        atualizado_em: '2025-01-01T00:00:01.500Z',
      },
      {
        status: 'cancelado',
        data_criacao: '2025-01-01T00:00:00.100Z',
        atualizado_em: '2025-01-01T00:00:02.000Z',
      },
      {
        status: 'pendente',
        data_criacao: '2025-01-01T00:00:00.200Z',
        atualizado_em: '2025-01-01T00:00:09.000Z',
      },
    ]);
    assert.deepEqual(durationsMs, [1500, 1900]);
    assert.equal(lastTerminalAt, Date.parse('2025-01-01T00:00:02.000Z'));
  });

  test('the speed-up is against the fewest workers of the same payment series, with its efficiency', () => {
    const ups = speedUps(synthetic().runs);
    assert.deepEqual(
      ups.map((s) => [s.run.workers, s.reference.workers, s.speedUp, s.efficiency]),
      [
        [1, 1, 1, 1],
        [2, 1, 1.5, 0.75],
        [4, 1, 1.55, 0.3875],
        [1, 1, 1, 1],
        [2, 1, 1.5, 0.75],
      ],
    );
    assert.equal(ups[3]?.reference, ups[3]?.run);
    // Without N=1, the smallest count measured is the reference.
    const [, second] = speedUps([scenario(4, 40), scenario(2, 30)]);
    assert.equal(second?.reference.workers, 2);
    assert.equal(paymentLabel({ minMs: 50, maxMs: 150, rejection: 0 }), 'payment 50–150 ms');
    assert.equal(paymentLabel({ minMs: 0, maxMs: 0, rejection: 0.1 }), 'payment 0 ms, 10 % refused');
  });

  test('CPU per order, the payment cap, other CPU and the scaling verdict', () => {
    const run = scenario(2, 30);
    assert.equal(workerCpuMsPerOrder(run), 25); // 100 % of a core for 10 s over 400 orders
    assert.equal(postgresCpuMsPerOrder(run), 10); // 40 % of a core for 10 s over 400 orders
    assert.equal(paymentCap(run, 16), 320); // 2 workers × 16 in flight ÷ 0.1 s
    assert.equal(paymentCap(scenario(1, 1, { payment: { minMs: 0, maxMs: 0, rejection: 0 } }), 16), null);
    assert.equal(otherCpu(run.cpu), 20); // 190 − (100 + 20 + 40 + 10)
    const ups = speedUps(synthetic().runs).slice(0, 3);
    assert.match(scalingVerdict(ups), /stops growing past 2 worker/);
    assert.match(scalingVerdict(ups.slice(0, 2)), /well below linear \(75 % of linear at 2\)/);
    assert.match(scalingVerdict(speedUps([scenario(1, 10), scenario(2, 19)])), /nearly linearly up to 2/);
  });
});

test('a configuration reports its median batch, with the figures of every batch in order and their range', () => {
  const batches = [
    scenario(2, 30, { repeat: 0 }),
    scenario(2, 10, { repeat: 1, cpu: { ...scenario(2, 10).cpu, machine: 200 } }),
    scenario(2, 20, { repeat: 2 }),
  ];
  const median = medianRun(batches);
  assert.equal(median.repeat, 2);
  assert.equal(median.completion.rate, 20);
  assert.deepEqual(
    median.repeats.map((r) => [r.completionRate, r.otherCpu]),
    [
      [30, 20],
      [10, 30],
      [20, 20],
    ],
  );
  assert.equal(completionRange(median), '10.0–30.0');
  // An even count reports the lower middle one (the conservative figure).
  assert.equal(medianRun(batches.slice(0, 2)).completion.rate, 10);
  assert.equal(completionRange({ ...median, repeats: [figuresOf(median)] }), '—');
  assert.throws(() => medianRun([]), /no batch/);
  // Batches the rest of the machine disturbed are left out when a clean one exists.
  assert.equal(medianRun(batches, 25).completion.rate, 20);
  assert.equal(medianRun(batches, 25).repeats.length, 3);
  assert.equal(medianRun(batches, 5).completion.rate, 20); // none clean: the median of all
});

describe('checkout-async benchmark report', () => {
  test('the tables, the reading and the JSON carry every run, its speed-up and the baselines', () => {
    const results = synthetic();
    const table = renderRunsTable(results.runs);
    assert.match(table, /1\.50× vs 1/);
    assert.match(table, /400\/400/);
    const text = renderTextReport(results);
    assert.match(text, /RabbitMQ round trip/);
    assert.match(text, /= 200 orders\/s at 11 messages per order/);
    const markdown = renderMarkdown(results, [
      {
        name: 'Orders per second',
        svg: 'checkout-async-throughput.svg',
        png: 'checkout-async-throughput.png',
      },
    ]);
    assert.match(markdown, /^# Asynchronous checkout: throughput against worker processes/);
    assert.match(markdown, /!\[Orders per second\]\(checkout-async-throughput\.png\)/);
    assert.match(markdown, /\*\*Versions:\*\* Node v20, PostgreSQL 15\.20, RabbitMQ 3\.10\.8/);
    assert.match(markdown, /Throughput stops growing past 2 worker/);
    const json = toJson(results) as {
      runs: { speedUp: unknown; workerCpuMsPerOrder: unknown }[];
      baselines: { broker: { ordersPerSecondEquivalent: unknown } };
    };
    assert.deepEqual(json.runs[1]?.speedUp, { vsWorkers: 1, ratio: 1.5, efficiency: 0.75 });
    assert.equal(json.runs[1].workerCpuMsPerOrder, 25);
    assert.equal(json.baselines.broker.ordersPerSecondEquivalent, 200);
  });

  test('the chart specs compile with Vega-Lite and are written as checkout-async-throughput and -latency', () => {
    const results = synthetic();
    assert.ok(compile(throughputSpec(results)).spec.marks !== undefined);
    assert.ok(compile(latencySpec(results)).spec.marks !== undefined);
    assert.deepEqual(
      checkoutAsyncCharts(results).map((chart) => chart.file),
      ['checkout-async-throughput', 'checkout-async-latency'],
    );
  });
});
