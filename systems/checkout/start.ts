/**
 * `npm run checkout -- [--transport grpc|rest] [--engine sqlite|postgres] [--data-dir DIR] [--seed N]`
 *
 * Runs the checkout on this machine: writes ./data/ecommerce.db first when it is missing (the
 * datagen, in-process), starts the six services as child processes (`node --import tsx
 * <service>/src/main.ts`) on their default ports, prints each child's lines prefixed with its
 * name, waits until every GET /health answers 200, then prints where they are and an example order.
 *
 * A service that exits during start-up stops the others (exit 1, with its last lines). After
 * start-up a service that exits is reported and the others keep running: stopping or killing one
 * (kill -9 <pid>) is how you watch pedidos compensate and recover. SIGINT/SIGTERM stop all six
 * (SIGTERM, SIGKILL after 10 s). The command line is parsed in start-options.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { launcherEnvironment } from './config.js';
import {
  createFaker,
  DEFAULT_NOW,
  DEFAULT_SIZES,
  generateDataset,
  writeDatabase,
} from '@dslab/checkout-datagen';
import { CHECKOUT_SERVICES, type CheckoutService } from '@dslab/checkout-kit';
import { waitUntilHealthy } from '@dslab/testing';
import {
  launchPlan,
  parseStartOptions,
  prefixLine,
  readyReport,
  serviceAddress,
  serviceEnvironment,
  USAGE,
  type LaunchPlan,
} from './start-options.js';

/** Six services compile their TypeScript at once on start (tsx): generous on a 2-core machine. */
const START_TIMEOUT_MS = 120_000;
/** After SIGTERM, how long a service may take to finish in-flight calls before SIGKILL. */
const STOP_GRACE_MS = 10_000;
/** Lines of a failed service's output printed again when the start-up fails. */
const LAST_LINES = 30;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const entry = (service: CheckoutService) =>
  fileURLToPath(new URL(`./${service}/src/main.ts`, import.meta.url));

interface Running {
  readonly service: CheckoutService;
  readonly child: ChildProcess;
  /** The last LAST_LINES lines it printed (stdout and stderr). */
  readonly lastLines: string[];
  /** Resolves once the process exited and its output was read to the end. */
  readonly closed: Promise<void>;
}

const parsed = parseStartOptions(process.argv.slice(2), launcherEnvironment);
if (parsed.kind === 'help') {
  process.stdout.write(`${parsed.text}\n`);
  process.exit(0);
}
if (parsed.kind === 'usage-error') {
  process.stderr.write(`checkout: ${parsed.message}\n\n${USAGE}\n`);
  process.exit(2);
}
const plan = launchPlan(parsed.options, process.cwd());

ensureSeedDatabase(plan);
mkdirSync(plan.dataDir, { recursive: true });

const running: Running[] = [];
let stopping = false;

// The launcher dying by surprise must not leave six servers behind on the ports.
process.once('exit', () => {
  for (const { child } of running) if (isAlive(child)) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stdout.write(`\n${signal}: stopping the services\n`);
    void stopAll(0);
  });
}

for (const service of CHECKOUT_SERVICES) running.push(start(service, plan));
waitForAll(plan).then(
  () => {
    const protoDir = relative(process.cwd(), `${repoRoot}contracts/proto`) || '.';
    process.stdout.write(readyReport(plan, randomUUID(), protoDir));
    watchExits();
  },
  async (error: unknown) => {
    if (stopping) return; // Ctrl-C during start-up: stopAll is already on it.
    await reportStartFailure(error);
    await stopAll(1);
  },
);

// ---------------------------------------------------------------------------------------------

/** The services import their initial data from ecommerce.db: write it when it is missing. */
function ensureSeedDatabase(launch: LaunchPlan): void {
  const shown = relative(process.cwd(), launch.ecommerceDb) || launch.ecommerceDb;
  if (existsSync(launch.ecommerceDb)) {
    if (launch.seedGiven) {
      process.stdout.write(
        `--seed ${launch.seed} not used: ${shown} exists (npm run datagen -- --seed ${launch.seed} rewrites it; ` +
          `a service imports it only on its first start, into an empty database)\n`,
      );
    }
    return;
  }
  process.stdout.write(`${shown} is missing: generating it (datagen, seed ${launch.seed})\n`);
  try {
    const dataset = generateDataset(createFaker(launch.seed), DEFAULT_SIZES, Date.parse(DEFAULT_NOW));
    writeDatabase(launch.ecommerceDb, dataset);
  } catch (error) {
    process.stderr.write(
      `checkout: cannot write ${launch.ecommerceDb}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
  process.stdout.write(`wrote ${shown}\n`);
}

/** Resolves when every service answers GET /health with 200; rejects with the first that fails. */
async function waitForAll(launch: LaunchPlan): Promise<void> {
  await Promise.all(
    running.map(({ service, child, lastLines }) =>
      waitUntilHealthy({
        child,
        url: serviceAddress(service, launch.host).http,
        name: service,
        output: () => lastLines.join('\n'),
        timeoutMs: START_TIMEOUT_MS,
      }).catch((error: unknown) => {
        throw new StartFailure(service, error);
      }),
    ),
  );
}

/** After start-up: a service that exits is reported; the launcher ends when none is left. */
function watchExits(): void {
  for (const { service, child } of running) {
    child.once('exit', (code, signal) => {
      if (stopping) return;
      const others = running.filter((other) => isAlive(other.child)).length;
      process.stderr.write(
        `${prefixLine(service, `exited (${signal ?? String(code)}); ${others} service(s) still running`)}\n`,
      );
      if (others === 0) void stopAll(1);
    });
  }
}

function start(service: CheckoutService, launch: LaunchPlan): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', entry(service)], {
    // tsx is resolved from the working directory: the repository root, wherever the launcher ran.
    cwd: repoRoot,
    env: serviceEnvironment(service, launch, launcherEnvironment),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lastLines: string[] = [];
  const pipe = (stream: NodeJS.ReadableStream, to: NodeJS.WriteStream) => {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => {
      lastLines.push(line);
      if (lastLines.length > LAST_LINES) lastLines.shift();
      to.write(`${prefixLine(service, line)}\n`);
    });
    return new Promise<void>((resolve) => lines.once('close', resolve));
  };
  const outputs = [pipe(child.stdout, process.stdout), pipe(child.stderr, process.stderr)];
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', (error) => {
      // spawn itself failed (not expected with process.execPath): it will never exit.
      lastLines.push(`cannot start: ${error.message}`);
      resolve();
    });
  });
  return { service, child, lastLines, closed: Promise.all([exited, ...outputs]).then(() => undefined) };
}

class StartFailure extends Error {
  constructor(
    readonly service: CheckoutService,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'StartFailure';
  }
}

async function reportStartFailure(error: unknown): Promise<void> {
  if (!(error instanceof StartFailure)) {
    process.stderr.write(
      `\ncheckout did not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return;
  }
  const failed = running.find((candidate) => candidate.service === error.service);
  // Read its output to the end (the exit can arrive before the last lines), but do not hang on it.
  if (failed !== undefined) await Promise.race([failed.closed, sleep(2000)]);
  const [headline = ''] = error.message.split('\n');
  process.stderr.write(
    `\ncheckout did not start: ${headline}\n` +
      `last lines of ${error.service}:\n${(failed?.lastLines ?? []).map((line) => `  ${line}`).join('\n')}\n` +
      `stopping the other services\n`,
  );
}

/** SIGTERM to every running service, SIGKILL to those still running after STOP_GRACE_MS, then exit. */
async function stopAll(code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => undefined);
  stopping = true;
  const alive = running.filter(({ child }) => isAlive(child));
  for (const { child } of alive) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const { service, child } of alive) {
      if (!isAlive(child)) continue;
      process.stderr.write(
        `${prefixLine(service, `no exit ${STOP_GRACE_MS / 1000} s after SIGTERM: SIGKILL`)}\n`,
      );
      child.kill('SIGKILL');
    }
  }, STOP_GRACE_MS);
  // Bounded: a grandchild that kept a service's output pipe open must not keep the launcher alive.
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
