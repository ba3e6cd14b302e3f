/**
 * `npm run report:checkout`: the comparative report of seed 003 §6 (docs/RELATORIO-checkout.md and
 * its charts in docs/relatorio-checkout/). Without --from it first runs the benchmark (the same
 * options as `npm run bench:checkout`) and saves its results; with --from it re-renders saved
 * results only. Options: `--help`.
 */
import type { BenchLog } from '@dslab/bench-kit';
import { HELP, parseBenchOptions } from './options.js';
import { parseReportArguments, reportCommand } from './report/command.js';
import { runCheckoutBench } from './run.js';

const log: BenchLog = (text) => {
  process.stderr.write(`[report:checkout] ${text}\n`);
};

// A bad command line is the user's to fix: its message, without a stack trace, before anything runs.
try {
  const args = parseReportArguments(process.argv.slice(2));
  if (!args.help && args.from === null) parseBenchOptions(args.benchArgv);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  log(message.includes('--help') ? message : `${message} (see --help)`);
  process.exit(1);
}

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
