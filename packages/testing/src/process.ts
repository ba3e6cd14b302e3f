import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'undici';
import { inheritedEnvironment } from './config.js';

/** A free TCP port on 127.0.0.1 (bound and released; good enough for local tests). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process printed so far (stdout + stderr). */
  output(): string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit (a crash). */
  kill(): Promise<void>;
}

/**
 * Starts a TypeScript entry point as a real child process (`node --import tsx entry`), waits
 * until GET {url}/health answers 200, and captures its output.
 */
export async function spawnService(options: {
  entry: string;
  port: number;
  env: Record<string, string>;
  cwd?: string;
  echo?: boolean;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', options.entry], {
    cwd: options.cwd,
    env: { ...inheritedEnvironment(), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    if (options.echo === true) process.stdout.write(chunk);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A test that fails before its clean-up must not hang on, or leave behind, its services.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));

  const url = `http://127.0.0.1:${options.port}`;
  await waitUntilHealthy({
    child,
    url,
    name: options.entry,
    output: () => text,
    timeoutMs: options.timeoutMs ?? 20_000,
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { child, url, output: () => text, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

/**
 * Polls GET {url}/health every 100 ms until it answers 200. Fails at once if the process exits
 * first, and SIGKILLs it after `timeoutMs`; both errors carry the process's `output()`.
 */
export async function waitUntilHealthy(options: {
  child: ChildProcess;
  url: string;
  name: string;
  output: () => string;
  timeoutMs: number;
}): Promise<void> {
  const { child, name } = options;
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `${name} exited (${String(child.exitCode ?? child.signalCode)}) before becoming healthy:\n${options.output()}`,
      );
    try {
      const response = await request(`${options.url}/health`);
      await response.body.dump();
      if (response.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} did not become healthy in time:\n${options.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
