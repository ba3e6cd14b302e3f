/** Command-line options of `npm run bench:checkout` and `npm run report:checkout` (pure parsing, no I/O). */
import {
  BASE_OPTIONS,
  LOG_LEVELS,
  nonNegativeInteger,
  parseCommandLine,
  paymentSimulatorOptions,
  positiveInteger,
  positiveIntegerList,
  positiveNumber,
  valueOption,
  type BaseBenchOptions,
  type CommandLineOptions,
} from '@dslab/bench-kit';
import { parseFault, parseLatency, type FaultSpec } from './faults.js';
import { LOAD_TRANSPORTS, type LoadTransport } from './results.js';

export interface CheckoutBenchOptions extends BaseBenchOptions {
  transports: LoadTransport[];
  /** Open model: the arrival rates of the steps (orders/s), in order. */
  rates: number[];
  stepSeconds: number;
  /** A step whose p99 end-to-end latency passes this is past the knee (the stepping stops). */
  targetP99Ms: number;
  /** Closed model: clients of each run. */
  concurrencies: number[];
  closedSeconds: number;
  /** Fault scenarios, each one phase of the open model at faultRate for faultSeconds. */
  faults: FaultSpec[];
  /** One phase with this delay on one hop (null: none). */
  latency: { service: FaultSpec['service']; delayMs: number; text: string } | null;
  faultRate: number;
  faultSeconds: number;
  /** The load generator gives up on an order after this long (it counts as a timeout error). */
  timeoutMs: number;
  payment: { minMs: number; maxMs: number; rejection: number };
  /** Customers the orders are spread over. */
  customers: number;
  /** Orders placed before the measured phases (connections, JIT, caches warm), not counted. */
  warmupOrders: number;
  /** Seed of the order mix, the payment simulator and the fault scheduler. */
  seed: number;
  /** PREFETCH of each async worker. */
  prefetch: number;
}

export const DEFAULT_FAULTS = ['kill:pagamentos@5s+5s', 'pause:estoque@payments=60+4s'] as const;
export const DEFAULT_LATENCY = 'pagamentos=200ms';

export const HELP = `npm run bench:checkout -- [options]

Drives the same order mix against the checkout over gRPC, REST and the asynchronous saga (seed 003
§5.3, seed 004), each started as separate processes on fresh PostgreSQL schemas (and RabbitMQ
queues for async). Per transport:

  open model    a constant arrival rate per step (--rates), stepped until the knee: the first
                step whose p99 passes --target-p99-ms, whose errors pass 1 %, or whose
                throughput falls below 90 % of the offered rate; latency counts from each
                order's due time, so a stall is not hidden (no coordinated omission)
  closed model  N clients, each sending its next order when its last one ended (--concurrency)
  faults        each --fault as one open-model phase at --fault-rate, and one phase with
                --latency on a hop; the same seeded schedule for every transport

An auditor checks the six databases after every phase (stock conservation, one payment per
order, one invoice and dispatch per shipped order, nothing shipped unpaid, every order ended).
Results: <out>/checkout.json (every figure, the HDR histograms), checkout.md and charts.

  --quick                    smoke run (~3 min): rates 5,10, 4 s steps, concurrency 4, one fault
  --transports grpc,rest,async   (all three)
  --rates 5,10,20,…          open-model arrival rates, orders/s (5,10,20,30,40,60,80,120,160)
  --step-seconds S           seconds per open-model step (full 10, quick 4)
  --target-p99-ms MS         the knee's p99 target (1000)
  --concurrency 1,8,32       closed-model clients per run (full 1,8,32, quick 4)
  --closed-seconds S         seconds per closed-model run (full 10, quick 4)
  --fault SPEC               a fault scenario, repeatable (default ${DEFAULT_FAULTS.join(' and ')}):
                               kill:SERVICE@10s+5s          SIGKILL at 10 s, restarted 5 s later
                               pause:SERVICE@payments=100+3s  SIGSTOP after the 100th payment, SIGCONT 3 s later
                               kill:SERVICE@random(5s..15s)+4s  at a time drawn from --seed
                             counters: payments, orders, shipments
  --no-faults                no fault phases (and no latency phase unless --latency is given)
  --latency SERVICE=MS       a phase with that delay on the hop to SERVICE (default ${DEFAULT_LATENCY})
  --fault-rate N             arrival rate of the fault phases, orders/s (full 20, quick 5)
  --fault-seconds S          seconds per fault phase (full 30, quick 12)
  --timeout-ms MS            the load generator gives up on an order after MS (30000)
  --payment-latency MIN-MAX  payment simulator latency in ms (20-80)
  --rejection F              fraction of payments refused, 0–1 (0.1)
  --customers N              customers the orders are spread over (12)
  --warmup-orders N          orders before the measured phases, not counted (full 40, quick 10)
  --prefetch N               PREFETCH of each async worker (16)
  --seed N                   seed of the order mix, the simulators and the fault times (42)
  --log-level L              LOG_LEVEL of the services: ${LOG_LEVELS.join(', ')} (warn)
  --out DIR                  output folder (docs/benchmarks/checkout; --quick: data/bench-checkout-quick)
  --help

Engines come from DATABASE_URL and AMQP_URL (development defaults: the local servers,
postgres://postgres@127.0.0.1:5432/test and amqp://guest:guest@127.0.0.1:5672). Each transport
works in a namespace of its own (schemas and queues with a unique prefix), dropped at the end.`;

/** "grpc,async" → the transports, in the canonical order, without repeats. */
function transportList(flag: string, text: string | undefined): LoadTransport[] {
  const names = (text ?? '').split(',').map((part) => part.trim());
  const unknown = names.filter((name) => !(LOAD_TRANSPORTS as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0)
    throw new Error(`${flag} needs a list of ${LOAD_TRANSPORTS.join(', ')} (got ${String(text)})`);
  return LOAD_TRANSPORTS.filter((t) => names.includes(t));
}

/** Ascending, without repeats: the stepping goes up. */
function ascending(flag: string, text: string | undefined): number[] {
  return [...new Set(positiveIntegerList(flag, text))].sort((a, b) => a - b);
}

function faultOption(flag: string, text: string | undefined): FaultSpec {
  try {
    return parseFault(text ?? '');
  } catch (error) {
    throw new Error(`${flag}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

const OPTIONS: CommandLineOptions<CheckoutBenchOptions & { faultsGiven: boolean; noFaults: boolean }> = {
  ...BASE_OPTIONS,
  '--transports': valueOption('transports', transportList),
  '--rates': valueOption('rates', ascending),
  '--step-seconds': valueOption('stepSeconds', positiveNumber),
  '--target-p99-ms': valueOption('targetP99Ms', positiveNumber),
  '--concurrency': valueOption('concurrencies', ascending),
  '--closed-seconds': valueOption('closedSeconds', positiveNumber),
  '--fault': {
    takesValue: true,
    apply: (options, text, flag) => {
      if (!options.faultsGiven) options.faults = [];
      options.faultsGiven = true;
      options.faults.push(faultOption(flag, text));
    },
  },
  '--no-faults': {
    takesValue: false,
    apply: (options) => {
      options.noFaults = true;
    },
  },
  '--latency': {
    takesValue: true,
    apply: (options, text, flag) => {
      try {
        options.latency = { ...parseLatency(text ?? ''), text: text ?? '' };
      } catch (error) {
        throw new Error(`${flag}: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
    },
  },
  '--fault-rate': valueOption('faultRate', positiveNumber),
  '--fault-seconds': valueOption('faultSeconds', positiveNumber),
  '--timeout-ms': valueOption('timeoutMs', positiveInteger),
  ...paymentSimulatorOptions(),
  '--customers': valueOption('customers', positiveInteger),
  '--warmup-orders': valueOption('warmupOrders', nonNegativeInteger),
  '--prefetch': valueOption('prefetch', positiveInteger),
  '--seed': valueOption('seed', nonNegativeInteger),
};

/** Customers of the namespace's seed data (createNamespace's default sizes). */
export const SEED_CUSTOMERS = 12;

/** Parses argv (without node and the script). Throws on an unknown or bad option. */
export function parseBenchOptions(argv: readonly string[]): CheckoutBenchOptions {
  const quick = argv.includes('--quick');
  const parsed = parseCommandLine<CheckoutBenchOptions & { faultsGiven: boolean; noFaults: boolean }>(
    argv,
    {
      quick,
      transports: [...LOAD_TRANSPORTS],
      rates: quick ? [5, 10] : [5, 10, 20, 30, 40, 60, 80, 120, 160],
      stepSeconds: quick ? 4 : 10,
      targetP99Ms: 1000,
      concurrencies: quick ? [4] : [1, 8, 32],
      closedSeconds: quick ? 4 : 10,
      faults: (quick ? DEFAULT_FAULTS.slice(0, 1) : DEFAULT_FAULTS).map((text) => parseFault(text)),
      latency: null,
      faultRate: quick ? 5 : 20,
      faultSeconds: quick ? 12 : 30,
      timeoutMs: 30_000,
      payment: { minMs: 20, maxMs: 80, rejection: 0.1 },
      customers: SEED_CUSTOMERS,
      warmupOrders: quick ? 10 : 40,
      prefetch: 16,
      seed: 42,
      logLevel: 'warn',
      // A smoke run must not replace the saved results the report is built from.
      outDir: quick ? 'data/bench-checkout-quick' : 'docs/benchmarks/checkout',
      faultsGiven: false,
      noFaults: false,
    },
    OPTIONS,
  );
  const { faultsGiven, noFaults, ...options } = parsed;
  if (noFaults && faultsGiven) throw new Error('--no-faults and --fault contradict each other');
  if (noFaults) options.faults = [];
  if (options.latency === null && !noFaults && !quick)
    options.latency = { ...parseLatency(DEFAULT_LATENCY), text: DEFAULT_LATENCY };
  if (options.customers > SEED_CUSTOMERS)
    throw new Error(`--customers: the seed data has ${SEED_CUSTOMERS} customers (got ${options.customers})`);
  const tooLate = options.faults.find(
    (fault) => fault.trigger.kind === 'time' && fault.trigger.atS >= options.faultSeconds,
  );
  if (tooLate !== undefined)
    throw new Error(
      `--fault ${tooLate.text} fires after the phase ends (--fault-seconds ${options.faultSeconds})`,
    );
  return options;
}
