/** Turns one run's results into the stdout tables, checkout-async.md and checkout-async.json (pure functions). */
import {
  describeMachine,
  formatMiB,
  formatMs,
  formatNumber,
  formatRatio,
  helloWorldSource,
  markdownTable,
  ratio,
  round,
  textTable,
  type ChartFile,
} from '@dslab/bench-kit';
import {
  MESSAGES_PER_ORDER,
  paymentLabel,
  speedUps,
  type CheckoutAsyncBenchResults,
  otherCpu,
  type Distribution,
  type ScenarioResult,
  type SpeedUp,
} from './results.js';

function cpu(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(0)} %`;
}

/** Worker CPU time spent per order, in ms (all workers together over the window ÷ orders). */
export function workerCpuMsPerOrder(run: ScenarioResult): number | null {
  if (run.cpu.workersTotal === null || run.orders === 0) return null;
  return ((run.cpu.workersTotal / 100) * run.windowSeconds * 1000) / run.orders;
}

/** PostgreSQL CPU time (every postgres process) per order, in ms. */
export function postgresCpuMsPerOrder(run: ScenarioResult): number | null {
  if (run.cpu.postgres === null || run.orders === 0) return null;
  return ((run.cpu.postgres / 100) * run.windowSeconds * 1000) / run.orders;
}

/** The most orders in flight the payment step allows: N × prefetch ÷ the mean payment latency. */
export function paymentCap(run: ScenarioResult, prefetch: number): number | null {
  const meanMs = (run.payment.minMs + run.payment.maxMs) / 2;
  return meanMs <= 0 ? null : (run.workers * prefetch * 1000) / meanMs;
}

function maxRss(run: ScenarioResult): number | null {
  const known = run.workersMaxRssBytes.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
}

/** The lowest and highest completion rate of a configuration's batches ("—" for one batch). */
export function completionRange(run: ScenarioResult): string {
  const rates = run.repeats.map((r) => r.completionRate).filter(Number.isFinite);
  if (rates.length < 2) return '—';
  return `${formatNumber(Math.min(...rates), 1)}–${formatNumber(Math.max(...rates), 1)}`;
}

const RUN_HEADERS = [
  'workers',
  'payment',
  '202/s',
  '202 p50 ms',
  '202 p99 ms',
  'orders/s',
  'range',
  'speed-up',
  'e2e p50 ms',
  'e2e p95 ms',
  'e2e p99 ms',
  'workers CPU',
  'worker CPU ms/order',
  'machine CPU',
  'other CPU',
  'worker RSS',
  'terminal',
];

function runCells(s: SpeedUp): string[] {
  const { run } = s;
  const terminal = (run.statuses.enviado ?? 0) + (run.statuses.cancelado ?? 0);
  return [
    String(run.workers),
    paymentLabel(run.payment).replace(/^payment /, ''),
    formatNumber(run.acceptance.rate),
    formatMs(run.acceptance.latencyMs.p50),
    formatMs(run.acceptance.latencyMs.p99),
    formatNumber(run.completion.rate, 1),
    completionRange(run),
    s.reference === run ? '1.00×' : `${formatRatio(s.speedUp)} vs ${s.reference.workers}`,
    formatMs(run.endToEndMs.p50),
    formatMs(run.endToEndMs.p95),
    formatMs(run.endToEndMs.p99),
    cpu(run.cpu.workersTotal),
    formatNumber(workerCpuMsPerOrder(run), 1),
    cpu(run.cpu.machine),
    cpu(otherCpu(run.cpu)),
    formatMiB(maxRss(run)),
    `${terminal}/${run.orders}`,
  ];
}

/** The measured runs so far (printed after each one, and at the end). */
export function renderRunsTable(runs: readonly ScenarioResult[]): string {
  return textTable(RUN_HEADERS, speedUps(runs).map(runCells));
}

function baselineRows(results: CheckoutAsyncBenchResults): string[][] {
  const { http, broker } = results.baselines;
  return [
    [
      `hello-world GET (${helloWorldSource()})`,
      `${formatNumber(http.rate)} req/s`,
      formatMs(http.latencyMs.p50),
      formatMs(http.latencyMs.p99),
      `${http.requests} requests, ${http.concurrency} at a time, server CPU ${cpu(http.serverCpuPercent)}`,
    ],
    [
      'RabbitMQ round trip (one queue, one consumer)',
      `${formatNumber(broker.rate)} msg/s`,
      formatMs(broker.latencyMs.p50),
      formatMs(broker.latencyMs.p99),
      `${broker.messages} messages of ${broker.bodyBytes} B, ${broker.concurrency} confirmed publishes in flight, prefetch ${broker.prefetch}; RabbitMQ CPU ${cpu(broker.cpu.rabbitmq)}; = ${formatNumber(broker.rate / MESSAGES_PER_ORDER)} orders/s at ${MESSAGES_PER_ORDER} messages per order`,
    ],
  ];
}

const BASELINE_HEADERS = ['baseline', 'rate', 'p50 ms', 'p99 ms', 'how'];

/** The series of a payment setting, by worker count. */
function series(results: CheckoutAsyncBenchResults): Map<string, SpeedUp[]> {
  const bySeries = new Map<string, SpeedUp[]>();
  for (const s of speedUps(results.runs)) {
    const label = paymentLabel(s.run.payment);
    bySeries.set(label, [...(bySeries.get(label) ?? []), s]);
  }
  return bySeries;
}

/** "1 worker", "4 workers". */
export function workersText(n: number): string {
  return `${n} worker${n === 1 ? '' : 's'}`;
}

function describeCpu(run: ScenarioResult, cores: number): string {
  return `the machine was at ${cpu(run.cpu.machine)} of ${cores * 100} % CPU (workers ${cpu(run.cpu.workersTotal)}, PostgreSQL ${cpu(run.cpu.postgres)}, RabbitMQ ${cpu(run.cpu.rabbitmq)}, the benchmark process with the API and the client ${cpu(run.cpu.bench)}, anything else ${cpu(otherCpu(run.cpu))})`;
}

/**
 * How a series grows, step by step: near-linear, sub-linear, or flat from some step on (a step
 * that adds less than 15 % over the previous worker count).
 */
export function scalingVerdict(sorted: readonly SpeedUp[]): string {
  if (sorted.length < 2) return 'One worker count only: no scaling to judge.';
  const steps: string[] = [];
  let flatFrom: number | undefined;
  for (let i = 1; i < sorted.length; i++) {
    const from = sorted[i - 1];
    const to = sorted[i];
    if (from === undefined || to === undefined) continue;
    const gain = ratio(to.run.completion.rate, from.run.completion.rate);
    steps.push(`${from.run.workers}→${to.run.workers}: ${formatRatio(gain)}`);
    if (gain !== null && gain < 1.15 && flatFrom === undefined) flatFrom = from.run.workers;
  }
  const last = sorted[sorted.length - 1];
  const efficiency = last?.efficiency ?? null;
  const verdict =
    flatFrom !== undefined
      ? `Throughput stops growing past ${workersText(flatFrom)}.`
      : efficiency !== null && efficiency >= 0.8
        ? `Throughput grows nearly linearly up to ${last?.run.workers ?? '?'} workers.`
        : `Throughput grows with workers, but well below linear (${formatNumber((efficiency ?? Number.NaN) * 100)} % of linear at ${last?.run.workers ?? '?'}).`;
  return `${verdict} Step by step: ${steps.join(', ')}.`;
}

function saturationVerdict(run: ScenarioResult, cores: number): string {
  const noisy =
    (otherCpu(run.cpu) ?? 0) >= 25
      ? ' Other work on the machine took a visible share of it, so these figures are noisier than they look.'
      : '';
  if (run.cpu.machine !== null && run.cpu.machine >= 0.85 * cores * 100)
    return `The ${cores} cores are used up: another worker process only shares the same CPU with PostgreSQL, RabbitMQ and the API.${noisy}`;
  return `The cores are not all busy, so CPU alone is not the limit (waits on PostgreSQL commits and row locks, round trips, the payment gateway's latency).${noisy}`;
}

/** The reading of the numbers, computed from them (so a re-run on another machine says what it saw). */
export function reading(results: CheckoutAsyncBenchResults): string[] {
  const lines: string[] = [];
  const cores = results.machine.cores;
  const broker = results.baselines.broker;
  const brokerOrders = broker.rate / MESSAGES_PER_ORDER;
  for (const [label, runs] of series(results)) {
    const sorted = [...runs].sort((a, b) => a.run.workers - b.run.workers);
    const first = sorted[0];
    const last = sorted[sorted.length - 1];
    if (first === undefined || last === undefined) continue;
    const steps = sorted.map(
      (s) =>
        `N=${s.run.workers}: ${formatNumber(s.run.completion.rate, 1)} orders/s` +
        (s.reference === s.run
          ? ''
          : ` (${formatRatio(s.speedUp)}, ${formatNumber((s.efficiency ?? Number.NaN) * 100)} % of linear)`),
    );
    lines.push(`**${label}** — ${steps.join('; ')}.`);
    const busyFromTheStart =
      sorted.length > 1 && first.run.cpu.machine !== null && first.run.cpu.machine >= 0.75 * cores * 100
        ? ` Already with ${workersText(first.run.workers)} the machine was at ${cpu(first.run.cpu.machine)} of ${cores * 100} % (PostgreSQL ${cpu(first.run.cpu.postgres)}, workers ${cpu(first.run.cpu.workersTotal)}): there was little CPU left for more processes to use.`
        : '';
    lines.push(
      `  ${scalingVerdict(sorted)} With ${workersText(last.run.workers)} ${describeCpu(last.run, cores)}. ${saturationVerdict(last.run, cores)}${busyFromTheStart}`,
    );
    const cap = paymentCap(first.run, results.settings.prefetch);
    if (cap !== null)
      lines.push(
        `  The payment step alone allows at most N × prefetch ÷ mean latency = ${formatNumber(cap)} orders/s per worker (${results.settings.prefetch} payments in flight per process, ${(first.run.payment.minMs + first.run.payment.maxMs) / 2} ms each); with one worker ${formatNumber(first.run.completion.rate, 1)} orders/s is ${formatRatio(ratio(first.run.completion.rate, cap))} of that cap, so ${first.run.completion.rate < 0.7 * cap ? 'the gateway latency is not what bounds one worker: its CPU and the database round trips are' : 'the gateway latency is what bounds one worker, and a second process doubles the payments in flight'}.`,
      );
    const n = sorted.map((s) => s.run.workers).join(', ');
    const list = (f: (run: ScenarioResult) => string) => sorted.map((s) => f(s.run)).join(', ');
    lines.push(
      `  Per order (N=${n}): worker CPU ${list((run) => `${formatNumber(workerCpuMsPerOrder(run), 1)} ms`)}, PostgreSQL CPU ${list((run) => `${formatNumber(postgresCpuMsPerOrder(run), 1)} ms`)}: ` +
        `${(workerCpuMsPerOrder(last.run) ?? 0) > 1.2 * (workerCpuMsPerOrder(first.run) ?? Number.POSITIVE_INFINITY) ? 'more processes cost more CPU per order — likely their fixed overhead (each one polls its five outboxes, holds its own connections and publishes smaller batches) — so on a saturated machine they take CPU from the useful work' : 'the CPU an order costs stays about the same with more processes'}. ` +
        `POST /pedidos ${list((run) => formatNumber(run.acceptance.rate))} 202/s (p99 ${list((run) => `${formatMs(run.acceptance.latencyMs.p99)} ms`)})${last.run.acceptance.rate < 0.8 * first.run.acceptance.rate ? ': the API shares the CPU and PostgreSQL with the workers, so its acceptance drops as they take more of them' : ''}.`,
    );
    const e2eFalls = last.run.endToEndMs.p50 < 0.9 * first.run.endToEndMs.p50;
    const flat = last.speedUp !== null && last.speedUp < 1.15;
    lines.push(
      `  202 → terminal p50 ${list((run) => `${formatMs(run.endToEndMs.p50)} ms`)}` +
        (e2eFalls && flat
          ? ": it falls although orders do not complete sooner (orders/s above): the end-to-end time starts at the 202, and the slower the API accepts, the more of each order's wait happens before its 202 (at the client) instead of after it (in the queues)."
          : '.'),
    );
  }
  const best = results.runs.reduce<ScenarioResult | undefined>(
    (top, run) => (top === undefined || run.completion.rate > top.completion.rate ? run : top),
    undefined,
  );
  const fastestApi = results.runs.reduce<ScenarioResult | undefined>(
    (top, run) => (top === undefined || run.acceptance.rate > top.acceptance.rate ? run : top),
    undefined,
  );
  if (best !== undefined && fastestApi !== undefined) {
    lines.push(
      `**The broker** moved ${formatNumber(broker.rate)} messages/s through one queue with one consumer (publish with confirm, consume, ack; its p50 of ${formatMs(broker.latencyMs.p50)} ms is mostly the wait behind the ${broker.concurrency} publishers in the queue) = ${formatNumber(brokerOrders)} orders/s at the ${MESSAGES_PER_ORDER} messages an order moves (measured: ${best.messagesPerOrder === null ? '—' : best.messagesPerOrder.toFixed(2)} inbox rows per order). The best checkout run (${workersText(best.workers)}, ${paymentLabel(best.payment)}) reached ${formatRatio(ratio(best.completion.rate, brokerOrders))} of that: ` +
        (best.completion.rate < 0.5 * brokerOrders
          ? "the broker's own round trip is not the bottleneck; the cost is in the steps (a PostgreSQL transaction per message: inbox row, effect, outbox row, then the relay's publish and delete)."
          : 'the checkout runs close to what the broker moves on this machine, so the broker round trip itself is part of the ceiling.'),
    );
    const http = results.baselines.http;
    lines.push(
      `**Acceptance**: POST /pedidos answered at best ${formatNumber(fastestApi.acceptance.rate)} 202/s (${workersText(fastestApi.workers)}, ${paymentLabel(fastestApi.payment)}; p50 ${formatMs(fastestApi.acceptance.latencyMs.p50)} ms, p99 ${formatMs(fastestApi.acceptance.latencyMs.p99)} ms) = ${formatRatio(ratio(fastestApi.acceptance.rate, http.rate))} of hello-world with the same client (${formatNumber(http.rate)} req/s): each 202 is a login-checked request, pricing through catalogo and estoque, and a PostgreSQL transaction (order, lines, idempotency key, outbox row), on the same CPU as the workers. ` +
        `Orders are accepted ${formatRatio(ratio(fastestApi.acceptance.rate, fastestApi.completion.rate))} faster than they complete, so under a burst the backlog waits in the queues and the end-to-end time is mostly that wait: all ${fastestApi.orders} orders of a batch arrive at once, and the last one waits for the ones before it.`,
    );
  }
  return lines;
}

/** A reading line as a list item; a line indented by two spaces is nested under the one before. */
function bullet(line: string): string {
  return line.startsWith('  ') ? `  - ${line.trimStart()}` : `- ${line}`;
}

export function renderTextReport(results: CheckoutAsyncBenchResults): string {
  return [
    textTable(BASELINE_HEADERS, baselineRows(results)),
    renderRunsTable(results.runs),
    ...reading(results).map((line) => bullet(line.replace(/\*\*/g, ''))),
    '',
  ].join('\n');
}

function distributionCells(d: Distribution): string[] {
  return [formatMs(d.p50), formatMs(d.p95), formatMs(d.p99), formatMs(d.max)];
}

export function renderMarkdown(results: CheckoutAsyncBenchResults, charts: readonly ChartFile[]): string {
  const s = results.settings;
  const v = results.versions;
  const lines: string[] = [
    '# Asynchronous checkout: throughput against worker processes',
    '',
    'Generated by `npm run bench:checkout-async` (systems/checkout/async/bench/). The claim under test: ' +
      '"workers are competing consumers: start N of any of them and throughput grows". For each N, N ' +
      'worker processes (`worker-main.ts`, as deployed: step workers and the orchestrator, each consuming ' +
      'all five queues) run on real RabbitMQ and PostgreSQL; K orders are POSTed at once over HTTP to the ' +
      'pedidos async API and followed until every one is terminal. Two baselines are measured in the same ' +
      'run: a hello-world HTTP server with the same client and concurrency, and the raw RabbitMQ round trip ' +
      'of as many messages as the orders move. Raw numbers: [checkout-async.json](checkout-async.json).',
    '',
    `- **Machine:** ${describeMachine(results.machine)}`,
    `- **Versions:** Node ${v.node}, PostgreSQL ${v.postgres}, RabbitMQ ${v.rabbitmq}`,
    `- **Run:** ${s.quick ? 'quick (smoke) run; ' : ''}workers ${s.workers.join(', ')} with ${paymentLabel(s.payment)}${s.cpuBoundWorkers.length === 0 ? '' : `, and ${s.cpuBoundWorkers.join(', ')} with a 0 ms payment (the CPU-bound ceiling)`}; ${s.orders} orders per batch, ${s.repeat} batch(es) per configuration after ${s.warmupOrders} warm-up orders, ${s.concurrency} POSTs in flight, ${s.customers} customers, 1–2 lines per order (seed ${s.seed}); total ${results.totalSeconds.toFixed(0)} s`,
    `- **Engines:** PostgreSQL ${s.engines.postgres}, RabbitMQ ${s.engines.amqp}${s.defaults.length === 0 ? '' : ` (development defaults: ${s.defaults.join(', ')} unset)`}`,
    ...s.notes.map((note) => `- ${note}`),
    '',
    '## Results',
    '',
    markdownTable(RUN_HEADERS, speedUps(results.runs).map(runCells)),
    '- **202/s**: orders accepted per second, first POST sent → last 202 read; **202 p50/p99**: the POST latency at the client.',
    '- **orders/s**: completion throughput, K ÷ (first POST sent → the last order terminal, its `atualizado_em`). **speed-up**: orders/s ÷ the run with the fewest workers of the same payment setting.',
    "- **e2e**: per order, `data_criacao` (written in the transaction answered with 202) → `atualizado_em` of its terminal state, both from PostgreSQL. All K orders arrive at once, so this includes each order's wait behind the backlog.",
    `- **workers CPU**: all worker processes together, percent of one core (${results.machine.cores} cores = ${results.machine.cores * 100} %), first POST → all terminal; **worker CPU ms/order**: that CPU time ÷ K; **machine CPU**: every process on the machine (/proc/stat); **worker RSS**: the largest peak RSS of one worker.`,
    '',
  ];
  for (const chart of charts)
    lines.push(`![${chart.name}](${chart.png})`, '', `(SVG: [${chart.svg}](${chart.svg}))`, '');
  lines.push(
    '## Baselines (same run, same machine)',
    '',
    markdownTable(BASELINE_HEADERS, baselineRows(results)),
    '',
    '## Reading the numbers',
    '',
    ...reading(results).map(bullet),
    '',
    '## Details per run',
    '',
    markdownTable(
      [
        'workers',
        'payment',
        'start-up s',
        'window s',
        'e2e p50',
        'e2e p95',
        'e2e p99',
        'e2e max',
        'CPU per worker',
        'PostgreSQL CPU',
        'RabbitMQ CPU',
        'bench process CPU',
        'other CPU',
        'batches: orders/s (other CPU)',
        'msgs/order',
        'dead / retrying',
        'statuses',
      ],
      results.runs.map((run) => [
        String(run.workers),
        paymentLabel(run.payment),
        run.startupSeconds.toFixed(1),
        run.windowSeconds.toFixed(1),
        ...distributionCells(run.endToEndMs),
        run.cpu.workers.map(cpu).join(' / '),
        cpu(run.cpu.postgres),
        cpu(run.cpu.rabbitmq),
        cpu(run.cpu.bench),
        cpu(otherCpu(run.cpu)),
        run.repeats.map((r) => `${formatNumber(r.completionRate, 1)} (${cpu(r.otherCpu)})`).join(', '),
        run.messagesPerOrder === null ? '—' : run.messagesPerOrder.toFixed(2),
        `${run.deadLetters} / ${run.retrying}`,
        Object.entries(run.statuses)
          .map(([status, n]) => `${status} ${n}`)
          .join(', '),
      ]),
    ),
    "End-to-end times in ms. PostgreSQL CPU counts every `postgres` process of the machine and RabbitMQ CPU its `beam.smp` (another user of the same servers would show there too); other CPU = machine − workers − benchmark process − PostgreSQL − RabbitMQ, i.e. whatever else ran on the machine. The benchmark process hosts the pedidos API (and its outbox relay) and the HTTP client. msgs/order: the consumers' inbox rows (`mensagens_processadas`, one per message consumed and committed) ÷ every order of the namespace, warm-up included.",
    '',
  );
  return `${lines.join('\n')}\n`;
}

function roundDistribution(d: Distribution): Record<keyof Distribution, number | null> {
  return {
    count: d.count,
    mean: round(d.mean),
    p50: round(d.p50),
    p95: round(d.p95),
    p99: round(d.p99),
    max: round(d.max),
  };
}

/** checkout-async.json: the results with readable precision, and the speed-ups. */
export function toJson(results: CheckoutAsyncBenchResults): unknown {
  const { http, broker } = results.baselines;
  return {
    ...results,
    baselines: {
      http: {
        ...http,
        seconds: round(http.seconds),
        rate: round(http.rate),
        latencyMs: roundDistribution(http.latencyMs),
        serverCpuPercent: round(http.serverCpuPercent, 3),
      },
      broker: {
        ...broker,
        seconds: round(broker.seconds),
        rate: round(broker.rate),
        ordersPerSecondEquivalent: round(broker.rate / MESSAGES_PER_ORDER),
        latencyMs: roundDistribution(broker.latencyMs),
        cpu: { rabbitmq: round(broker.cpu.rabbitmq, 3), bench: round(broker.cpu.bench, 3) },
      },
    },
    runs: speedUps(results.runs).map(({ run, reference, speedUp, efficiency }) => ({
      ...run,
      startupSeconds: round(run.startupSeconds),
      windowSeconds: round(run.windowSeconds),
      acceptance: {
        ...run.acceptance,
        seconds: round(run.acceptance.seconds),
        rate: round(run.acceptance.rate),
        latencyMs: roundDistribution(run.acceptance.latencyMs),
      },
      completion: { seconds: round(run.completion.seconds), rate: round(run.completion.rate) },
      endToEndMs: roundDistribution(run.endToEndMs),
      messagesPerOrder: round(run.messagesPerOrder),
      cpu: {
        workers: run.cpu.workers.map((x) => round(x, 3)),
        workersTotal: round(run.cpu.workersTotal, 3),
        bench: round(run.cpu.bench, 3),
        postgres: round(run.cpu.postgres, 3),
        rabbitmq: round(run.cpu.rabbitmq, 3),
        machine: round(run.cpu.machine, 3),
        other: round(otherCpu(run.cpu), 3),
      },
      workerCpuMsPerOrder: round(workerCpuMsPerOrder(run), 3),
      speedUp: { vsWorkers: reference.workers, ratio: round(speedUp, 3), efficiency: round(efficiency, 3) },
    })),
    totalSeconds: round(results.totalSeconds),
  };
}
