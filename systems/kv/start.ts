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
import { fileURLToPath } from 'node:url';
import { kvQueues } from '@dslab/kv-core';
import { exitOnHelpOrUsageError, launchProcesses, redactPassword } from '@dslab/launcher';
import { createLogger } from '@dslab/logging';
import { createAmqpBus } from '@dslab/messaging';
import { launcherEnvironment } from './config.js';
import {
  deadLetterReport,
  launchPlan,
  NAME_WIDTH,
  parseCommandLine,
  processEnvironment,
  processSpecs,
  readyReport,
  USAGE,
  type DlqOptions,
  type ProcessSpec,
} from './start-options.js';

/** Each process compiles its TypeScript on start (tsx): generous on a 2-core machine. */
const START_TIMEOUT_MS = 90_000;
/** After SIGTERM, how long a process may take to finish in-flight work before SIGKILL. */
const STOP_GRACE_MS = 10_000;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const entry = (deployable: ProcessSpec['deployable']) =>
  fileURLToPath(new URL(`./${deployable}/src/main.ts`, import.meta.url));

const parsed = exitOnHelpOrUsageError(parseCommandLine(process.argv.slice(2)), 'kv', USAGE);
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
launchProcesses({
  processes: processSpecs(plan).map((spec) => ({
    name: spec.name,
    entry: entry(spec.deployable),
    env: processEnvironment(spec, plan, launcherEnvironment),
    healthUrl: `${spec.url}/health`,
  })),
  // tsx is resolved from the working directory: the repository root, wherever the launcher ran.
  cwd: repoRoot,
  startTimeoutMs: START_TIMEOUT_MS,
  stopGraceMs: STOP_GRACE_MS,
  name: 'kv',
  stopNotice: 'stopping kv-api and the consumers',
  nameWidth: NAME_WIDTH,
  onReady: () => process.stdout.write(readyReport(plan)),
});

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
