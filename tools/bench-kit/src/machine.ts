/**
 * CPU of what bench-kit's per-process sampler does not see: the whole machine (/proc/stat) and
 * the engines (every `postgres` process, RabbitMQ's `beam.smp`), read at the start and the end of
 * a window. Parsers are pure; the readers return undefined where /proc is not there.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** Clock ticks per second of /proc (USER_HZ; 100 on every mainstream Linux). */
const CLOCK_TICKS = 100;

/** Busy and total ticks of every core together, from the first ("cpu ") line of /proc/stat. */
export function parseMachineCpu(stat: string): { busy: number; total: number } | undefined {
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already inside user/nice).
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 5 || fields.some((f) => !Number.isFinite(f))) return undefined;
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * A process's name and CPU time in seconds from /proc/<pid>/stat: user + system, plus the
 * children it waited for (so a PostgreSQL backend that exits moves its time into the
 * postmaster's instead of vanishing).
 */
export function parseProcessTimes(stat: string): { name: string; seconds: number } | undefined {
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const fields = stat
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // After the name: state is field 3; utime, stime, cutime, cstime are fields 14–17.
  const times = fields.slice(11, 15).map(Number);
  if (times.length < 4 || times.some((t) => !Number.isFinite(t))) return undefined;
  return { name: stat.slice(open + 1, close), seconds: times.reduce((a, b) => a + b, 0) / CLOCK_TICKS };
}

export interface CpuSnapshot {
  /** Monotonic ms (performance.now()). */
  at: number;
  machine: { busy: number; total: number } | undefined;
  postgres: number | undefined;
  rabbitmq: number | undefined;
}

/** The engines' processes by their name in /proc/<pid>/stat. */
const ENGINES: Readonly<Record<string, 'postgres' | 'rabbitmq'>> = {
  postgres: 'postgres',
  'beam.smp': 'rabbitmq',
};

export function cpuSnapshot(): CpuSnapshot {
  let machine: CpuSnapshot['machine'];
  try {
    machine = parseMachineCpu(readFileSync('/proc/stat', 'utf8'));
  } catch {
    machine = undefined;
  }
  const seconds = { postgres: 0, rabbitmq: 0 };
  const seen = { postgres: false, rabbitmq: false };
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    // no /proc
  }
  for (const pid of pids) {
    let times: ReturnType<typeof parseProcessTimes>;
    try {
      times = parseProcessTimes(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      continue; // exited meanwhile
    }
    const engine = times === undefined ? undefined : ENGINES[times.name];
    if (times === undefined || engine === undefined) continue;
    seconds[engine] += times.seconds;
    seen[engine] = true;
  }
  return {
    at: performance.now(),
    machine,
    postgres: seen.postgres ? seconds.postgres : undefined,
    rabbitmq: seen.rabbitmq ? seconds.rabbitmq : undefined,
  };
}

/** CPU between two snapshots, in percent of one core (the machine's: of all its cores together × cores). */
export function cpuBetween(
  start: CpuSnapshot,
  end: CpuSnapshot,
  cores = cpus().length,
): { machine: number | null; postgres: number | null; rabbitmq: number | null } {
  const seconds = (end.at - start.at) / 1000;
  const engine = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined || seconds <= 0 ? null : (100 * (b - a)) / seconds;
  const machine =
    start.machine === undefined || end.machine === undefined || end.machine.total <= start.machine.total
      ? null
      : (100 * cores * (end.machine.busy - start.machine.busy)) / (end.machine.total - start.machine.total);
  return {
    machine,
    postgres: engine(start.postgres, end.postgres),
    rabbitmq: engine(start.rabbitmq, end.rabbitmq),
  };
}

/**
 * Waits until the machine is quiet (CPU of every process below `belowPercent` of one core over
 * one `windowMs`), for at most `maxWaitMs`: a benchmark on a shared machine starts each measured
 * batch outside the others' bursts. Answers how long it waited and the last CPU it saw.
 */
export async function waitForQuietMachine(options: {
  belowPercent: number;
  maxWaitMs: number;
  windowMs?: number;
}): Promise<{ waitedSeconds: number; cpuPercent: number | null; quiet: boolean }> {
  const started = performance.now();
  const windowMs = options.windowMs ?? 1000;
  for (;;) {
    const before = cpuSnapshot();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const { machine } = cpuBetween(before, cpuSnapshot());
    const waitedMs = performance.now() - started;
    const quiet = machine === null || machine < options.belowPercent;
    if (quiet || waitedMs >= options.maxWaitMs)
      return { waitedSeconds: waitedMs / 1000, cpuPercent: machine, quiet };
  }
}
