// A launcher for the tests (launch.test.ts runs it as a real process): launchProcesses over the
// fixtures named in its one argument, JSON of FixtureLaunch.
import { fileURLToPath } from 'node:url';
import { launchProcesses } from '../index.js';

export interface FixtureLaunch {
  readonly processes: readonly {
    readonly name: string;
    /** A file of this folder, without .ts. */
    readonly fixture: 'serves-health' | 'exits-during-start' | 'ignores-sigterm';
    readonly args?: readonly string[];
    /** Port whose /health is awaited; none: started once spawned. */
    readonly healthPort?: number;
  }[];
  readonly startTimeoutMs: number;
  readonly stopGraceMs: number;
  /** report: the default after-start policy; stop-all: any exit stops the launch with its code; crash: throws after ready. */
  readonly mode: 'report' | 'stop-all' | 'crash';
}

const launch = JSON.parse(process.argv[2] ?? '{}') as FixtureLaunch;
const here = fileURLToPath(new URL('.', import.meta.url));

launchProcesses({
  processes: launch.processes.map((spec) => ({
    name: spec.name,
    entry: `${here}${spec.fixture}.ts`,
    args: spec.args ?? [],
    env: {},
    ...(spec.healthPort === undefined ? {} : { healthUrl: `http://127.0.0.1:${spec.healthPort}/health` }),
  })),
  cwd: here,
  startTimeoutMs: launch.startTimeoutMs,
  stopGraceMs: launch.stopGraceMs,
  name: 'fixture',
  stopNotice: 'stopping the fixtures',
  onReady: ({ processes }) => {
    const pids = Object.fromEntries(processes.map(({ spec, child }) => [spec.name, child.pid]));
    process.stdout.write(`READY ${JSON.stringify(pids)}\n`);
    if (launch.mode === 'crash')
      setTimeout(() => {
        throw new Error('the launcher crashed');
      }, 100);
  },
  ...(launch.mode === 'stop-all'
    ? {
        onExitAfterStart: (exit, { stop }) => {
          process.stdout.write(`${exit.name} ended; stopping all\n`);
          void stop(exit.code ?? 1);
        },
      }
    : {}),
});
