/**
 * One launched process: `node --import tsx <entry>`, its output read line by line (echoed by the
 * caller and the last lines kept for a failed start-up), and its health check.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { request } from 'undici';

export interface ProcessToLaunch {
  /** Shown in front of its lines and in every message about it. */
  readonly name: string;
  /** Absolute path of the module it runs (`node --import tsx <entry> …args`). */
  readonly entry: string;
  readonly args?: readonly string[];
  /** Its whole environment (unset values are left out): nothing else is inherited. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * The URL that must answer 200 (e.g. `http://127.0.0.1:8080/health`) before the launch counts
   * as started; without one the process counts as started once spawned.
   */
  readonly healthUrl?: string;
}

export interface LaunchedProcess {
  readonly spec: ProcessToLaunch;
  readonly child: ChildProcess;
  /** The last lines it printed (stdout and stderr), oldest first. */
  readonly lastLines: readonly string[];
  /** Resolves once the process exited and its output was read to the end. */
  readonly closed: Promise<void>;
  isAlive(): boolean;
}

export function startProcess(
  spec: ProcessToLaunch,
  options: {
    /** Working directory; tsx is resolved from it. */
    readonly cwd: string;
    readonly keepLines: number;
    readonly echo: (stream: 'stdout' | 'stderr', line: string) => void;
  },
): LaunchedProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', spec.entry, ...(spec.args ?? [])], {
    cwd: options.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lastLines: string[] = [];
  const keep = (line: string) => {
    lastLines.push(line);
    if (lastLines.length > options.keepLines) lastLines.shift();
  };
  const readLines = (stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr') => {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => {
      keep(line);
      options.echo(name, line);
    });
    return new Promise<void>((resolve) => lines.once('close', resolve));
  };
  const outputs = [readLines(child.stdout, 'stdout'), readLines(child.stderr, 'stderr')];
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      // spawn itself failed (not expected with process.execPath): it will never exit.
      keep(`cannot start: ${error.message}`);
      resolve();
    });
  });
  return {
    spec,
    child,
    lastLines,
    closed: Promise.all([exited, ...outputs]).then(() => undefined),
    isAlive: () => isAlive(child),
  };
}

export function isAlive(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** A health request that hangs must not outlast the start-up timeout by much. */
const HEALTH_REQUEST_TIMEOUT_MS = 2_000;
const HEALTH_POLL_MS = 100;

/**
 * Resolves once `healthUrl` answers 200. Rejects at once when the process ends first; after
 * `timeoutMs` SIGKILLs it (a process that never answers is not worth a graceful stop) and rejects.
 */
export async function waitForHealth(
  launched: LaunchedProcess,
  healthUrl: string,
  timeoutMs: number,
): Promise<void> {
  const { child, spec } = launched;
  const deadline = performance.now() + timeoutMs;
  while (launched.isAlive()) {
    if (await answersOk(healthUrl)) return;
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${spec.name} did not become healthy in time`);
    }
    await sleep(HEALTH_POLL_MS);
  }
  throw new Error(
    `${spec.name} exited (${String(child.exitCode ?? child.signalCode)}) before becoming healthy`,
  );
}

async function answersOk(url: string): Promise<boolean> {
  try {
    const response = await request(url, {
      headersTimeout: HEALTH_REQUEST_TIMEOUT_MS,
      bodyTimeout: HEALTH_REQUEST_TIMEOUT_MS,
    });
    await response.body.dump();
    return response.statusCode === 200;
  } catch {
    return false; // not listening yet
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
