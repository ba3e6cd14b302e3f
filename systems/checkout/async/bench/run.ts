/**
 * One run of the checkout-async benchmark (see bench.ts for the command line): the baselines
 * (hello-world HTTP, the raw RabbitMQ round trip), then for each worker count a fresh namespace,
 * N worker processes (worker-main.ts, as deployed), the pedidos async API in this process, a
 * warm-up, and K orders POSTed at once and followed until every one is terminal. What a figure
 * claims is checked before it is reported: every measured order got a 202 and ended terminal,
 * and the consumers' inbox rows show how many messages an order really moved.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cpuBetween,
  cpuSnapshot,
  machineInfo,
  rabbitmqVersion,
  startHelloWorld,
  startNodeService,
  startSampler,
  waitForQuietMachine,
  withoutCredentials,
  type Bench,
  type BenchLog,
  type BenchProcess,
} from '@dslab/bench-kit';
import { checkoutQueues } from '@dslab/checkout-async';
import {
  createNamespace,
  loginCustomers,
  placeOrders,
  startApi,
  waitUntilTerminal,
  WORKER_MAIN,
  workerEnvironment,
  type Namespace,
  type RunningApi,
} from '@dslab/checkout-async/testing';
import { sql } from '@dslab/db';
import { call, freePort, seededRandom, uniqueName } from '@dslab/testing';
import { measureBrokerRoundTrip } from './broker.js';
import { checkoutAsyncCharts } from './charts.js';
import { benchEngines, childEnvironment, type BenchEngines } from './config.js';
import { HELP, parseOptions, type CheckoutAsyncBenchOptions, type PaymentSettings } from './options.js';
import { renderMarkdown, renderRunsTable, renderTextReport, toJson } from './report.js';
import {
  distribution,
  endToEnd,
  figuresOf,
  medianRun,
  otherCpu,
  paymentLabel,
  perSecond,
  sumKnown,
  type CheckoutAsyncBenchResults,
  type HttpBaseline,
  type OrderTimes,
  type ScenarioResult,
} from './results.js';

/** Requests of the hello-world baseline (at least; the orders' count when that is more). */
const HELLO_REQUESTS = 3000;

/** `count` operations, `concurrency` at a time; each one's latency (ms) and the span (s). */
async function runCount(
  count: number,
  concurrency: number,
  operation: (i: number) => Promise<number>,
): Promise<{ seconds: number; latencies: number[]; statuses: Record<string, number> }> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        const status = await operation(i);
        latencies.push(performance.now() - t0);
        statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, latencies, statuses };
}

/** The same client (@dslab/testing's call, undici) at the same concurrency against hello-world. */
async function measureHelloWorld(options: CheckoutAsyncBenchOptions, work: string): Promise<HttpBaseline> {
  const server = await startHelloWorld({
    name: 'baseline',
    logFile: join(work, 'baseline.log'),
    env: childEnvironment(),
  });
  try {
    const get = async () => (await call(server.url, 'GET', '/')).status;
    // Enough requests for a steady rate (a few hundred would be mostly connection set-up).
    const requests = Math.max(HELLO_REQUESTS, options.orders);
    await runCount(Math.min(500, requests), options.concurrency, get);
    const sampler = startSampler([{ name: 'baseline', pid: server.pid }]);
    const { seconds, latencies, statuses } = await runCount(requests, options.concurrency, get);
    const { usage } = sampler.stop();
    if (statuses['200'] !== requests) throw new Error(`hello-world answered ${JSON.stringify(statuses)}`);
    return {
      requests,
      concurrency: options.concurrency,
      seconds,
      rate: perSecond(requests, seconds),
      latencyMs: distribution(latencies),
      serverCpuPercent: usage.baseline?.cpuPercent ?? null,
    };
  } finally {
    await server.stop();
  }
}

/** A batch is clean when the rest of the machine used less than this (percent of one core). */
const CLEAN_BELOW_PERCENT = 20;

/** Waits for a quiet machine before a measurement (--quiet-below, --quiet-wait), saying so when it stays busy. */
async function quietMachine(options: CheckoutAsyncBenchOptions, log: BenchLog) {
  if (options.quietWaitS === 0) return { waitedSeconds: 0, cpuPercent: null, quiet: true };
  const gate = await waitForQuietMachine({
    belowPercent: options.quietBelowPercent,
    maxWaitMs: options.quietWaitS * 1000,
  });
  if (!gate.quiet)
    log(
      `  the machine stayed busy (${gate.cpuPercent?.toFixed(0) ?? '?'} % CPU) for ${options.quietWaitS} s: measuring anyway`,
    );
  return gate;
}

/** The order lines of K orders: 1–2 products, 1–3 units each, from a seeded generator. */
function orderMix(ns: Namespace, count: number, seed: number) {
  const random = seededRandom(seed);
  const produtos = ns.dataset.produtos.map((p) => p.id);
  return Array.from({ length: count }, () => {
    const lines = new Map<number, number>();
    const wanted = Math.min(produtos.length, 1 + Math.floor(random() * 2));
    while (lines.size < wanted) {
      const produto = produtos[Math.floor(random() * produtos.length)] ?? 1;
      lines.set(produto, 1 + Math.floor(random() * 3));
    }
    return [...lines].map(([produto_id, quantidade]) => ({ produto_id, quantidade }));
  });
}

async function startWorkers(
  ns: Namespace,
  options: CheckoutAsyncBenchOptions,
  payment: PaymentSettings,
  count: number,
): Promise<BenchProcess[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, async (_, i) => {
      const port = await freePort();
      return startNodeService({
        name: `worker-${i + 1}`,
        entry: WORKER_MAIN,
        port,
        logFile: join(ns.dir, `worker-${i + 1}.log`),
        timeoutMs: 180_000,
        env: {
          ...childEnvironment(),
          ...workerEnvironment(ns, port, {
            DATABASE_POOL_SIZE: String(options.poolSize),
            PREFETCH: String(options.prefetch),
            LOG_LEVEL: options.logLevel,
            LOG_FORMAT: 'line',
            PAGAMENTO_LATENCIA_MIN_MS: String(payment.minMs),
            PAGAMENTO_LATENCIA_MAX_MS: String(payment.maxMs),
            PAGAMENTO_TAXA_REJEICAO: String(payment.rejection),
          }),
        },
      });
    }),
  );
  const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(workers.map((w) => w.stop()));
    throw failed.reason;
  }
  return workers;
}

/**
 * ANALYZE every table of the namespace's six schemas: a fresh schema has no planner statistics
 * until autovacuum gets to it, which a database in service long has; without this the first
 * batch measures the planner's guesses on empty tables.
 */
async function analyzeNamespace(ns: Namespace): Promise<void> {
  for (const db of Object.values(ns.dbs)) {
    const { rows } = await sql<{ tablename: string }>`
      SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`.execute(db);
    for (const { tablename } of rows) await sql`ANALYZE ${sql.id(tablename)}`.execute(db);
  }
}

/** Inbox rows of the five consumers (one per message consumed and committed). */
async function inboxRows(ns: Namespace): Promise<number> {
  let total = 0;
  for (const service of ['pedidos', 'estoque', 'pagamentos', 'fiscal', 'logistica'] as const) {
    const { rows } = await sql<{
      n: number | string;
    }>`SELECT COUNT(*) AS n FROM mensagens_processadas`.execute(ns.dbs[service]);
    total += Number(rows[0]?.n ?? 0);
  }
  return total;
}

interface Configuration {
  readonly ns: Namespace;
  readonly api: RunningApi;
  readonly workers: readonly BenchProcess[];
  readonly payment: PaymentSettings;
  readonly startupSeconds: number;
  readonly tokenOf: (i: number) => string;
  /** Lines of every order of the configuration: warm-up first, then each batch's. */
  readonly mix: readonly { produto_id: number; quantidade: number }[][];
  readonly timeoutMs: number;
}

/**
 * One measured batch on running workers: K orders at once, followed until every order of the
 * namespace is terminal; the window (sampled) runs from the first POST to then.
 */
async function measureBatch(
  config: Configuration,
  options: CheckoutAsyncBenchOptions,
  repeat: number,
  quietWaitSeconds: number,
): Promise<ScenarioResult> {
  const { ns, api, workers } = config;
  const before = options.warmupOrders + repeat * options.orders;
  const latencies: number[] = [];
  const acceptanceStatuses: Record<string, number> = {};
  const engineStart = cpuSnapshot();
  const sampler = startSampler(workers.map((w) => ({ name: w.name, pid: w.pid })));
  const firstPostAt = Date.now();
  const t0 = performance.now();
  const ids = await placeOrders(api, options.orders, {
    concurrency: options.concurrency,
    tokenOf: config.tokenOf,
    itensOf: (i) => config.mix[before + i] ?? [],
    keyPrefix: `bench${repeat}`,
    onAnswer: (answer) => {
      latencies.push(answer.latencyMs);
      acceptanceStatuses[String(answer.status)] = (acceptanceStatuses[String(answer.status)] ?? 0) + 1;
    },
  });
  const acceptanceSeconds = (performance.now() - t0) / 1000;
  await waitUntilTerminal(ns.dbs, before + options.orders, config.timeoutMs);
  const windowSeconds = (performance.now() - t0) / 1000;
  const sampled = sampler.stop();
  const engineCpu = cpuBetween(engineStart, cpuSnapshot());

  // This batch's orders: every earlier one was terminal before it started, with smaller ids.
  const { rows } = await sql<OrderTimes>`
    SELECT status, data_criacao, atualizado_em FROM pedidos
    WHERE origem = 'checkout' AND id >= ${Math.min(...ids)}`.execute(ns.dbs.pedidos);
  if (rows.length !== options.orders)
    throw new Error(`expected ${options.orders} measured orders, found ${rows.length}`);
  const statuses: Record<string, number> = {};
  for (const row of rows) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
  const { durationsMs, lastTerminalAt } = endToEnd(rows);
  const completionSeconds = (lastTerminalAt - firstPostAt) / 1000;
  const depths = await Promise.all(checkoutQueues(ns.prefix).map((queue) => ns.bus.depth(queue)));
  const workersCpu = workers.map((w) => sampled.usage[w.name]?.cpuPercent ?? null);
  const batch: ScenarioResult = {
    workers: workers.length,
    payment: config.payment,
    orders: options.orders,
    startupSeconds: config.startupSeconds,
    acceptance: {
      seconds: acceptanceSeconds,
      rate: perSecond(ids.length, acceptanceSeconds),
      latencyMs: distribution(latencies),
      statuses: acceptanceStatuses,
    },
    completion: { seconds: completionSeconds, rate: perSecond(options.orders, completionSeconds) },
    endToEndMs: distribution(durationsMs),
    statuses,
    messagesPerOrder: (await inboxRows(ns)) / (before + options.orders),
    deadLetters: depths.reduce((sum, d) => sum + d.dead, 0),
    retrying: depths.reduce((sum, d) => sum + d.retrying, 0),
    windowSeconds,
    cpu: {
      workers: workersCpu,
      workersTotal: sumKnown(workersCpu),
      bench: sampled.benchCpuPercent,
      postgres: engineCpu.postgres,
      rabbitmq: engineCpu.rabbitmq,
      machine: engineCpu.machine,
    },
    workersMaxRssBytes: workers.map((w) => sampled.usage[w.name]?.maxRssBytes ?? null),
    quietWaitSeconds,
    repeat,
    repeats: [],
  };
  return { ...batch, repeats: [figuresOf(batch)] };
}

/**
 * One configuration (N workers, one payment setting) in a fresh namespace: the workers, the API,
 * a warm-up run to the end, then `repeat` measured batches, each after waiting for a quiet
 * machine. Answers the batch with the median completion rate, carrying every batch's figures.
 */
async function runConfiguration(
  engines: BenchEngines,
  options: CheckoutAsyncBenchOptions,
  payment: PaymentSettings,
  workerCount: number,
  log: BenchLog,
  facts: { postgres?: string },
): Promise<ScenarioResult> {
  const ns = await createNamespace({
    postgresUrl: engines.databaseUrl,
    amqpUrl: engines.amqpUrl,
    // Every order can ship: the runs measure throughput, not running out of stock.
    stockOf: () => 1_000_000,
    poolSize: options.apiPoolSize,
  });
  let api: RunningApi | undefined;
  let workers: BenchProcess[] = [];
  try {
    facts.postgres ??= await postgresVersion(ns);
    const startedAt = performance.now();
    workers = await startWorkers(ns, options, payment, workerCount);
    const startupSeconds = (performance.now() - startedAt) / 1000;
    api = await startApi(ns);
    const tokens = await loginCustomers(api, ns.dataset, options.customers);
    const total = options.warmupOrders + options.repeat * options.orders;
    const config: Configuration = {
      ns,
      api,
      workers,
      payment,
      startupSeconds,
      tokenOf: (i) => tokens[i % tokens.length] ?? '',
      mix: orderMix(ns, total, options.seed),
      timeoutMs: Math.max(180_000, options.orders * 1000),
    };
    if (options.warmupOrders > 0) {
      await placeOrders(api, options.warmupOrders, {
        concurrency: Math.min(options.concurrency, options.warmupOrders),
        tokenOf: config.tokenOf,
        itensOf: (i) => config.mix[i] ?? [],
        keyPrefix: 'aquecimento',
      });
      await waitUntilTerminal(ns.dbs, options.warmupOrders, config.timeoutMs);
    }
    await analyzeNamespace(ns);
    const batches: ScenarioResult[] = [];
    for (let repeat = 0; repeat < options.repeat; repeat++) {
      const gate = await quietMachine(options, log);
      const batch = await measureBatch(config, options, repeat, gate.waitedSeconds);
      batches.push(batch);
      log(
        `  batch ${repeat + 1}/${options.repeat}: ${batch.completion.rate.toFixed(1)} orders/s, ${batch.acceptance.rate.toFixed(0)} 202/s, ` +
          `other CPU on the machine ${otherCpu(batch.cpu)?.toFixed(0) ?? '?'} %` +
          (gate.waitedSeconds >= 2 ? ` (waited ${gate.waitedSeconds.toFixed(0)} s for a quiet machine)` : ''),
      );
    }
    return medianRun(batches, CLEAN_BELOW_PERCENT);
  } catch (error) {
    for (const worker of workers) log(`${worker.name} log (end):\n${worker.tail(1500)}`);
    throw error;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await api?.close();
    await ns.dispose();
  }
}

async function postgresVersion(ns: Namespace): Promise<string> {
  const { rows } = await sql<{ server_version: string }>`SHOW server_version`.execute(ns.dbs.pedidos);
  return rows[0]?.server_version ?? 'unknown';
}

export async function runCheckoutAsyncBench(
  options: CheckoutAsyncBenchOptions,
  log: BenchLog,
): Promise<CheckoutAsyncBenchResults> {
  const started = performance.now();
  const machine = machineInfo();
  const engines = benchEngines();
  const work = mkdtempSync(join(tmpdir(), 'checkout-async-bench-'));
  try {
    await quietMachine(options, log);
    log(`hello-world baseline: ${options.concurrency} GETs at a time`);
    const http = await measureHelloWorld(options, work);
    log(`  ${http.rate.toFixed(0)} req/s`);

    await quietMachine(options, log);
    log(
      `RabbitMQ round trip: ${options.brokerMessages} messages, one queue, one consumer (prefetch ${options.prefetch}), ${options.concurrency} confirmed publishes in flight`,
    );
    const broker = await measureBrokerRoundTrip({
      amqpUrl: engines.amqpUrl,
      queue: `${uniqueName('ckbench').toLowerCase()}.baseline`,
      messages: options.brokerMessages,
      concurrency: options.concurrency,
      prefetch: options.prefetch,
    });
    log(`  ${broker.rate.toFixed(0)} messages/s, p50 ${broker.latencyMs.p50.toFixed(1)} ms`);

    const plan: [PaymentSettings, number][] = [
      ...options.workers.map((n): [PaymentSettings, number] => [options.payment, n]),
      ...options.cpuBoundWorkers.map((n): [PaymentSettings, number] => [
        { minMs: 0, maxMs: 0, rejection: options.payment.rejection },
        n,
      ]),
    ];
    const runs: ScenarioResult[] = [];
    const facts: { postgres?: string } = {};
    for (const [payment, workers] of plan) {
      log(
        `${workers} worker(s), ${paymentLabel(payment)}: ${options.warmupOrders} warm-up orders, then ${options.repeat} × ${options.orders} orders, ${options.concurrency} POSTs at a time`,
      );
      runs.push(await runConfiguration(engines, options, payment, workers, log, facts));
      process.stdout.write(`\n${renderRunsTable(runs)}\n`);
    }
    const { outDir: _outDir, ...chosen } = options;
    return {
      machine,
      versions: {
        node: process.version,
        postgres: facts.postgres ?? 'unknown',
        rabbitmq: await rabbitmqVersion(),
      },
      settings: {
        ...chosen,
        engines: {
          postgres: withoutCredentials(engines.databaseUrl),
          amqp: withoutCredentials(engines.amqpUrl),
        },
        defaults: engines.defaults,
        notes: [
          'Each configuration (worker count, payment setting) has a namespace of its own (PostgreSQL schemas and RabbitMQ queues with a unique prefix, dropped at the end), migrated and seeded before its workers start; every product has 1,000,000 units, so every order can ship',
          `Per configuration: ${options.warmupOrders} warm-up orders run to the end, ANALYZE of the namespace's tables (the planner statistics a database in service has), then ${options.repeat} measured batch(es) on the same workers, each after waiting (up to ${options.quietWaitS} s) for the machine to be below ${options.quietBelowPercent} % CPU; the batch reported is the median by orders/s of the clean ones (the rest of the machine under ${CLEAN_BELOW_PERCENT} % of a core), or of all when none was clean; every batch is listed under "Details per run"`,
          `Workers: worker-main.ts as deployed, every one consuming all five queues; PREFETCH=${options.prefetch}, DATABASE_POOL_SIZE=${options.poolSize}, LOG_LEVEL=${options.logLevel}, output to a file`,
          'The pedidos async API (login, POST /pedidos → 202, its outbox relay) and catalogo/estoque pricing run inside the benchmark process, next to the HTTP client (as in the end-to-end tests)',
          'Load, services, PostgreSQL and RabbitMQ share this machine’s cores',
        ],
      },
      baselines: { http, broker },
      runs,
      totalSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `npm run bench:checkout-async`: writes checkout-async.json, .md and the charts into `--out`. */
export const CHECKOUT_ASYNC_BENCH: Bench<CheckoutAsyncBenchOptions, CheckoutAsyncBenchResults> = {
  script: 'bench:checkout-async',
  help: HELP,
  parseOptions,
  run: runCheckoutAsyncBench,
  report: {
    name: 'checkout-async',
    json: toJson,
    charts: checkoutAsyncCharts,
    markdown: renderMarkdown,
    text: renderTextReport,
  },
};
