/**
 * `npm run report:checkout`: the comparative report of seed 003 §6 (docs/RELATORIO-checkout.md and
 * its charts in docs/relatorio-checkout/). Without --from it first runs the benchmark (the same
 * options as `npm run bench:checkout`) and saves its results; with --from it re-renders saved
 * results only. Options: `--help`.
 */
import type { BenchLog } from '@dslab/bench-kit';
import { HELP, parseBenchOptions } from './options.js';
import { reportCommand } from './report/command.js';
import { runCheckoutBench } from './run.js';

const log: BenchLog = (text) => {
  process.stderr.write(`[report:checkout] ${text}\n`);
};

try {
  const files = await reportCommand(
    process.argv.slice(2),
    { parseOptions: parseBenchOptions, run: runCheckoutBench, help: HELP },
    log,
  );
  for (const file of files) log(`wrote ${file}`);
} catch (error) {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exitCode = 1;
}
