/** Child processes of a benchmark: starting them, and reading their memory, CPU and connections from /proc. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { waitUntilHealthy } from '@dslab/testing';

/**
 * The environment a benchmark's child processes inherit: `environment` (the caller's, read in its
 * config module) minus the settings the benchmark decides itself, so a stray DATABASE_URL or
 * NODE_OPTIONS in the shell cannot change what is measured.
 */
export function environmentWithout(
  environment: NodeJS.ProcessEnv,
  decidedByTheBenchmark: ReadonlySet<string>,
): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(environment).filter(([key]) => !decidedByTheBenchmark.has(key)));
}

/** A service started by a benchmark as its own Node process (`startNodeService`). */
export interface BenchProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  /** The last `bytes` of everything the process printed (stdout and stderr go to `logFile`). */
  tail(bytes?: number): string;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGTERM (graceful shutdown: a --cpu-prof profile is written) and wait for exit. */
  stop(): Promise<void>;
}

/**
 * `node [nodeArgs] --import tsx entry` with stdout/stderr written to a file (never to a pipe:
 * a synchronous write to a full pipe would stall the service and skew the numbers), then
 * waits until GET {url}/health answers 200.
 */
export async function startNodeService(options: {
  name: string;
  entry: string;
  port: number;
  /** The whole environment of the child (nothing else is inherited). */
  env: NodeJS.ProcessEnv;
  logFile: string;
  nodeArgs?: string[];
  timeoutMs?: number;
}): Promise<BenchProcess> {
  const fd = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', options.entry], {
    env: options.env,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  const tail = (bytes = 4000) => {
    try {
      const text = readFileSync(options.logFile, 'utf8');
      return text.slice(-bytes);
    } catch {
      return '';
    }
  };
  const url = `http://127.0.0.1:${options.port}`;
  await waitUntilHealthy({
    child,
    url,
    name: options.name,
    output: () => tail(),
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  if (child.pid === undefined) throw new Error(`${options.name} has no pid`);
  return {
    name: options.name,
    child,
    pid: child.pid,
    url,
    port: options.port,
    tail,
    output: () => {
      try {
        return readFileSync(options.logFile, 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status), or undefined. */
export function readRssBytes(pid: number): number | undefined {
  try {
    return parseVmRss(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function parseVmRss(status: string): number | undefined {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
}

/** CPU time (user + system) a process has used so far, in seconds, from /proc/<pid>/stat. */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    return parseProcStatCpu(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ; 100 on every mainstream Linux). */
const CLOCK_TICKS = 100;

export function parseProcStatCpu(stat: string): number | undefined {
  // The command name (field 2) is in parentheses and may contain spaces: split after it.
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // After the name: state is field 3, utime field 14, stime field 15 → indices 11 and 12 here.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / CLOCK_TICKS;
}

export interface TcpRow {
  localPort: number;
  remotePort: number;
  /** Kernel state in hex: 01 is ESTABLISHED. */
  state: string;
  inode: number;
}

/** Rows of /proc/net/tcp (IPv4 sockets): ports, state and socket inode. */
export function parseProcNetTcp(text: string): TcpRow[] {
  const rows: TcpRow[] = [];
  for (const line of text.split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10) continue;
    rows.push({
      localPort: Number.parseInt((cols[1] ?? '').split(':')[1] ?? '', 16),
      remotePort: Number.parseInt((cols[2] ?? '').split(':')[1] ?? '', 16),
      state: cols[3] ?? '',
      inode: Number(cols[9]),
    });
  }
  return rows;
}

/** Socket inodes a process holds open (from the "socket:[inode]" links in /proc/<pid>/fd). */
function socketInodes(pid: number): Set<number> {
  const inodes = new Set<number>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match?.[1] !== undefined) inodes.add(Number(match[1]));
      } catch {
        // the descriptor closed meanwhile
      }
    }
  } catch {
    // the process is gone
  }
  return inodes;
}

/**
 * The ESTABLISHED TCP connections process `pid` has open to `remotePort` on this machine,
 * as their local (client) ports: how many connections a client keeps to a server.
 */
export function clientConnectionPorts(pid: number, remotePort: number): number[] {
  let rows: TcpRow[];
  try {
    rows = parseProcNetTcp(readFileSync('/proc/net/tcp', 'utf8'));
  } catch {
    return [];
  }
  const mine = socketInodes(pid);
  return rows
    .filter((row) => row.state === '01' && row.remotePort === remotePort && mine.has(row.inode))
    .map((row) => row.localPort);
}

export interface ProcessUsage {
  idleRssBytes: number | undefined;
  maxRssBytes: number | undefined;
  /** CPU use over the window, in percent of one core (200 % = both cores of this machine). */
  cpuPercent: number | undefined;
}

/**
 * Samples RSS of some processes every `intervalMs` while a scenario runs, plus CPU time at the
 * start and end, and (optionally) the connections one process keeps open to a port.
 */
export function startSampler(
  processes: readonly { name: string; pid: number }[],
  options: { intervalMs?: number; watch?: { pid: number; remotePort: number } } = {},
) {
  const started = performance.now();
  const cpuStart = new Map(processes.map((p) => [p.name, readCpuSeconds(p.pid)]));
  const selfCpuStart = process.cpuUsage();
  const idle = new Map(processes.map((p) => [p.name, readRssBytes(p.pid)]));
  const max = new Map<string, number>();
  const ports = new Set<number>();
  let maxConnections = 0;
  const sample = () => {
    for (const p of processes) {
      const rss = readRssBytes(p.pid);
      if (rss !== undefined) max.set(p.name, Math.max(max.get(p.name) ?? 0, rss));
    }
    if (options.watch !== undefined) {
      // /proc/net/tcp is not read atomically: a row may show up twice, so count distinct ports.
      const remote = new Set(clientConnectionPorts(options.watch.pid, options.watch.remotePort));
      maxConnections = Math.max(maxConnections, remote.size);
      for (const port of remote) ports.add(port);
    }
  };
  sample();
  const timer = setInterval(sample, options.intervalMs ?? 200);
  return {
    stop(): {
      usage: Record<string, ProcessUsage>;
      benchCpuPercent: number;
      connections: { max: number; clientPorts: Set<number> } | undefined;
    } {
      clearInterval(timer);
      sample();
      const seconds = (performance.now() - started) / 1000;
      const usage: Record<string, ProcessUsage> = {};
      for (const p of processes) {
        const before = cpuStart.get(p.name);
        const after = readCpuSeconds(p.pid);
        usage[p.name] = {
          idleRssBytes: idle.get(p.name),
          maxRssBytes: max.get(p.name),
          cpuPercent:
            before === undefined || after === undefined || seconds === 0
              ? undefined
              : (100 * (after - before)) / seconds,
        };
      }
      const self = process.cpuUsage(selfCpuStart);
      return {
        usage,
        benchCpuPercent: seconds === 0 ? 0 : (100 * (self.user + self.system)) / 1e6 / seconds,
        connections: options.watch === undefined ? undefined : { max: maxConnections, clientPorts: ports },
      };
    },
  };
}

export type SamplerReport = ReturnType<ReturnType<typeof startSampler>['stop']>;

/** Runs `work` while `startSampler` watches `processes`; returns its result with what was sampled. */
export async function sampleWhile<T>(
  processes: readonly { name: string; pid: number }[],
  work: () => Promise<T>,
  options: Parameters<typeof startSampler>[1] = {},
): Promise<SamplerReport & { result: T }> {
  const sampler = startSampler(processes, options);
  let result: T;
  try {
    result = await work();
  } catch (error) {
    // A sampler left running would keep the process alive after the failure is reported.
    sampler.stop();
    throw error;
  }
  return { ...sampler.stop(), result };
}

/**
 * WARNING/ERROR lines of a service's log (the seed's line format), counted by message with
 * numbers replaced by N, e.g. "WARNING Falha ao publicar o evento … N: no answer within N ms".
 */
export function countWarnings(logText: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const line = /^(WARNING|ERROR|CRITICAL):\S+?Z:[^:]+:(.*?)(?: \[trace=[0-9a-f]+\])?$/;
  for (const text of logText.split('\n')) {
    const match = line.exec(text);
    if (match === null) continue;
    const key = `${match[1] ?? ''} ${(match[2] ?? '').replace(/\d+/g, 'N').slice(0, 160)}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
