/**
 * The short summary of a `npm run bench:checkout` run: one table of the headline figures per
 * transport (printed on stdout, and the head of <out>/checkout.md). The full comparative report
 * is `npm run report:checkout` (docs/RELATORIO-checkout.md); both read the same analysis.
 */
import {
  describeMachine,
  formatMs,
  formatNumber,
  markdownTable,
  textTable,
  type ChartFile,
} from '@dslab/bench-kit';
import { analyzeResults, type TransportFigures } from './report/analysis.js';
import type { CheckoutBenchResults } from './results.js';

const HEADERS = [
  'transport',
  'p50 / p99 at the lowest rate (ms)',
  'knee (orders/s)',
  'peak throughput (orders/s)',
  'closed: best throughput (orders/s)',
  'errors during faults',
  'audit violations',
] as const;

function rowOf(figures: TransportFigures): string[] {
  const low = figures.lowLoad?.latency ?? null;
  const bestClosed = figures.closed.reduce((best, c) => Math.max(best, c.throughput), 0);
  const faultErrors = figures.faults.map((f) => `${f.label}: ${f.errors}`).join('; ');
  return [
    figures.transport,
    low === null ? '—' : `${formatMs(low.p50)} / ${formatMs(low.p99)}`,
    figures.kneeRate === null ? 'none' : formatNumber(figures.kneeRate),
    formatNumber(figures.peak?.throughput ?? null, 1),
    formatNumber(figures.closed.length === 0 ? null : bestClosed, 1),
    faultErrors === '' ? '—' : faultErrors,
    String(figures.audit.violations + figures.audit.unsettled),
  ];
}

export function renderSummaryText(results: CheckoutBenchResults): string {
  const analysis = analyzeResults(results);
  return [
    textTable(HEADERS, analysis.transports.map(rowOf)),
    '',
    `Baseline (hello-world, same client): ${formatNumber(results.baseline.rate)} req/s, p99 ${formatMs(results.baseline.p99Ms)} ms.`,
    'The comparative report: npm run report:checkout -- --from <out>/checkout.json',
  ].join('\n');
}

export function renderSummaryMarkdown(results: CheckoutBenchResults, charts: readonly ChartFile[]): string {
  const analysis = analyzeResults(results);
  return [
    '# Checkout load test (`npm run bench:checkout`)',
    '',
    `${describeMachine(results.machine)}; Node ${results.versions.node}, PostgreSQL ${results.versions.postgres}, RabbitMQ ${results.versions.rabbitmq}; ${results.generatedAt}.`,
    '',
    markdownTable(HEADERS, analysis.transports.map(rowOf)),
    '',
    `Baseline: the same HTTP client against a hello-world server, ${formatNumber(results.baseline.rate)} req/s, p99 ${formatMs(results.baseline.p99Ms)} ms.`,
    '',
    'Every figure, the HDR histograms, the per-second timelines and the resource samples are in `checkout.json`; the comparative report built from it is [docs/RELATORIO-checkout.md](../../RELATORIO-checkout.md).',
    '',
    ...charts.map((chart) => `![${chart.name}](${chart.svg})`),
    '',
  ].join('\n');
}
