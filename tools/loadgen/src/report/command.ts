/**
 * `npm run report:checkout`: measure (or read saved results), save the results JSON, render the
 * charts and write RELATORIO-checkout.md. The benchmark itself is passed in (report-main.ts wires
 * run.ts and options.ts), so the tests drive this with saved or synthetic results.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import {
  outputDirectory,
  REPOSITORY_ROOT,
  writeCharts,
  type BenchLog,
  type ChartFile,
} from '@dslab/bench-kit';
import type { CheckoutBenchResults } from '../results.js';
import { reportCharts } from './charts.js';
import { renderReport, type ReportPaths } from './markdown.js';

export const DEFAULT_RESULTS_FILE = 'docs/benchmarks/checkout/checkout.json';
export const DEFAULT_REPORT_FILE = 'docs/RELATORIO-checkout.md';
export const DEFAULT_CHARTS_DIR = 'docs/relatorio-checkout';
/** The results file's name inside the benchmark's output folder (`--out`). */
export const RESULTS_FILE_NAME = 'checkout.json';

export const REPORT_HELP = `npm run report:checkout -- [report options] [benchmark options]

Writes ${DEFAULT_REPORT_FILE} (the seed's report, in Portuguese) and its charts in
${DEFAULT_CHARTS_DIR}/. Without --from it first runs the benchmark (the options below the report's
are npm run bench:checkout's, forwarded as given) and saves the results in <out>/${RESULTS_FILE_NAME}
(default ${DEFAULT_RESULTS_FILE}); with --from it only re-renders saved results.

  --from FILE        re-render from saved results (e.g. ${DEFAULT_RESULTS_FILE}); no measuring
  --out-md FILE      the report's Markdown file (${DEFAULT_REPORT_FILE})
  --charts-dir DIR   the charts' folder (${DEFAULT_CHARTS_DIR})
  --help

Relative paths are taken from the repository root.`;

export interface ReportArguments {
  readonly help: boolean;
  /** Saved results to re-render, or null to measure first. */
  readonly from: string | null;
  readonly outMd: string;
  readonly chartsDir: string;
  /** Everything else: the benchmark's options. */
  readonly benchArgv: readonly string[];
}

/** Takes the report's own options out of argv (pure); the rest is the benchmark's. */
export function parseReportArguments(argv: readonly string[]): ReportArguments {
  let from: string | null = null;
  let outMd = DEFAULT_REPORT_FILE;
  let chartsDir = DEFAULT_CHARTS_DIR;
  let help = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    const value = () => {
      const text = argv[++i];
      if (text === undefined || text === '' || text.startsWith('--')) throw new Error(`${flag} needs a path`);
      return text;
    };
    if (flag === '--from') from = value();
    else if (flag === '--out-md') outMd = value();
    else if (flag === '--charts-dir') chartsDir = value();
    else if (flag === '--help') help = true;
    else rest.push(flag);
  }
  if (from !== null && rest.length > 0)
    throw new Error(
      `--from re-renders saved results: benchmark options make no sense with it (got ${rest.join(' ')})`,
    );
  return { help, from, outMd, chartsDir, benchArgv: rest };
}

/** Reads a results file, refusing anything that is not version 1 of CheckoutBenchResults. */
export function readResults(file: string): CheckoutBenchResults {
  const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<CheckoutBenchResults> | null;
  if (data?.version !== 1 || !Array.isArray(data.transports) || data.settings === undefined)
    throw new Error(`${file} is not the results of npm run bench:checkout (version 1)`);
  return data as CheckoutBenchResults;
}

export function saveResults(file: string, results: CheckoutBenchResults): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

/** The files reportCharts can make (and the only ones writeReport ever removes). */
const REPORT_CHART_FILE =
  /^(latencia-vs-carga|vazao-vs-carga|modelo-fechado|cpu-por-processo|memoria-por-processo|falha-\d+-[a-z0-9-]+)\.(svg|png)$/;

/** A path from `from` (a folder) to `to`, with forward slashes, as Markdown links want it. */
function linkPath(from: string, to: string): string {
  const path = relative(from, to).split(sep).join('/');
  return path === '' ? '.' : path;
}

/**
 * Renders every chart into `chartsDir` (removing the SVG/PNG files an earlier run left there that
 * this one no longer makes) and writes the Markdown. A chart that fails to render is logged and
 * the report says so in its place, rather than losing the text.
 */
export async function writeReport(options: {
  results: CheckoutBenchResults;
  resultsFile: string;
  outMd: string;
  chartsDir: string;
  log: BenchLog;
}): Promise<{ markdown: string; charts: ChartFile[]; files: string[] }> {
  const outMd = resolve(REPOSITORY_ROOT, options.outMd);
  const chartsDir = resolve(REPOSITORY_ROOT, options.chartsDir);
  const resultsFile = resolve(REPOSITORY_ROOT, options.resultsFile);
  mkdirSync(chartsDir, { recursive: true });
  mkdirSync(dirname(outMd), { recursive: true });
  const specs = reportCharts(options.results);
  const keep = new Set(specs.flatMap((c) => [`${c.file}.svg`, `${c.file}.png`]));
  for (const file of readdirSync(chartsDir))
    if (REPORT_CHART_FILE.test(file) && !keep.has(file)) {
      rmSync(join(chartsDir, file));
      options.log(`removed ${join(chartsDir, file)} (not made by this run)`);
    }
  let charts: ChartFile[] = [];
  try {
    charts = await writeCharts(chartsDir, specs);
  } catch (error) {
    options.log(`charts not rendered: ${error instanceof Error ? error.message : String(error)}`);
  }
  const folder = dirname(outMd);
  const paths: ReportPaths = {
    charts: linkPath(folder, chartsDir),
    docs: linkPath(folder, join(REPOSITORY_ROOT, 'docs')),
    results: linkPath(folder, resultsFile),
    resultsFromRoot: linkPath(REPOSITORY_ROOT, resultsFile),
  };
  const markdown = renderReport(options.results, charts, paths);
  writeFileSync(outMd, markdown);
  return {
    markdown,
    charts,
    files: [outMd, ...charts.flatMap((c) => [join(chartsDir, c.svg), join(chartsDir, c.png)])],
  };
}

/** The benchmark the report runs when not given --from (run.ts and options.ts in production). */
export interface CheckoutBench<Options extends { readonly outDir: string }> {
  parseOptions(argv: readonly string[]): Options;
  run(options: Options, log: BenchLog): Promise<CheckoutBenchResults>;
  readonly help: string;
}

/**
 * The whole command: --help; or measure (unless --from), save the results, write the report.
 * Returns the files written.
 */
export async function reportCommand<Options extends { readonly outDir: string }>(
  argv: readonly string[],
  bench: CheckoutBench<Options>,
  log: BenchLog,
  print: (text: string) => void = (text) => process.stdout.write(text),
): Promise<string[]> {
  const args = parseReportArguments(argv);
  if (args.help) {
    print(`${REPORT_HELP}\n\nBenchmark options:\n\n${bench.help}\n`);
    return [];
  }
  let results: CheckoutBenchResults;
  let resultsFile: string;
  const written: string[] = [];
  if (args.from !== null) {
    resultsFile = resolve(REPOSITORY_ROOT, args.from);
    results = readResults(resultsFile);
    log(`re-rendering ${resultsFile} (measured ${results.generatedAt})`);
  } else {
    // Parse before measuring: a bad option fails now, not after the run.
    const options = bench.parseOptions(args.benchArgv);
    resultsFile = join(outputDirectory(options.outDir), RESULTS_FILE_NAME);
    results = await bench.run(options, log);
    saveResults(resultsFile, results);
    written.push(resultsFile);
  }
  const { files } = await writeReport({
    results,
    resultsFile,
    outMd: args.outMd,
    chartsDir: args.chartsDir,
    log,
  });
  return [...written, ...files];
}
