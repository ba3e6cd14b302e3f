/**
 * The resources of one phase: every `intervalMs`, the CPU and resident memory of each process of
 * the system under test (by name, from /proc), the engines' and the whole machine's CPU
 * (bench-kit's machine.ts) and the load generator's own (process.cpuUsage). CPU is a delta between
 * two samples, so a sample stands for the interval that ends at its `t`; a process that was down,
 * or whose pid changed (a restart), has no delta for that interval: null, never a negative figure.
 */
import { cpuBetween, cpuSnapshot, readCpuSeconds, readRssBytes, type CpuSnapshot } from '@dslab/bench-kit';
import type { ProcessSample, ResourceSample, ResourceSeries, ResourceSummary } from './results.js';

/** What the sampler watches: each process's name and current pid (undefined while it is down). */
export interface WatchedProcess {
  readonly name: string;
  readonly pid: number | undefined;
}

export interface ResourceSamplerOptions {
  /** Asked at every sample: the processes and their pids now (a restart changes a pid). */
  readonly processes: () => readonly WatchedProcess[];
  /** performance.now() the samples' `t` is measured from (the phase's first send). */
  readonly startedAt: number;
  /** Default 500 ms. */
  readonly intervalMs?: number;
}

export interface ResourceSampler {
  /** Takes a last sample (unless the previous one is less than half an interval old) and stops. */
  stop(): ResourceSeries;
}

/** The names the summary gives the engines, the machine and the load generator (CPU only). */
const OTHERS = ['postgres', 'rabbitmq', 'machine', 'loadgen'] as const;

/** Where one process was at the previous sample: which pid, and its CPU seconds then. */
interface Previous {
  readonly pid: number;
  readonly cpuSeconds: number | undefined;
}

/**
 * CPU in percent of one core from two readings of the same pid `seconds` apart; null when either
 * reading is missing, the pid changed, or the clock did not move. A counter that went backwards
 * (it cannot, for one pid) is null too rather than a negative figure.
 */
export function cpuPercentBetween(
  previous: Previous | undefined,
  pid: number | undefined,
  cpuSeconds: number | undefined,
  seconds: number,
): number | null {
  if (previous === undefined || pid === undefined || previous.pid !== pid) return null;
  if (previous.cpuSeconds === undefined || cpuSeconds === undefined || seconds <= 0) return null;
  const used = cpuSeconds - previous.cpuSeconds;
  return used < 0 ? null : (100 * used) / seconds;
}

/**
 * Mean and maximum CPU and the largest RSS of every name in `samples`, plus the engines, the
 * machine and the load generator (CPU only). The mean is weighted by each sample's interval (the
 * time since the previous sample, the first one since `firstT`), so a short last interval counts
 * for what it lasted; samples whose figure is null are left out of it.
 */
export function summarizeResources(
  samples: readonly ResourceSample[],
  firstT: number,
): Record<string, ResourceSummary> {
  const cpu = new Map<string, { weighted: number; seconds: number; max: number }>();
  const rss = new Map<string, number>();
  const names = new Set<string>();
  const addCpu = (name: string, value: number | null, seconds: number) => {
    if (value === null || seconds <= 0) return;
    const sum = cpu.get(name) ?? { weighted: 0, seconds: 0, max: 0 };
    cpu.set(name, {
      weighted: sum.weighted + value * seconds,
      seconds: sum.seconds + seconds,
      max: Math.max(sum.max, value),
    });
  };
  let lastT = firstT;
  for (const sample of samples) {
    const seconds = sample.t - lastT;
    lastT = sample.t;
    for (const [name, { cpuPercent, rssBytes }] of Object.entries(sample.processes)) {
      names.add(name);
      addCpu(name, cpuPercent, seconds);
      if (rssBytes !== null) rss.set(name, Math.max(rss.get(name) ?? 0, rssBytes));
    }
    for (const name of OTHERS) addCpu(name, sample[name], seconds);
  }
  const summary: Record<string, ResourceSummary> = {};
  for (const name of [...names, ...OTHERS]) {
    const c = cpu.get(name);
    summary[name] = {
      cpuMeanPercent: c === undefined ? null : c.weighted / c.seconds,
      cpuMaxPercent: c === undefined ? null : c.max,
      rssMaxBytes: rss.get(name) ?? null,
    };
  }
  return summary;
}

/** Starts sampling at once (the first reading is the baseline of the first interval, not a sample). */
export function startResourceSampler(options: ResourceSamplerOptions): ResourceSampler {
  const intervalMs = options.intervalMs ?? 500;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0)
    throw new RangeError(`intervalMs must be a positive number, got ${intervalMs}`);
  const seconds = (at: number) => (at - options.startedAt) / 1000;

  const samples: ResourceSample[] = [];
  const previous = new Map<string, Previous>();
  let lastAt = performance.now();
  let lastEngines: CpuSnapshot = cpuSnapshot();
  let lastSelf = process.cpuUsage();
  const firstT = seconds(lastAt);

  /** Reads every process's CPU seconds and remembers them: the baseline of the next interval. */
  function read(): Map<string, { pid: number | undefined; cpuSeconds: number | undefined }> {
    const readings = new Map<string, { pid: number | undefined; cpuSeconds: number | undefined }>();
    for (const { name, pid } of options.processes())
      readings.set(name, { pid, cpuSeconds: pid === undefined ? undefined : readCpuSeconds(pid) });
    return readings;
  }

  function remember(readings: ReturnType<typeof read>): void {
    previous.clear();
    for (const [name, { pid, cpuSeconds }] of readings)
      if (pid !== undefined) previous.set(name, { pid, cpuSeconds });
  }

  function sample(): void {
    const readings = read();
    const at = performance.now();
    const elapsed = (at - lastAt) / 1000;
    const processes: Record<string, ProcessSample> = {};
    for (const [name, { pid, cpuSeconds }] of readings) {
      const rss = pid === undefined ? undefined : readRssBytes(pid);
      processes[name] = {
        cpuPercent: cpuPercentBetween(previous.get(name), pid, cpuSeconds, elapsed),
        // A pid that exited (a zombie until it is reaped) has no VmRSS: null, like a process that is down.
        rssBytes: rss ?? null,
      };
    }
    const engines = cpuSnapshot();
    const { machine, postgres, rabbitmq } = cpuBetween(lastEngines, engines);
    const self = process.cpuUsage(lastSelf);
    samples.push({
      t: seconds(at),
      processes,
      postgres: nonNegative(postgres),
      rabbitmq: nonNegative(rabbitmq),
      machine: nonNegative(machine),
      loadgen: elapsed > 0 ? (100 * (self.user + self.system)) / 1e6 / elapsed : null,
    });
    remember(readings);
    lastAt = at;
    lastEngines = engines;
    lastSelf = process.cpuUsage();
  }

  remember(read());
  const timer = setInterval(sample, intervalMs);
  // A forgotten sampler must not keep the load generator alive.
  timer.unref();
  let stopped: ResourceSeries | undefined;

  return {
    stop() {
      if (stopped !== undefined) return stopped;
      clearInterval(timer);
      if (performance.now() - lastAt >= intervalMs / 2) sample();
      stopped = { intervalMs, samples, summary: summarizeResources(samples, firstT) };
      return stopped;
    },
  };
}

/**
 * The engines' CPU sums every process of that name: one that exits between two readings takes its
 * seconds away (its parent's children's time gets them only once it is reaped), which can make a
 * difference negative. Such an interval says nothing reliable: null.
 */
function nonNegative(value: number | null): number | null {
  return value === null || value < 0 ? null : value;
}
