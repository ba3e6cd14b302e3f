/**
 * What every `npm run bench:*` does around its measuring: --help, parsing the command line,
 * running, saving the report (`<name>.json`, `<name>.md`, the charts), printing the summary and
 * the files written, and turning a failure into exit code 1.
 */
import type { Chart, ChartFile } from './charts.js';
import { saveReport } from './output.js';

/** Where a benchmark says what it is doing (stderr, prefixed with its script's name). */
export type BenchLog = (text: string) => void;

/** How one benchmark's results become its report (pure functions of the results). */
export interface BenchReport<Results> {
  /** The files' name: `<name>.json`, `<name>.md`. */
  readonly name: string;
  json(results: Results): unknown;
  charts(results: Results): readonly Chart[];
  markdown(results: Results, charts: readonly ChartFile[]): string;
  /** The summary printed on stdout. */
  text(results: Results): string;
}

/** A benchmark: its command line, its measuring, its report. */
export interface Bench<Options extends { readonly outDir: string }, Results> {
  /** The npm script, e.g. "bench:kv": the prefix of its log lines. */
  readonly script: string;
  readonly help: string;
  /** argv without node and the script; throws on an unknown or bad option. */
  parseOptions(argv: readonly string[]): Options;
  run(options: Options, log: BenchLog): Promise<Results>;
  readonly report: BenchReport<Results>;
}

/**
 * Writes the report of `results` into `outDir`; a chart that fails to render is logged and left
 * out rather than losing the run's figures.
 */
export async function saveBenchReport<Results>(
  report: BenchReport<Results>,
  results: Results,
  outDir: string,
  log: BenchLog,
): Promise<{ files: string[]; text: string }> {
  const { files } = await saveReport({
    outDir,
    name: report.name,
    json: report.json(results),
    charts: report.charts(results),
    markdown: (charts) => report.markdown(results, charts),
    onChartError: (error) => log(`chart not rendered: ${String(error)}`),
  });
  return { files, text: report.text(results) };
}

/** Runs the benchmark and writes its report into `options.outDir`. */
export async function runAndSave<Options extends { readonly outDir: string }, Results>(
  bench: Bench<Options, Results>,
  options: Options,
  log: BenchLog,
): Promise<{ results: Results; files: string[]; text: string }> {
  const results = await bench.run(options, log);
  return { results, ...(await saveBenchReport(bench.report, results, options.outDir, log)) };
}

/** The command line of a benchmark: `--help`, or run and save, printing the summary on stdout. */
export async function benchMain<Options extends { readonly outDir: string }, Results>(
  bench: Bench<Options, Results>,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  const log: BenchLog = (text) => {
    process.stderr.write(`[${bench.script}] ${text}\n`);
  };
  if (argv.includes('--help')) {
    process.stdout.write(`${bench.help}\n`);
    return;
  }
  let options: Options;
  try {
    options = bench.parseOptions(argv);
  } catch (error) {
    // A bad command line is the user's to fix: the message says what, a stack trace would not.
    const message = error instanceof Error ? error.message : String(error);
    log(message.includes('--help') ? message : `${message} (see --help)`);
    process.exitCode = 1;
    return;
  }
  try {
    const { files, text } = await runAndSave(bench, options, log);
    process.stdout.write(`\n${text}\n`);
    for (const file of files) log(`wrote ${file}`);
  } catch (error) {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  }
}
