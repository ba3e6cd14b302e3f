/**
 * A launcher of several local processes (`npm run kv`, `npm run checkout`, `npm start`): starts
 * them, echoes their lines, waits until every one is healthy, and owns their end — Ctrl-C stops all
 * of them, a failed start-up stops the rest and shows the failed one's last lines, and a launcher
 * that dies by surprise leaves no server behind on the ports.
 */
import { prefixLine } from './console.js';
import {
  isAlive,
  sleep,
  startProcess,
  waitForHealth,
  type LaunchedProcess,
  type ProcessToLaunch,
} from './child.js';

export interface LaunchOptions {
  readonly processes: readonly ProcessToLaunch[];
  /** Working directory of every process: tsx is resolved from it. */
  readonly cwd: string;
  /** How long every process has to answer its healthUrl (default 60 s). */
  readonly startTimeoutMs?: number;
  /** After SIGTERM, how long a process may take to finish in-flight work before SIGKILL. */
  readonly stopGraceMs: number;
  /** The launcher, in "<name> did not start: …". */
  readonly name: string;
  /** What the processes are called in messages (default: processes, process(es)). */
  readonly noun?: { readonly plural: string; readonly counted: string };
  /** Printed as "SIGINT: <stopNotice>" when a signal stops the launch; nothing when absent. */
  readonly stopNotice?: string;
  /** Width of the name column in front of each line (default: the longest name). */
  readonly nameWidth?: number;
  /**
   * False: the lines are echoed as they are (processes whose log lines already name them).
   * Default true.
   */
  readonly prefixLines?: boolean;
  /** Lines of a failed process's output printed again when the start-up fails (default 30). */
  readonly lastLines?: number;
  /** Once every process is healthy. */
  readonly onReady: (launch: Launch) => void;
  /**
   * A process that exits after start-up. Default: report it, keep the others running, and stop
   * (exit 1) when none is left.
   */
  readonly onExitAfterStart?: (exit: ProcessExit, launch: Launch) => void;
}

export interface ProcessExit {
  readonly name: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Processes of the launch still running. */
  readonly stillRunning: number;
}

export interface Launch {
  readonly processes: readonly LaunchedProcess[];
  /**
   * SIGTERM to every running process, SIGKILL to those still running after stopGraceMs, then
   * exit the launcher with `code`. Only the first call acts.
   */
  readonly stop: (code: number) => Promise<never>;
}

const DEFAULT_NOUN = { plural: 'processes', counted: 'process(es)' };
const DEFAULT_LAST_LINES = 30;
/** tsx compiles each process's TypeScript on start: slow on a 2-core machine. */
const DEFAULT_START_TIMEOUT_MS = 60_000;
/** How long a failed process's output may take to reach its end before the report goes out. */
const OUTPUT_DRAIN_MS = 2_000;

class StartFailure extends Error {
  constructor(
    readonly processName: string,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'StartFailure';
  }
}

/** Starts every process and returns at once; the launcher then lives until launch.stop(). */
export function launchProcesses(options: LaunchOptions): Launch {
  const noun = options.noun ?? DEFAULT_NOUN;
  const width = options.nameWidth ?? Math.max(0, ...options.processes.map((spec) => spec.name.length));
  const prefixing = options.prefixLines ?? true;
  const label = (name: string, text: string) =>
    prefixing ? prefixLine(name, text, width) : `${name}: ${text}`;
  const running: LaunchedProcess[] = [];
  let stopping = false;

  const stop = async (code: number): Promise<never> => {
    if (stopping) return new Promise<never>(() => undefined);
    stopping = true;
    const alive = running.filter((launched) => launched.isAlive());
    for (const { child } of alive) child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const { spec, child } of alive) {
        if (!isAlive(child)) continue;
        process.stderr.write(
          `${label(spec.name, `no exit ${options.stopGraceMs / 1000} s after SIGTERM: SIGKILL`)}\n`,
        );
        child.kill('SIGKILL');
      }
    }, options.stopGraceMs);
    // Bounded: a grandchild that kept an output pipe open must not keep the launcher alive.
    await Promise.race([
      Promise.all(alive.map(({ closed }) => closed)),
      sleep(options.stopGraceMs + OUTPUT_DRAIN_MS),
    ]);
    clearTimeout(timer);
    process.exit(code);
  };
  const launch: Launch = { processes: running, stop };

  // The launcher dying by surprise must not leave servers behind on the ports.
  process.once('exit', () => {
    for (const { child } of running) if (isAlive(child)) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (options.stopNotice !== undefined) process.stdout.write(`\n${signal}: ${options.stopNotice}\n`);
      void stop(0);
    });
  }

  const onExitAfterStart =
    options.onExitAfterStart ??
    ((exit: ProcessExit) => {
      const how = exit.signal ?? String(exit.code);
      process.stderr.write(
        `${label(exit.name, `exited (${how}); ${exit.stillRunning} ${noun.counted} still running`)}\n`,
      );
      if (exit.stillRunning === 0) void stop(1);
    });

  const watchExits = () => {
    for (const { spec, child } of running) {
      child.once('exit', (code, signal) => {
        if (stopping) return;
        const stillRunning = running.filter((other) => other.isAlive()).length;
        onExitAfterStart({ name: spec.name, code, signal, stillRunning }, launch);
      });
    }
  };

  const reportStartFailure = async (error: unknown) => {
    if (!(error instanceof StartFailure)) {
      process.stderr.write(
        `\n${options.name} did not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      return;
    }
    const failed = running.find((candidate) => candidate.spec.name === error.processName);
    // Read its output to the end (the exit can arrive before the last lines), but do not hang on it.
    if (failed !== undefined) await Promise.race([failed.closed, sleep(OUTPUT_DRAIN_MS)]);
    const [headline = ''] = error.message.split('\n');
    process.stderr.write(
      `\n${options.name} did not start: ${headline}\n` +
        `last lines of ${error.processName}:\n${(failed?.lastLines ?? []).map((line) => `  ${line}`).join('\n')}\n` +
        `stopping the other ${noun.plural}\n`,
    );
  };

  for (const spec of options.processes) {
    running.push(
      startProcess(spec, {
        cwd: options.cwd,
        keepLines: options.lastLines ?? DEFAULT_LAST_LINES,
        echo: (stream, line) =>
          process[stream].write(`${prefixing ? prefixLine(spec.name, line, width) : line}\n`),
      }),
    );
  }
  const healthy = running.map(async (launched) => {
    if (launched.spec.healthUrl === undefined) return;
    try {
      await waitForHealth(
        launched,
        launched.spec.healthUrl,
        options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      );
    } catch (error) {
      throw new StartFailure(launched.spec.name, error);
    }
  });
  Promise.all(healthy).then(
    () => {
      options.onReady(launch);
      watchExits();
    },
    async (error: unknown) => {
      if (stopping) return; // Ctrl-C during start-up: stop is already on it.
      await reportStartFailure(error);
      await stop(1);
    },
  );
  return launch;
}
