/** Saving a benchmark's results: the machine they were measured on, and the files of the report. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeCharts, type Chart, type ChartFile } from './charts.js';

/** The folder the benchmarks' relative output paths (e.g. docs/benchmarks) are taken from. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** What a figure was measured on: every report shows it next to the numbers. */
export interface MachineInfo {
  node: string;
  cpuModel: string;
  cores: number;
  /** Rounded to 0.1 GiB. */
  totalMemoryGiB: number;
  platform: string;
  /** 1, 5 and 15 minutes, rounded to 0.01: how busy the machine already was. */
  loadAverageAtStart: number[];
  /** ISO-8601 UTC, when the run started. */
  date: string;
}

/** This machine, now (call it when the run starts). */
export function machineInfo(): MachineInfo {
  return {
    node: process.version,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    date: new Date().toISOString(),
  };
}

/** `outDir` as an absolute path (a relative one is taken from the repository root), created if missing. */
export function outputDirectory(outDir: string): string {
  const absolute = resolve(REPOSITORY_ROOT, outDir);
  mkdirSync(absolute, { recursive: true });
  return absolute;
}

/**
 * Writes a report into `outDir`: the charts (SVG + PNG), `<name>.json` (pretty-printed) and
 * `<name>.md`, whose text is made once the charts' file names are known.
 */
export async function saveReport(options: {
  outDir: string;
  name: string;
  json: unknown;
  charts: readonly Chart[];
  markdown: (charts: readonly ChartFile[]) => string;
  /** Without it a chart that fails to render fails the save; with it the report is written without charts. */
  onChartError?: (error: unknown) => void;
}): Promise<{ outDir: string; files: string[]; charts: ChartFile[] }> {
  const outDir = outputDirectory(options.outDir);
  let charts: ChartFile[] = [];
  if (options.onChartError === undefined) charts = await writeCharts(outDir, options.charts);
  else {
    try {
      charts = await writeCharts(outDir, options.charts);
    } catch (error) {
      options.onChartError(error);
    }
  }
  const json = join(outDir, `${options.name}.json`);
  const markdown = join(outDir, `${options.name}.md`);
  writeFileSync(json, `${JSON.stringify(options.json, null, 2)}\n`);
  writeFileSync(markdown, options.markdown(charts));
  return {
    outDir,
    files: [json, markdown, ...charts.flatMap((c) => [join(outDir, c.svg), join(outDir, c.png)])],
    charts,
  };
}

/** One line for a report: "AMD EPYC, 2 cores, 23.5 GiB, linux x64, Node v20.20.2; load average at start …; date". */
export function describeMachine(machine: MachineInfo): string {
  const load = machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(' / ');
  return `${machine.cpuModel}, ${String(machine.cores)} cores, ${machine.totalMemoryGiB.toFixed(1)} GiB, ${machine.platform}, Node ${machine.node}; load average at start ${load}; ${machine.date}`;
}
