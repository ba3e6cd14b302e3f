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
import { CHECKOUT_SERVICES, type CheckoutService } from '@dslab/checkout-kit';
import { exitOnHelpOrUsageError, launchProcesses } from '@dslab/launcher';
import {
  launchPlan,
  NAME_WIDTH,
  parseStartOptions,
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

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const entry = (service: CheckoutService) =>
  fileURLToPath(new URL(`./${service}/src/main.ts`, import.meta.url));

const parsed = exitOnHelpOrUsageError(
  parseStartOptions(process.argv.slice(2), launcherEnvironment),
  'checkout',
  USAGE,
);
const plan = launchPlan(parsed.options, process.cwd());

ensureSeedDatabase(plan);
mkdirSync(plan.dataDir, { recursive: true });

launchProcesses({
  processes: CHECKOUT_SERVICES.map((service) => ({
    name: service,
    entry: entry(service),
    env: serviceEnvironment(service, plan, launcherEnvironment),
    healthUrl: `${serviceAddress(service, plan.host).http}/health`,
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
    process.stdout.write(readyReport(plan, randomUUID(), protoDir));
  },
});

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
