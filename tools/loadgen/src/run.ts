/**
 * One run of `npm run bench:checkout`: the hello-world baseline, then for each transport a fresh
 * namespace (PostgreSQL schemas, RabbitMQ queues), the checkout started as separate processes
 * (topology.ts), a warm-up, the open-model steps up to the knee, the closed-model runs, the
 * fault phases and the hop-latency phase. Around every phase: a resource sampler, the fault
 * scheduler, and afterwards the auditor over the six databases. Nothing here computes a figure
 * the report shows without it coming from a measurement saved in the results.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  machineInfo,
  rabbitmqVersion,
  REPOSITORY_ROOT,
  startHelloWorld,
  waitForQuietMachine,
  type BenchLog,
} from '@dslab/bench-kit';
import { createNamespace, type Namespace } from '@dslab/checkout-async/testing';
import { sql } from '@dslab/db';
import { Agent, request } from 'undici';
import { auditCheckout } from './auditor.js';
import { childEnvironment, loadgenEngines, type LoadgenEngines } from './config.js';
import { createOrderDriver, orderMix } from './drivers.js';
import { startFaultScheduler, type FaultSpec } from './faults.js';
import { runStepped } from './knee.js';
import { runClosed, runOpen, type Operation, type PhaseCore, type ProgressSnapshot } from './models.js';
import type { CheckoutBenchOptions } from './options.js';
import { createProgressReporter } from './progress.js';
import { measureCodeSize } from './report/code-size.js';
import type {
  CheckoutBenchResults,
  FaultEvent,
  LoadTransport,
  PhaseResult,
  TransportResults,
} from './results.js';
import { startResourceSampler } from './sampler.js';
import { startSystem, type SystemUnderTest } from './topology.js';

/** Stock of every product at the start: every order can ship, so the runs measure the checkout, not its running out. */
const STOCK_PER_PRODUCT = 1_000_000;
/** How long the auditor waits for in-flight orders to end after a phase (a fault phase needs the longest). */
const SETTLE_TIMEOUT_MS = 120_000;
/** Orders of a phase are numbered from phase × this: the same order number is the same order on every transport. */
const ORDERS_PER_PHASE_SLOT = 1_000_000;

interface TransportContext {
  readonly transport: LoadTransport;
  readonly ns: Namespace;
  readonly system: SystemUnderTest;
  readonly operation: Operation;
  readonly options: CheckoutBenchOptions;
  readonly log: BenchLog;
  /** Phase slots used so far (order numbers). */
  slot: number;
}

/** Counters the fault scheduler's logical triggers read: rows in the services' own tables. */
function countersOf(ns: Namespace) {
  const count = (db: Namespace['dbs']['pedidos'], table: string) => async () => {
    const { rows } = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${sql.table(table)}`.execute(
      db,
    );
    return Number(rows[0]?.n ?? 0);
  };
  return {
    payments: count(ns.dbs.pagamentos, 'pagamentos'),
    orders: count(ns.dbs.pedidos, 'pedidos'),
    shipments: count(ns.dbs.logistica, 'envios'),
  };
}

/** What every phase's load model gets from the runner. */
interface PhaseCommon {
  readonly label: string;
  readonly firstIndex: number;
  readonly operation: Operation;
  readonly timeoutMs: number;
  readonly onProgress: (snapshot: ProgressSnapshot) => void;
}

/**
 * One measured phase: sampler and fault scheduler around the load model, then the auditor once
 * the orders in flight have ended.
 */
async function measurePhase(
  ctx: TransportContext,
  label: string,
  model: (common: PhaseCommon) => Promise<PhaseCore>,
  faults: readonly FaultSpec[] = [],
): Promise<PhaseResult> {
  const firstIndex = ++ctx.slot * ORDERS_PER_PHASE_SLOT;
  const startedAt = performance.now();
  const sampler = startResourceSampler({
    startedAt,
    processes: () => ctx.system.processes.map((p) => ({ name: p.name, pid: p.pid })),
  });
  const scheduler =
    faults.length === 0
      ? undefined
      : startFaultScheduler({
          specs: faults,
          seed: ctx.options.seed,
          target: ctx.system,
          counters: countersOf(ctx.ns),
          startedAt,
          log: (line) => ctx.log(`  ${line}`),
        });
  const progress = createProgressReporter(process.stderr, process.stderr.isTTY);
  let core: PhaseCore;
  try {
    core = await model({
      label,
      firstIndex,
      operation: ctx.operation,
      timeoutMs: ctx.options.timeoutMs,
      onProgress: progress.update,
    });
  } catch (error) {
    progress.done();
    // The scheduler restores whatever it killed or paused before the error goes on.
    await scheduler?.stop();
    sampler.stop();
    throw error;
  }
  progress.done();
  const events: FaultEvent[] = (await scheduler?.stop()) ?? [];
  const resources = sampler.stop();
  const audit = await auditCheckout({
    ns: ctx.ns,
    transport: ctx.transport,
    settleTimeoutMs: SETTLE_TIMEOUT_MS,
  });
  const problems = audit.violations.length;
  ctx.log(
    `  ${label}: ${core.sent} sent, ${core.shipped} shipped, ${core.cancelled} cancelled, ${core.errors} errors; ` +
      `p50 ${core.endToEnd.p50.toFixed(0)} ms, p99 ${core.endToEnd.p99.toFixed(0)} ms; ` +
      `${core.throughput.toFixed(1)}/s; audit ${problems === 0 ? 'clean' : `${problems} violation(s)`}` +
      (audit.unsettled > 0 ? `, ${audit.unsettled} order(s) never ended` : ''),
  );
  for (const violation of audit.violations.slice(0, 5)) ctx.log(`    ${violation}`);
  return { ...core, resources, faults: events, audit };
}

async function openPhase(
  ctx: TransportContext,
  label: string,
  rate: number,
  seconds: number,
  faults: readonly FaultSpec[] = [],
): Promise<PhaseResult> {
  return measurePhase(ctx, label, (common) => runOpen({ ...common, rate, seconds }), faults);
}

async function closedPhase(ctx: TransportContext, concurrency: number): Promise<PhaseResult> {
  return measurePhase(ctx, `closed ${concurrency} client(s)`, (common) =>
    runClosed({ ...common, concurrency, seconds: ctx.options.closedSeconds }),
  );
}

/** Orders placed and run to the end before measuring, a few at a time; not counted anywhere. */
async function warmUp(ctx: TransportContext): Promise<void> {
  const count = ctx.options.warmupOrders;
  if (count === 0) return;
  let next = 0;
  const controller = new AbortController();
  await Promise.all(
    Array.from({ length: Math.min(4, count) }, async () => {
      for (let i = next++; i < count; i = next++) await ctx.operation(i, controller.signal);
    }),
  );
  await auditCheckout({ ns: ctx.ns, transport: ctx.transport, settleTimeoutMs: SETTLE_TIMEOUT_MS });
}

async function runTransport(
  transport: LoadTransport,
  engines: LoadgenEngines,
  options: CheckoutBenchOptions,
  work: string,
  log: BenchLog,
  facts: { postgres?: string },
): Promise<TransportResults> {
  const ns = await createNamespace({
    postgresUrl: engines.databaseUrl,
    amqpUrl: engines.amqpUrl,
    stockOf: () => STOCK_PER_PRODUCT,
    poolSize: 4,
  });
  let system: SystemUnderTest | undefined;
  let closeDriver: (() => Promise<void>) | undefined;
  try {
    facts.postgres ??= await postgresVersion(ns);
    log(`${transport}: starting the processes`);
    system = await startSystem({
      transport,
      ns,
      payment: options.payment,
      seed: options.seed,
      logDir: join(work, transport),
      logLevel: options.logLevel,
      ...(options.latency === null ? {} : { hopLatency: { service: options.latency.service, delayMs: 0 } }),
      prefetch: options.prefetch,
      environment: childEnvironment(),
    });
    log(`  ${system.processes.length} processes up in ${system.startupSeconds.toFixed(1)} s`);
    const driver = await createOrderDriver({
      transport,
      pedidos: system.pedidos,
      ns,
      mix: orderMix(ns.dataset, options.seed, options.customers),
      customers: options.customers,
      timeoutMs: options.timeoutMs,
      keyPrefix: `lg-${transport}-${Date.now().toString(36)}`,
    });
    closeDriver = () => driver.close();
    const ctx: TransportContext = {
      transport,
      ns,
      system,
      operation: driver.operation,
      options,
      log,
      slot: 0,
    };
    await warmUp(ctx);

    log(
      `${transport}: open model, ${options.rates.join(', ')} orders/s × ${options.stepSeconds} s until p99 > ${options.targetP99Ms} ms`,
    );
    const stepped = await runStepped({
      rates: options.rates,
      targetP99Ms: options.targetP99Ms,
      runStep: (rate) => openPhase(ctx, `open ${rate}/s`, rate, options.stepSeconds),
    });
    log(`  knee: ${stepped.kneeReason}`);

    log(
      `${transport}: closed model, ${options.concurrencies.join(', ')} client(s) × ${options.closedSeconds} s`,
    );
    const closed: PhaseResult[] = [];
    for (const concurrency of options.concurrencies) closed.push(await closedPhase(ctx, concurrency));

    const faults: PhaseResult[] = [];
    for (const fault of options.faults) {
      log(`${transport}: fault ${fault.text} at ${options.faultRate} orders/s for ${options.faultSeconds} s`);
      faults.push(
        await openPhase(ctx, `fault ${fault.text}`, options.faultRate, options.faultSeconds, [fault]),
      );
    }
    if (options.latency !== null) {
      const { latency } = options;
      log(
        `${transport}: ${latency.delayMs} ms on the hop to ${latency.service} at ${options.faultRate} orders/s`,
      );
      system.setHopDelay(latency.delayMs);
      try {
        faults.push(await openPhase(ctx, `latency ${latency.text}`, options.faultRate, options.faultSeconds));
      } finally {
        system.setHopDelay(0);
      }
    }
    return {
      transport,
      startupSeconds: system.startupSeconds,
      processes: system.processes.map((p) => p.name),
      open: {
        steps: stepped.steps,
        kneeRate: stepped.kneeRate,
        kneeReason: stepped.kneeReason,
      },
      closed,
      faults,
    };
  } catch (error) {
    if (system !== undefined) log(`${transport}: failed; process logs are in ${join(work, transport)}`);
    throw error;
  } finally {
    await closeDriver?.();
    await system?.stop();
    await ns.dispose();
  }
}

async function postgresVersion(ns: Namespace): Promise<string> {
  const { rows } = await sql<{ server_version: string }>`SHOW server_version`.execute(ns.dbs.pedidos);
  return rows[0]?.server_version ?? 'unknown';
}

/** The same HTTP client (undici, keep-alive) against a hello-world server, 32 requests at a time. */
async function measureBaseline(work: string): Promise<CheckoutBenchResults['baseline']> {
  const server = await startHelloWorld({
    name: 'baseline',
    logFile: join(work, 'baseline.log'),
    env: childEnvironment(),
  });
  const dispatcher = new Agent({ connections: 64 });
  try {
    const operation: Operation = async () => {
      const response = await request(server.url, { dispatcher });
      await response.body.dump();
      return response.statusCode === 200
        ? { outcome: { kind: 'shipped' } }
        : { outcome: { kind: 'error', error: `http-${response.statusCode}` } };
    };
    await runClosed({
      label: 'warm-up',
      concurrency: 32,
      seconds: 1,
      operation,
      firstIndex: 0,
      timeoutMs: 10_000,
    });
    const run = await runClosed({
      label: 'hello-world',
      concurrency: 32,
      seconds: 3,
      operation,
      firstIndex: 0,
      timeoutMs: 10_000,
    });
    return { rate: run.throughput, p50Ms: run.endToEnd.p50, p99Ms: run.endToEnd.p99 };
  } finally {
    await dispatcher.close();
    await server.stop();
  }
}

export async function runCheckoutBench(
  options: CheckoutBenchOptions,
  log: BenchLog,
): Promise<CheckoutBenchResults> {
  const started = performance.now();
  const engines = loadgenEngines();
  const work = mkdtempSync(join(tmpdir(), 'checkout-loadgen-'));
  let results: CheckoutBenchResults;
  try {
    const gate = await waitForQuietMachine({ belowPercent: 50, maxWaitMs: 60_000 });
    if (!gate.quiet)
      log(`the machine stayed busy (${gate.cpuPercent?.toFixed(0) ?? '?'} % CPU): measuring anyway`);
    log('hello-world baseline: the same HTTP client, 32 requests at a time, 3 s');
    const baseline = await measureBaseline(work);
    log(`  ${baseline.rate.toFixed(0)} req/s, p99 ${baseline.p99Ms.toFixed(1)} ms`);
    const facts: { postgres?: string } = {};
    const transports: TransportResults[] = [];
    for (const transport of options.transports)
      transports.push(await runTransport(transport, engines, options, work, log, facts));
    results = {
      version: 1,
      generatedAt: new Date().toISOString(),
      machine: machineInfo(),
      versions: {
        node: process.version,
        postgres: facts.postgres ?? 'unknown',
        rabbitmq: await rabbitmqVersion(),
      },
      settings: {
        transports: options.transports,
        seed: options.seed,
        payment: options.payment,
        targetP99Ms: options.targetP99Ms,
        rates: options.rates,
        stepSeconds: options.stepSeconds,
        concurrencies: options.concurrencies,
        closedSeconds: options.closedSeconds,
        faults: options.faults.map((f) => f.text),
        latency: options.latency?.text ?? null,
        faultRate: options.faultRate,
        faultSeconds: options.faultSeconds,
        timeoutMs: options.timeoutMs,
        customers: options.customers,
        warmupOrders: options.warmupOrders,
        notes: [
          `Engines: PostgreSQL and RabbitMQ on this machine${engines.defaults.length > 0 ? ` (${engines.defaults.join(', ')} at the development default)` : ''}; every transport in a namespace of its own (schemas and queues with a unique prefix), migrated and seeded before its processes start, ${STOCK_PER_PRODUCT.toLocaleString('en')} units of every product`,
          'grpc and rest: the six services as six Node processes (their main.ts, as deployed), pedidos calling its neighbours over the transport; async: estoque, catalogo and pedidos (TRANSPORT=async) as three processes and one checkout-worker process per step service (WORKER_SERVICES=<service>), on RabbitMQ',
          'The load generator runs in its own process on the same machine: one keep-alive connection pool (REST, async) or one gRPC channel; async end-to-end ends at the order’s atualizado_em when it turned terminal, read by one poll of the pedidos database every 20 ms',
          `Open model: order i is due at i / rate; its latency counts from that due time, not from when it was sent, so a stalled system cannot slow the load down and hide its own stall (no coordinated omission). An order not ended after ${options.timeoutMs} ms counts as a timeout error with that latency`,
          ...(options.latency === null
            ? []
            : [
                `The hop of the latency phase (${options.latency.service}) goes through a TCP proxy inside the load generator's process in every phase, with 0 ms delay outside the latency phase, so every phase of a transport has the same path`,
              ]),
          `After every phase the auditor waits (up to ${SETTLE_TIMEOUT_MS / 1000} s) for the orders in flight to end, then checks the six databases`,
          'Load, services, PostgreSQL and RabbitMQ share this machine’s cores',
        ],
      },
      baseline,
      transports,
      codeSize: measureCodeSize(REPOSITORY_ROOT),
      totalSeconds: (performance.now() - started) / 1000,
    };
  } catch (error) {
    log(`the processes' logs are kept in ${work}`);
    throw error;
  }
  rmSync(work, { recursive: true, force: true });
  return results;
}
