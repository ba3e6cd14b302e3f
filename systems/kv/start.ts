/**
 * `npm run kv -- [--consumers N]` and `npm run kv -- dlq [--replay] [--limit N]`
 *
 * Start: runs kv-api and N kv-consumer processes as children (`node --import tsx
 * <deployable>/src/main.ts`) against the engines of the environment, prints each child's lines
 * prefixed with its name, waits until every GET /health answers 200, then prints the URLs, which
 * engines are development defaults, and curl lines to try. A process that exits during start-up
 * stops the others (exit 1, with its last lines); afterwards an exit is reported and the others
 * keep running (kill -9 a consumer and watch another take its messages). SIGINT/SIGTERM stop all
 * (SIGTERM, SIGKILL after 10 s).
 *
 * dlq: prints the dead letters of add_key and del_key; with --replay moves them back to their
 * queues, where a running consumer applies them (the apply is idempotent).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { kvQueues } from '@dslab/kv-core';
import { createLogger } from '@dslab/logging';
import { createAmqpBus } from '@dslab/messaging';
import { waitUntilHealthy } from '@dslab/testing';
import { launcherEnvironment } from './config.js';
import {
  deadLetterReport,
  launchPlan,
  parseCommandLine,
  prefixLine,
  processEnvironment,
  processSpecs,
  readyReport,
  redactPassword,
  USAGE,
  type DlqOptions,
  type LaunchPlan,
  type ProcessSpec,
} from './start-options.js';

/** Each process compiles its TypeScript on start (tsx): generous on a 2-core machine. */
const START_TIMEOUT_MS = 90_000;
/** After SIGTERM, how long a process may take to finish in-flight work before SIGKILL. */
const STOP_GRACE_MS = 10_000;
/** Lines of a failed process's output printed again when the start-up fails. */
const LAST_LINES = 30;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const entry = (deployable: ProcessSpec['deployable']) =>
  fileURLToPath(new URL(`./${deployable}/src/main.ts`, import.meta.url));

interface Running {
  readonly spec: ProcessSpec;
  readonly child: ChildProcess;
  readonly lastLines: string[];
  /** Resolves once the process exited and its output was read to the end. */
  readonly closed: Promise<void>;
}

const parsed = parseCommandLine(process.argv.slice(2));
if (parsed.kind === 'help') {
  process.stdout.write(`${parsed.text}\n`);
  process.exit(0);
}
if (parsed.kind === 'usage-error') {
  process.stderr.write(`kv: ${parsed.message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (parsed.kind === 'dlq') {
  process.exit(await deadLetters(parsed.options));
}
const planned = launchPlan(parsed.options, launcherEnvironment, process.cwd());
if (!planned.ok) {
  process.stderr.write(
    `kv: the settings in the environment are not valid:\n${planned.problems.map((p) => `  - ${p}`).join('\n')}\n`,
  );
  process.exit(2);
}
const plan = planned.plan;
const running: Running[] = [];
let stopping = false;

// The launcher dying by surprise must not leave servers behind on the ports.
process.once('exit', () => {
  for (const { child } of running) if (isAlive(child)) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stdout.write(`\n${signal}: stopping kv-api and the consumers\n`);
    void stopAll(0);
  });
}

for (const spec of processSpecs(plan)) running.push(start(spec, plan));
waitForAll().then(
  () => {
    process.stdout.write(readyReport(plan));
    watchExits();
  },
  async (error: unknown) => {
    if (stopping) return; // Ctrl-C during start-up: stopAll is already on it.
    await reportStartFailure(error);
    await stopAll(1);
  },
);

// ---------------------------------------------------------------------------------------------

/** `dlq`: prints (and with --replay moves back) the dead letters of both queues; the exit code. */
async function deadLetters(options: DlqOptions): Promise<number> {
  const settings = launchPlan({ consumers: 1 }, launcherEnvironment, process.cwd());
  if (!settings.ok) {
    process.stderr.write(`kv: ${settings.problems.join('\n')}\n`);
    return 2;
  }
  const amqp = settings.plan.engines.find((engine) => engine.key === 'AMQP_URL');
  const url = amqp?.url ?? '';
  const logger = createLogger({ service: 'kv', level: 'warn' });
  let bus;
  try {
    bus = await createAmqpBus({ url, connectionName: 'kv-dlq', logger });
  } catch (error) {
    process.stderr.write(
      `kv: cannot reach RabbitMQ at ${redactPassword(url)}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
  try {
    const queues = kvQueues(settings.plan.queuePrefix);
    for (const queue of [queues.put, queues.delete]) {
      const letters = await bus.peekDeadLetters(queue, options.limit);
      process.stdout.write(`${deadLetterReport(queue, letters, options.limit)}\n`);
      if (options.replay && letters.length > 0) {
        const moved = await bus.replayDeadLetters(queue, options.limit);
        process.stdout.write(`  replayed ${moved} to ${queue}\n`);
      }
    }
    return 0;
  } finally {
    await bus.close();
  }
}

/** Resolves when every process answers GET /health with 200; rejects with the first that fails. */
async function waitForAll(): Promise<void> {
  await Promise.all(
    running.map(({ spec, child, lastLines }) =>
      waitUntilHealthy({
        child,
        url: spec.url,
        name: spec.name,
        output: () => lastLines.join('\n'),
        timeoutMs: START_TIMEOUT_MS,
      }).catch((error: unknown) => {
        throw new StartFailure(spec.name, error);
      }),
    ),
  );
}

/** After start-up: a process that exits is reported; the launcher ends when none is left. */
function watchExits(): void {
  for (const { spec, child } of running) {
    child.once('exit', (code, signal) => {
      if (stopping) return;
      const others = running.filter((other) => isAlive(other.child)).length;
      process.stderr.write(
        `${prefixLine(spec.name, `exited (${signal ?? String(code)}); ${others} process(es) still running`)}\n`,
      );
      if (others === 0) void stopAll(1);
    });
  }
}

function start(spec: ProcessSpec, launch: LaunchPlan): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', entry(spec.deployable)], {
    // tsx is resolved from the working directory: the repository root, wherever the launcher ran.
    cwd: repoRoot,
    env: processEnvironment(spec, launch, launcherEnvironment),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lastLines: string[] = [];
  const pipe = (stream: NodeJS.ReadableStream, to: NodeJS.WriteStream) => {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => {
      lastLines.push(line);
      if (lastLines.length > LAST_LINES) lastLines.shift();
      to.write(`${prefixLine(spec.name, line)}\n`);
    });
    return new Promise<void>((resolve) => lines.once('close', resolve));
  };
  const outputs = [pipe(child.stdout, process.stdout), pipe(child.stderr, process.stderr)];
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      lastLines.push(`cannot start: ${error.message}`);
      resolve();
    });
  });
  return { spec, child, lastLines, closed: Promise.all([exited, ...outputs]).then(() => undefined) };
}

class StartFailure extends Error {
  constructor(
    readonly processName: string,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'StartFailure';
  }
}

async function reportStartFailure(error: unknown): Promise<void> {
  if (!(error instanceof StartFailure)) {
    process.stderr.write(
      `\nkv did not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return;
  }
  const failed = running.find((candidate) => candidate.spec.name === error.processName);
  // Read its output to the end (the exit can arrive before the last lines), but do not hang on it.
  if (failed !== undefined) await Promise.race([failed.closed, sleep(2000)]);
  const [headline = ''] = error.message.split('\n');
  process.stderr.write(
    `\nkv did not start: ${headline}\n` +
      `last lines of ${error.processName}:\n${(failed?.lastLines ?? []).map((line) => `  ${line}`).join('\n')}\n` +
      'stopping the other processes\n',
  );
}

/** SIGTERM to every running process, SIGKILL to those still running after STOP_GRACE_MS, then exit. */
async function stopAll(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => undefined);
  stopping = true;
  const alive = running.filter(({ child }) => isAlive(child));
  for (const { child } of alive) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const { spec, child } of alive) {
      if (!isAlive(child)) continue;
      process.stderr.write(
        `${prefixLine(spec.name, `no exit ${STOP_GRACE_MS / 1000} s after SIGTERM: SIGKILL`)}\n`,
      );
      child.kill('SIGKILL');
    }
  }, STOP_GRACE_MS);
  // Bounded: a grandchild that kept an output pipe open must not keep the launcher alive.
  await Promise.race([Promise.all(alive.map(({ closed }) => closed)), sleep(STOP_GRACE_MS + 2000)]);
  clearTimeout(timer);
  process.exit(code);
}

function isAlive(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
