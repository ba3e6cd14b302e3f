/**
 * `npm run bench:kv`: the KV API against two baselines measured in the same run on this machine,
 * redis-benchmark's raw GET and a hello-world Fastify server. Measures GET (cache hit) through
 * the API, the PUT acceptance rate and the consumer's apply rate; writes docs/benchmarks/kv.json,
 * kv.md and a chart. Options: `--help`.
 */
import { HELP, parseOptions } from './options.js';
import { runAndSave } from './run.js';

function log(text: string): void {
  process.stderr.write(`[bench:kv] ${text}\n`);
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
