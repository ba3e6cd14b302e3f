/**
 * `npm run bench:checkout`: the checkout's load test over gRPC, REST and the asynchronous saga
 * (see options.ts for the command line, run.ts for what one run does). Writes
 * <out>/checkout.json (every figure), checkout.md (the summary) and the charts.
 */
import { benchMain, type Bench } from '@dslab/bench-kit';
import { HELP, parseBenchOptions, type CheckoutBenchOptions } from './options.js';
import { reportCharts } from './report/charts.js';
import type { CheckoutBenchResults } from './results.js';
import { runCheckoutBench } from './run.js';
import { renderSummaryMarkdown, renderSummaryText } from './summary.js';

export const CHECKOUT_BENCH: Bench<CheckoutBenchOptions, CheckoutBenchResults> = {
  script: 'bench:checkout',
  help: HELP,
  parseOptions: parseBenchOptions,
  run: runCheckoutBench,
  report: {
    name: 'checkout',
    json: (results) => results,
    charts: reportCharts,
    markdown: renderSummaryMarkdown,
    text: renderSummaryText,
  },
};

await benchMain(CHECKOUT_BENCH);
