/** Command-line options of `npm run bench:checkout-async` (pure parsing, no I/O). */
import {
  BASE_OPTIONS,
  LOG_LEVELS,
  nonNegativeInteger,
  nonNegativeNumber,
  parseCommandLine,
  paymentSimulatorOptions,
  positiveInteger,
  positiveIntegerList,
  positiveNumber,
  valueOption,
  type BaseBenchOptions,
  type CommandLineOptions,
  type PaymentSimulatorSettings,
} from '@dslab/bench-kit';
import { MESSAGES_PER_ORDER } from './saga.js';

/** The payment simulator of one series of runs (PAGAMENTO_LATENCIA_MIN/MAX_MS, PAGAMENTO_TAXA_REJEICAO). */
export type PaymentSettings = PaymentSimulatorSettings;

/** logLevel: of the workers (their output goes to a file). */
export interface CheckoutAsyncBenchOptions extends BaseBenchOptions {
  /** Worker processes of each measured run (`--workers 1,2,4`). */
  workers: number[];
  /** Orders placed in each measured run. */
  orders: number;
  /** POSTs in flight at once. */
  concurrency: number;
  /** Orders placed and run to the end before each measured run (JIT, pools, connections warm). */
  warmupOrders: number;
  /** The payment simulator of the throughput runs. */
  payment: PaymentSettings;
  /** Worker counts of the extra runs with a 0 ms payment (the CPU-bound ceiling); empty: none. */
  cpuBoundWorkers: number[];
  /** Messages of the raw broker round trip (default: orders × the messages one order moves). */
  brokerMessages: number;
  /** PREFETCH of each worker (messages in flight per queue and process). */
  prefetch: number;
  /** DATABASE_POOL_SIZE of each worker (connections per service database and process). */
  poolSize: number;
  /** PostgreSQL connections per database of the benchmark process (the pedidos API). */
  apiPoolSize: number;
  /** Customers the orders are spread over (each logs in once). */
  customers: number;
  /** Measured batches per configuration (same workers, one after the other); the median is reported. */
  repeat: number;
  /** Before each batch, wait until the machine's CPU is below this (percent of one core)… */
  quietBelowPercent: number;
  /** …for at most this long (s; 0: do not wait). */
  quietWaitS: number;
  /** Seed of the order mix (products and quantities). */
  seed: number;
}

export const HELP = `npm run bench:checkout-async -- [options]

Measures the asynchronous checkout (seed 004) on real RabbitMQ and PostgreSQL: for each number of
worker processes (worker-main.ts, competing for the five queues), K orders are POSTed at once over
HTTP to the pedidos async API and followed until every one is terminal. Baselines in the same run:
a hello-world HTTP server (same client, same concurrency) and the raw RabbitMQ round trip (publish
with confirms, consume, ack) of as many messages as the orders move.

  --quick                    smoke run (~1 min): workers 1,2, 100 orders, a 0 ms payment run with 2 workers
  --workers 1,2,4            worker processes of the measured runs (full 1,2,4; quick 1,2)
  --orders N                 orders per measured run (full 400, quick 100)
  --concurrency N            POSTs in flight at once (50)
  --warmup-orders N          orders run to the end before a configuration's batches, not counted (full 100, quick 20)
  --payment-latency MIN-MAX  payment simulator latency in ms, e.g. 50-150 (default) or 0-0
  --rejection F              fraction of payments refused, 0–1 (0: every order ships)
  --cpu-bound-workers 1,2,4  also run these worker counts with a 0 ms payment (full 1,2,4; quick 2)
  --no-cpu-bound             skip the 0 ms payment runs
  --broker-messages N        messages of the raw RabbitMQ round trip (default orders × 11)
  --repeat N                 measured batches per configuration, median reported (full 3, quick 1)
  --quiet-below P            before each batch wait until the machine's CPU is below P % of one core (50)
  --quiet-wait S             … for at most S seconds (60; 0: never wait)
  --prefetch N               PREFETCH of each worker (16, the deployable's default)
  --pool-size N              DATABASE_POOL_SIZE of each worker (3)
  --api-pool-size N          PostgreSQL connections per database of the in-process API (4)
  --customers N              customers the orders are spread over (10, at most 12)
  --seed N                   seed of the order mix (7)
  --log-level L              LOG_LEVEL of the workers: ${LOG_LEVELS.join(', ')} (warn)
  --out DIR                  output folder (docs/benchmarks)
  --help

Engines come from DATABASE_URL and AMQP_URL (development defaults: the local servers,
postgres://postgres@127.0.0.1:5432/test and amqp://guest:guest@127.0.0.1:5672). Each run works in
a namespace of its own (schemas and queues with a unique prefix), dropped at the end.`;

/** Sorted, without repeats: each worker count is measured once, in ascending order. */
function workerCounts(flag: string, text: string | undefined): number[] {
  return [...new Set(positiveIntegerList(flag, text))].sort((a, b) => a - b);
}

const OPTIONS: CommandLineOptions<CheckoutAsyncBenchOptions> = {
  ...BASE_OPTIONS,
  '--workers': valueOption('workers', workerCounts),
  '--orders': valueOption('orders', positiveInteger),
  '--concurrency': valueOption('concurrency', positiveInteger),
  '--warmup-orders': valueOption('warmupOrders', nonNegativeInteger),
  ...paymentSimulatorOptions(),
  '--cpu-bound-workers': valueOption('cpuBoundWorkers', workerCounts),
  '--no-cpu-bound': {
    takesValue: false,
    apply: (options) => {
      options.cpuBoundWorkers = [];
    },
  },
  '--broker-messages': valueOption('brokerMessages', positiveInteger),
  '--repeat': valueOption('repeat', positiveInteger),
  '--quiet-below': valueOption('quietBelowPercent', positiveNumber),
  '--quiet-wait': valueOption('quietWaitS', nonNegativeNumber),
  '--prefetch': valueOption('prefetch', positiveInteger),
  '--pool-size': valueOption('poolSize', positiveInteger),
  '--api-pool-size': valueOption('apiPoolSize', positiveInteger),
  '--customers': valueOption('customers', positiveInteger),
  '--seed': valueOption('seed', nonNegativeInteger),
};

/** Customers of the namespace's seed (createNamespace's default sizes). */
export const SEED_CUSTOMERS = 12;

/** Parses argv (without node and the script). Throws on an unknown or bad option. */
export function parseOptions(argv: readonly string[]): CheckoutAsyncBenchOptions {
  const quick = argv.includes('--quick');
  const options = parseCommandLine<CheckoutAsyncBenchOptions>(
    argv,
    {
      quick,
      workers: quick ? [1, 2] : [1, 2, 4],
      orders: quick ? 100 : 400,
      concurrency: 50,
      warmupOrders: quick ? 20 : 100,
      payment: { minMs: 50, maxMs: 150, rejection: 0 },
      cpuBoundWorkers: quick ? [2] : [1, 2, 4],
      brokerMessages: 0,
      repeat: quick ? 1 : 3,
      quietBelowPercent: 50,
      quietWaitS: 60,
      prefetch: 16,
      poolSize: 3,
      apiPoolSize: 4,
      customers: 10,
      seed: 7,
      logLevel: 'warn',
      outDir: 'docs/benchmarks',
    },
    OPTIONS,
  );
  if (options.customers > SEED_CUSTOMERS)
    throw new Error(`--customers: the seed has ${SEED_CUSTOMERS} customers (got ${options.customers})`);
  // Not given: as many messages as the measured orders move through the broker.
  if (options.brokerMessages === 0) options.brokerMessages = options.orders * MESSAGES_PER_ORDER;
  return options;
}
