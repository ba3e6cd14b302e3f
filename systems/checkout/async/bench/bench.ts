/**
 * `npm run bench:checkout-async`: does the asynchronous checkout's throughput grow with worker
 * processes? N = 1, 2, 4 workers (worker-main.ts) on real RabbitMQ and PostgreSQL, K orders
 * POSTed at once, acceptance and completion rates, end-to-end percentiles, CPU and memory, and
 * the speed-up against N=1; baselines in the same run (hello-world HTTP, the raw RabbitMQ round
 * trip). Writes docs/benchmarks/checkout-async.json, .md and the charts. Options: `--help`.
 */
import { HELP, parseOptions } from './options.js';
import { runAndSave } from './run.js';

function log(text: string): void {
  process.stderr.write(`[bench:checkout-async] ${text}\n`);
}

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  process.stdout.write(`${HELP}\n`);
} else {
  try {
    const options = parseOptions(argv);
    const { files, text } = await runAndSave(options, log);
    process.stdout.write(`\n${text}\n`);
    for (const file of files) log(`wrote ${file}`);
  } catch (error) {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  }
}
