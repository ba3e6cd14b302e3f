/**
 * `npm run checkout -- [--transport grpc|rest] [--engine sqlite|postgres] [--data-dir DIR] [--seed N]`
 * `npm run checkout -- --transport async [--workers N] [--engine sqlite|postgres]`
 * `npm run checkout -- dlq [--replay] [--limit N]`
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
 *
 * --transport async (seed 004): with AMQP_URL, estoque and catalogo as usual, pedidos in async
 * mode (202 + Location, events through its outbox to RabbitMQ) and N checkout-worker processes
 * (systems/checkout/async/src/worker-main.ts) competing for the queues; without AMQP_URL, the
 * embedded single process (async/src/embedded-main.ts). dlq prints the dead letters of the five
 * queues and, with --replay, moves them back.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launcherEnvironment } from './config.js';
import {
  createFaker,
  DEFAULT_NOW,
  DEFAULT_SIZES,
  generateDataset,
  writeDatabase,
} from '@dslab/checkout-datagen';
import { CHECKOUT_SERVICES, readSeedData, type CheckoutService } from '@dslab/checkout-kit';
import { runDeadLetterCommand } from '@dslab/checkout-async';
import { pedidosConfigSchema } from '@dslab/checkout-pedidos';
import { exitOnHelpOrUsageError, launchProcesses } from '@dslab/launcher';
import {
  ASYNC_NAME_WIDTH,
  asyncProcessEnvironment,
  asyncProcessSpecs,
  asyncReadyReport,
  asyncStartNotice,
  launchPlan,
  NAME_WIDTH,
  parseStartOptions,
  readyReport,
  serviceAddress,
  serviceEnvironment,
  USAGE,
  type AsyncProcessSpec,
  type ExampleLogin,
  type LaunchPlan,
} from './start-options.js';

/** Six services compile their TypeScript at once on start (tsx): generous on a 2-core machine. */
const START_TIMEOUT_MS = 120_000;
/** After SIGTERM, how long a service may take to finish in-flight calls before SIGKILL. */
const STOP_GRACE_MS = 10_000;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const entry = (service: CheckoutService) =>
  fileURLToPath(new URL(`./${service}/src/main.ts`, import.meta.url));
const asyncEntry = (spec: AsyncProcessSpec): string => {
  switch (spec.entry.kind) {
    case 'service':
      return entry(spec.entry.service);
    case 'worker':
      return fileURLToPath(new URL('./async/src/worker-main.ts', import.meta.url));
    case 'embedded':
      return fileURLToPath(new URL('./async/src/embedded-main.ts', import.meta.url));
  }
};

const parsed = exitOnHelpOrUsageError(
  parseStartOptions(process.argv.slice(2), launcherEnvironment),
  'checkout',
  USAGE,
);
if (parsed.kind === 'dlq') {
  const { amqpUrl, ...options } = parsed.options;
  process.exit(
    await runDeadLetterCommand(
      amqpUrl,
      options,
      (text) => process.stdout.write(text),
      (text) => process.stderr.write(text),
    ),
  );
}
const plan = launchPlan(parsed.options, process.cwd());

ensureSeedDatabase(plan);
mkdirSync(plan.dataDir, { recursive: true });

if (plan.mode === 'services') launchServices(plan);
else launchAsync(plan);

/** The six services over grpc or rest (seed 003). */
function launchServices(launch: LaunchPlan): void {
  launchProcesses({
    processes: CHECKOUT_SERVICES.map((service) => ({
      name: service,
      entry: entry(service),
      env: serviceEnvironment(service, launch, launcherEnvironment),
      healthUrl: `${serviceAddress(service, launch.host).http}/health`,
    })),
    // tsx is resolved from the working directory: the repository root, wherever the launcher ran.
    cwd: repoRoot,
    startTimeoutMs: START_TIMEOUT_MS,
    stopGraceMs: STOP_GRACE_MS,
    name: 'checkout',
    noun: { plural: 'services', counted: 'service(s)' },
    stopNotice: 'stopping the services',
    nameWidth: NAME_WIDTH,
    onReady: () => {
      const protoDir = relative(process.cwd(), `${repoRoot}contracts/proto`) || '.';
      process.stdout.write(readyReport(launch, randomUUID(), protoDir));
    },
  });
}

/** --transport async (seed 004): RabbitMQ with N workers, or the embedded process. */
function launchAsync(launch: LaunchPlan): void {
  process.stdout.write(asyncStartNotice(launch));
  const login = exampleLogin(launch);
  launchProcesses({
    processes: asyncProcessSpecs(launch).map((spec) => ({
      name: spec.name,
      entry: asyncEntry(spec),
      env: asyncProcessEnvironment(spec, launch, launcherEnvironment),
      healthUrl: spec.healthUrl,
    })),
    cwd: repoRoot,
    startTimeoutMs: START_TIMEOUT_MS,
    // Workers finish the steps in flight and publish their outboxes before they exit.
    stopGraceMs: STOP_GRACE_MS * 2,
    name: 'checkout',
    stopNotice:
      launch.mode === 'embedded' ? 'stopping the checkout' : 'stopping the services and the workers',
    nameWidth: launch.mode === 'embedded' ? 'checkout'.length : ASYNC_NAME_WIDTH,
    onReady: () => process.stdout.write(asyncReadyReport(launch, login, randomUUID())),
  });
}

/**
 * The example's customer: the first of the seed's clientes, and the password pedidos accepts
 * for every customer (CHECKOUT_SENHA_PADRAO, or its development default).
 */
function exampleLogin(launch: LaunchPlan): ExampleLogin {
  let email = '<e-mail of a cliente>';
  try {
    email = readSeedData(launch.ecommerceDb).clientes[0]?.email ?? email;
  } catch {
    // The example keeps its placeholder; pedidos reports a bad seed file itself.
  }
  const configured = launcherEnvironment.CHECKOUT_SENHA_PADRAO;
  if (configured !== undefined && configured !== '')
    return { email, senha: configured, developmentDefault: false };
  const fallback = pedidosConfigSchema.CHECKOUT_SENHA_PADRAO.fallback;
  return { email, senha: fallback?.value ?? '', developmentDefault: true };
}

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
