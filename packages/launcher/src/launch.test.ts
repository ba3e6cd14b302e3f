// launchProcesses for real: a fixture launcher (test-fixtures/launcher.ts) runs as a child process
// and launches real processes — one that serves /health, one that exits during start-up, one that
// ignores SIGTERM — so signals, exit codes and freed ports are the real ones.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { freePort } from '@dslab/testing';
import type { FixtureLaunch } from './test-fixtures/launcher.js';

const fixtureLauncher = fileURLToPath(new URL('./test-fixtures/launcher.ts', import.meta.url));
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

interface RunningLauncher {
  output(): string;
  /** Resolves with the launcher's exit code once it ended. */
  readonly exited: Promise<number | null>;
  signal(signal: NodeJS.Signals): void;
  /** Resolves once the output holds `text`; rejects when the launcher ends without it. */
  waitFor(text: string | RegExp): Promise<void>;
}

/** Generous for tsx's start-up on a busy 2-core machine; short enough to keep a stuck stop visible. */
const DEFAULTS = { startTimeoutMs: 30_000, stopGraceMs: 5_000, mode: 'report' } as const;

function runLauncher(
  launch: Pick<FixtureLaunch, 'processes'> & Partial<Omit<FixtureLaunch, 'processes'>>,
): RunningLauncher {
  const argument = JSON.stringify({ ...DEFAULTS, ...launch });
  const child = spawn(process.execPath, ['--import', 'tsx', fixtureLauncher, argument], {
    cwd: packageRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const changed = new Set<() => void>();
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const listener of changed) listener();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  // A failed assertion must not leave the launcher behind (its own exit handler kills its children).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  const holds = (wanted: string | RegExp) =>
    typeof wanted === 'string' ? text.includes(wanted) : wanted.test(text);
  return {
    output: () => text,
    exited,
    signal: (signal) => child.kill(signal),
    waitFor: (wanted) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!holds(wanted)) return;
          changed.delete(check);
          resolve();
        };
        changed.add(check);
        check();
        void exited.then(() => {
          if (!holds(wanted)) reject(new Error(`the launcher ended without ${String(wanted)}:\n${text}`));
        });
      }),
  };
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * True while `pid` runs. A process whose launcher died is re-parented, and where nothing reaps it
 * stays a zombie (state Z in /proc): dead, though signal 0 still reaches it.
 */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function readyPids(launcher: RunningLauncher): Promise<Record<string, number>> {
  await launcher.waitFor(/READY \{.*\}\n/);
  const match = /READY (\{.*\})\n/.exec(launcher.output());
  return JSON.parse(match?.[1] ?? '{}') as Record<string, number>;
}

const serving = (name: string, port: number) => ({
  name,
  fixture: 'serves-health' as const,
  args: [String(port)],
  healthPort: port,
});

describe('launchProcesses', () => {
  test('when every process answers /health, then it is ready, their lines carry their names, and SIGINT stops them all with exit 0 and frees the ports', async () => {
    const [first, second] = [await freePort(), await freePort()];
    const launcher = runLauncher({
      processes: [serving('api', first), serving('consumer-1', second)],
    });
    await readyPids(launcher);
    assert.match(launcher.output(), new RegExp(`^api {8}\\| listening on ${first}$`, 'm'));
    assert.match(launcher.output(), new RegExp(`^consumer-1 \\| listening on ${second}$`, 'm'));
    launcher.signal('SIGINT');
    assert.equal(await launcher.exited, 0, launcher.output());
    assert.match(launcher.output(), /\nSIGINT: stopping the fixtures\n/);
    assert.match(launcher.output(), /^api {8}\| SIGTERM: closing$/m);
    assert.deepEqual(await Promise.all([isFree(first), isFree(second)]), [true, true]);
  });

  test('when a process exits during start-up, then it says which with its last lines, stops the others and exits 1', async () => {
    const port = await freePort();
    const launcher = runLauncher({
      processes: [serving('api', port), { name: 'broken', fixture: 'exits-during-start', healthPort: 1 }],
    });
    assert.equal(await launcher.exited, 1, launcher.output());
    const output = launcher.output();
    assert.match(
      output,
      /\nfixture did not start: broken exited \(3\) before becoming healthy\nlast lines of broken:\n/,
    );
    const lastLines = output.slice(output.indexOf('last lines of broken:')).split('\n').slice(1);
    const shown = lastLines.slice(0, lastLines.indexOf('stopping the other processes'));
    assert.equal(shown.length, 30, shown.join('\n'));
    assert.ok(shown.includes('  starting, line 40') && shown.includes('  cannot start: port in use'));
    assert.match(output, /^broken +\| starting, line 1$/m, 'every line was echoed as it came');
    assert.ok(await isFree(port), 'the healthy one was stopped');
  });

  test('when a process never answers 200 in time, then it is killed, named, and the launch exits 1', async () => {
    const port = await freePort();
    const launcher = runLauncher({
      processes: [{ name: 'sick', fixture: 'serves-health', args: [String(port), '503'], healthPort: port }],
      startTimeoutMs: 1_500,
    });
    assert.equal(await launcher.exited, 1, launcher.output());
    assert.match(launcher.output(), /fixture did not start: sick did not become healthy in time\n/);
    assert.ok(await isFree(port));
  });

  test('when a process ignores SIGTERM, then it is SIGKILLed after the grace, said so, and the stop still exits 0', async () => {
    const [stuck, fine] = [await freePort(), await freePort()];
    const launcher = runLauncher({
      processes: [
        { name: 'stuck', fixture: 'ignores-sigterm', args: [String(stuck)], healthPort: stuck },
        serving('fine', fine),
      ],
      stopGraceMs: 500,
    });
    const pids = await readyPids(launcher);
    launcher.signal('SIGTERM');
    assert.equal(await launcher.exited, 0, launcher.output());
    assert.match(launcher.output(), /^stuck \| SIGTERM ignored$/m);
    assert.match(launcher.output(), /^stuck \| no exit 0\.5 s after SIGTERM: SIGKILL$/m);
    assert.doesNotMatch(launcher.output(), /fine +\| no exit/);
    assert.equal(isRunning(pids.stuck ?? 0), false);
    assert.deepEqual(await Promise.all([isFree(stuck), isFree(fine)]), [true, true]);
  });

  test('when a process exits after start-up, then it is reported and the others keep running; when none is left the launch exits 1', async () => {
    const [first, second] = [await freePort(), await freePort()];
    const launcher = runLauncher({
      processes: [serving('one', first), serving('two', second)],
    });
    const pids = await readyPids(launcher);
    process.kill(pids.one ?? 0, 'SIGKILL');
    await launcher.waitFor('one | exited (SIGKILL); 1 process(es) still running\n');
    assert.ok(!(await isFree(second)), 'two is still serving');
    process.kill(pids.two ?? 0, 'SIGTERM');
    assert.equal(await launcher.exited, 1, launcher.output());
    assert.match(launcher.output(), /two \| exited \(0\); 0 process\(es\) still running\n/);
  });

  test('when the caller decides what an exit after start-up does, then its policy runs instead', async () => {
    const port = await freePort();
    const launcher = runLauncher({
      processes: [serving('web', port), { name: 'untracked', fixture: 'ignores-sigterm', args: ['0'] }],
      stopGraceMs: 500,
      mode: 'stop-all',
    });
    const pids = await readyPids(launcher);
    process.kill(pids.web ?? 0, 'SIGKILL');
    assert.equal(await launcher.exited, 1, launcher.output());
    assert.match(launcher.output(), /web ended; stopping all\n/);
    assert.doesNotMatch(launcher.output(), /still running/);
    assert.equal(isRunning(pids.untracked ?? 0), false);
  });

  test('when the launcher dies by surprise, then its processes die with it and the ports are freed', async () => {
    const port = await freePort();
    const launcher = runLauncher({
      processes: [serving('api', port)],
      mode: 'crash',
    });
    const pids = await readyPids(launcher);
    assert.notEqual(await launcher.exited, 0);
    assert.match(launcher.output(), /the launcher crashed/);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the SIGKILL is delivered asynchronously
    assert.equal(isRunning(pids.api ?? 0), false);
    assert.ok(await isFree(port));
  });
});
