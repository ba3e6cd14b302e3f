/**
 * One run of the KV benchmark (see bench.ts for the command line): raw Redis, a hello-world
 * server and the real kv-api/kv-consumer processes, measured one after the other on this
 * machine. What a figure claims is checked before it is reported: the GET runs are cache hits
 * (the answer says source "redis"), and the apply rate counts rows the consumer really wrote.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Pool } from 'undici';
import {
  machineInfo,
  readCpuSeconds,
  runAutocannon,
  sampleWhile,
  startHelloWorld,
  startNodeService,
  withoutCredentials,
  type AutocannonRequestParams,
  type Bench,
  type BenchLog,
  type BenchProcess,
  type HelloWorldServer,
  type LoadResult,
} from '@dslab/bench-kit';
import { freePort } from '@dslab/testing';
import { kvCharts } from './charts.js';
import { benchEngines, childEnvironment, type BenchEngines } from './config.js';
import { HELP, parseOptions, type KvBenchOptions } from './options.js';
import { runRedisBenchmark } from './redis-benchmark.js';
import { renderMarkdown, renderTextReport, toJson } from './report.js';
import type { ApplyResult, KvBenchResults, MeasuredRun, ProcessName } from './results.js';

const entries = {
  api: fileURLToPath(new URL('../kv-api/src/main.ts', import.meta.url)),
  consumer: fileURLToPath(new URL('../kv-consumer/src/main.ts', import.meta.url)),
};

/** The names one run works in (schema, queue and key prefixes), so parallel runs never meet. */
function namespace() {
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  return {
    schema: `kvbench_${id}`,
    queuePrefix: `kvbench_${id}.`,
    cachePrefix: `kvbench:${id}:`,
    scratchKey: `kvbench:${id}:raw-hmget`,
  };
}

type Namespace = ReturnType<typeof namespace>;

/** What every KV child process is told (the rest of its settings keep their defaults). */
function kvEnvironment(engines: BenchEngines, ns: Namespace, options: KvBenchOptions, dataDir: string) {
  return {
    ...childEnvironment(),
    HOST: '127.0.0.1',
    DATABASE_URL: engines.databaseUrl,
    REDIS_URL: engines.redisUrl,
    AMQP_URL: engines.amqpUrl,
    KV_SCHEMA: ns.schema,
    KV_QUEUE_PREFIX: ns.queuePrefix,
    KV_CACHE_PREFIX: ns.cachePrefix,
    DATA_DIR: dataDir,
    LOG_DIR: dataDir,
    LOG_LEVEL: options.logLevel,
    LOG_FORMAT: 'line',
    // All load comes from 127.0.0.1: a per-address limit would throttle the load generator.
    RATE_LIMIT_PER_MINUTE: '0',
  };
}

interface Running {
  processes: Partial<Record<ProcessName, BenchProcess>>;
}

/** Runs `work` while sampling the CPU of every running process. */
async function measured(running: Running, work: () => Promise<LoadResult>): Promise<MeasuredRun> {
  const list = Object.entries(running.processes).map(([name, p]) => ({ name, pid: p.pid }));
  const { result, usage, benchCpuPercent } = await sampleWhile(list, work);
  const cpuPercent: Partial<Record<ProcessName, number>> = {};
  for (const [name, u] of Object.entries(usage))
    if (u.cpuPercent !== undefined) cpuPercent[name as ProcessName] = u.cpuPercent;
  return { ...result, cpuPercent, benchCpuPercent };
}

async function httpJson(
  pool: Pool,
  method: 'GET' | 'PUT',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await pool.request({
    method,
    path,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: response.statusCode, body: parsed };
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline)
      throw new Error(`timed out after ${String(timeoutMs)} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runKvBench(options: KvBenchOptions, log: BenchLog): Promise<KvBenchResults> {
  const started = performance.now();
  const engines = benchEngines();
  const ns = namespace();
  const work = mkdtempSync(join(tmpdir(), 'kv-bench-'));
  const running: Running = { processes: {} };
  const redis = new Redis(engines.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  const database = new pg.Client({ connectionString: engines.databaseUrl });
  const queues = { put: `${ns.queuePrefix}add_key`, delete: `${ns.queuePrefix}del_key` };
  const stopAll = async () => {
    for (const p of Object.values(running.processes)) await p.stop();
    running.processes = {};
  };
  const machine = machineInfo();
  try {
    await redis.connect();
    await database.connect();

    // 1. The raw engine: redis-benchmark's GET, and the HMGET a cache hit sends.
    log(`redis-benchmark GET (-n ${String(options.redisRequests)} -c ${String(options.redisClients)})`);
    const redisGet = await runRedisBenchmark({
      url: engines.redisUrl,
      requests: options.redisRequests,
      clients: options.redisClients,
    });
    await redis.hset(ns.scratchKey, {
      v: '1',
      d: '0',
      val: 'x'.repeat(options.valueBytes),
      t: new Date().toISOString(),
    });
    log('redis-benchmark HMGET of a cache-shaped hash');
    const redisHmget = await runRedisBenchmark({
      url: engines.redisUrl,
      requests: options.redisRequests,
      clients: options.redisClients,
      command: ['HMGET', ns.scratchKey, 'v', 'd', 'val', 't'],
    });
    log(`  GET ${redisGet.rps.toFixed(0)}/s, HMGET ${redisHmget.rps.toFixed(0)}/s`);

    // 2. The hello-world baselines: bare Fastify, then the platform's http-kit.
    const baselineRuns = await measureHello(options, running, work, log, 'baseline', 'fastify');
    const kitBaselineRuns = await measureHello(options, running, work, log, 'kit-baseline', 'http-kit');

    // 3. kv-api and one kv-consumer, as deployed (their main.ts), in a namespace of their own.
    const env = kvEnvironment(engines, ns, options, work);
    const apiPort = await freePort();
    log('starting kv-api and kv-consumer');
    running.processes['kv-api'] = await startNodeService({
      name: 'kv-api',
      entry: entries.api,
      port: apiPort,
      logFile: join(work, 'kv-api.log'),
      env: { ...env, KV_PORT: String(apiPort) },
    });
    const apiUrl = running.processes['kv-api'].url;
    const prefetch = 32;
    const startConsumer = async (label: string) => {
      const port = await freePort();
      return startNodeService({
        name: 'kv-consumer',
        entry: entries.consumer,
        port,
        logFile: join(work, `${label}.log`),
        env: { ...env, KV_CONSUMER_PORT: String(port), KV_PREFETCH: String(prefetch) },
      });
    };
    running.processes['kv-consumer'] = await startConsumer('kv-consumer');
    const client = new Pool(apiUrl, { connections: 64 });
    try {
      // 4. GET, cache hit: write one key, wait until it is applied, read it once to fill the cache.
      const hitKey = 'bench-hit';
      const put = await httpJson(client, 'PUT', '/', {
        key_name: hitKey,
        key_value: 'v'.repeat(options.valueBytes),
      });
      if (put.status !== 202)
        throw new Error(`PUT answered ${String(put.status)}: ${JSON.stringify(put.body)}`);
      const version = Number(put.body.version);
      await waitFor('the hit key to be applied', 30_000, async () => {
        const r = await httpJson(client, 'GET', `/?key=${hitKey}&min_version=${String(version)}`);
        return r.status === 200 ? r : undefined;
      });
      const check = await httpJson(client, 'GET', `/?key=${hitKey}`);
      if (check.status !== 200 || check.body.source !== 'redis')
        throw new Error(
          `the warm key was not a cache hit: ${String(check.status)} ${JSON.stringify(check.body)}`,
        );
      const getUrl = `${apiUrl}/?key=${hitKey}`;
      log(`warm-up GET cache hit (${String(options.warmupS)} s)`);
      await runAutocannon({ url: getUrl, connections: 10, durationS: options.warmupS });
      const getRuns: MeasuredRun[] = [];
      for (const connections of options.connections) {
        log(`GET cache hit, ${String(connections)} connections, ${String(options.durationS)} s`);
        getRuns.push(
          await measured(running, () =>
            runAutocannon({ url: getUrl, connections, durationS: options.durationS }),
          ),
        );
      }
      const after = await httpJson(client, 'GET', `/?key=${hitKey}`);
      const getHitSource = String(after.body.source);

      // 5. Apply rate: queue N writes with no consumer, then start one and time the drain.
      await running.processes['kv-consumer'].stop();
      delete running.processes['kv-consumer'];
      log(`queueing ${String(options.messages)} writes with the consumer stopped`);
      const apply = await measureApply(options, client, database, ns, engines, queues.put, async () => {
        const t0 = performance.now();
        const consumer = await startConsumer('kv-consumer-apply');
        running.processes['kv-consumer'] = consumer;
        return { t0, consumer };
      });
      log(`  ${String(apply.applied)} applied at ${apply.rate.toFixed(0)}/s`);
      // Set again by the start-up callback above.
      await running.processes['kv-consumer'].stop();
      delete running.processes['kv-consumer'];

      // 6. PUT acceptance with distinct keys (consumer stopped: the acceptance path alone).
      let counter = 0;
      const value = 'p'.repeat(options.valueBytes);
      const putTarget = (label: string) => ({
        url: `${apiUrl}/`,
        requests: [
          {
            method: 'PUT',
            path: '/',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request: AutocannonRequestParams) => ({
              ...request,
              body: JSON.stringify({ key_name: `bench-put-${label}-${String(counter++)}`, key_value: value }),
            }),
          },
        ],
      });
      log(`warm-up PUT (${String(options.warmupS)} s)`);
      await runAutocannon({ ...putTarget('warm'), connections: 10, durationS: options.warmupS });
      const putRuns: MeasuredRun[] = [];
      for (const connections of options.connections) {
        log(`PUT distinct keys, ${String(connections)} connections, ${String(options.durationS)} s`);
        putRuns.push(
          await measured(running, () =>
            runAutocannon({
              ...putTarget(`c${String(connections)}`),
              connections,
              durationS: options.durationS,
            }),
          ),
        );
      }
      const putStatuses: Record<string, number> = {};
      for (const run of putRuns)
        for (const [code, count] of Object.entries(run.statusCodes))
          putStatuses[code] = (putStatuses[code] ?? 0) + count;

      // Every option but where the files go, in the options' order.
      const { outDir: _outDir, ...chosen } = options;
      const results: KvBenchResults = {
        machine,
        settings: {
          ...chosen,
          engines: {
            postgres: withoutCredentials(engines.databaseUrl),
            redis: withoutCredentials(engines.redisUrl),
            amqp: withoutCredentials(engines.amqpUrl),
          },
          defaults: engines.defaults,
          notes: [
            `LOG_LEVEL=${options.logLevel} on kv-api and kv-consumer; their output goes to a file, not a pipe`,
            'RATE_LIMIT_PER_MINUTE=0 on kv-api (all load comes from one address)',
            'Load comes from this same machine (autocannon and redis-benchmark), so the client, the services and the three engines share its cores',
          ],
        },
        redis: { get: redisGet, hmget: redisHmget },
        http: { baseline: baselineRuns, kitBaseline: kitBaselineRuns, getHit: getRuns, put: putRuns },
        apply,
        checks: { getHitSource, putStatuses },
        totalSeconds: (performance.now() - started) / 1000,
      };
      return results;
    } finally {
      await client.close();
    }
  } finally {
    await stopAll();
    await cleanUp(engines, ns, queues, redis, database).catch((error: unknown) => {
      log(`clean-up failed: ${String(error)}`);
    });
    rmSync(work, { recursive: true, force: true });
  }
}

/** Starts one hello-world server, warms it up, measures it at every connection count, stops it. */
async function measureHello(
  options: KvBenchOptions,
  running: Running,
  work: string,
  log: BenchLog,
  name: 'baseline' | 'kit-baseline',
  server: HelloWorldServer,
): Promise<MeasuredRun[]> {
  const baseline = await startHelloWorld({
    name,
    server,
    logFile: join(work, `${name}.log`),
    env: childEnvironment(),
  });
  running.processes[name] = baseline;
  try {
    const url = `${baseline.url}/`;
    log(`warm-up ${name} (${String(options.warmupS)} s)`);
    await runAutocannon({ url, connections: 10, durationS: options.warmupS });
    const runs: MeasuredRun[] = [];
    for (const connections of options.connections) {
      log(`${name}, ${String(connections)} connections, ${String(options.durationS)} s`);
      runs.push(
        await measured(running, () => runAutocannon({ url, connections, durationS: options.durationS })),
      );
    }
    return runs;
  } finally {
    await baseline.stop();
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- one of two known names
    delete running.processes[name];
  }
}

async function measureApply(
  options: KvBenchOptions,
  client: Pool,
  database: pg.Client,
  ns: Namespace,
  engines: BenchEngines,
  queue: string,
  startConsumer: () => Promise<{ t0: number; consumer: BenchProcess }>,
): Promise<ApplyResult> {
  const value = 'a'.repeat(options.valueBytes);
  // 32 writers share one counter, so exactly `messages` distinct keys are written.
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let index = next++; index < options.messages; index = next++) {
        const r = await httpJson(client, 'PUT', '/', {
          key_name: `bench-apply-${String(index)}`,
          key_value: value,
        });
        if (r.status !== 202) throw new Error(`PUT answered ${String(r.status)}: ${JSON.stringify(r.body)}`);
      }
    }),
  );
  const queuedBefore = await readyMessages(engines.amqpUrl, queue);
  const { t0, consumer } = await startConsumer();
  const cpuAtHealth = readCpuSeconds(consumer.pid);
  const healthAt = performance.now();
  const table = `${ns.schema}.kv_store`;
  const timeoutMs = Math.max(60_000, options.messages * 20);
  const done = await waitFor('the consumer to apply every queued write', timeoutMs, async () => {
    const { rows } = await database.query<{ n: number; span: number | null }>(
      `SELECT count(*)::int AS n, extract(epoch FROM max(applied_at) - min(applied_at))::float8 AS span
         FROM ${table} WHERE key LIKE 'bench-apply-%'`,
    );
    const row = rows[0];
    return row !== undefined && row.n >= options.messages ? row : undefined;
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpuAtEnd = readCpuSeconds(consumer.pid);
  const windowS = (performance.now() - healthAt) / 1000;
  const span = done.span ?? 0;
  return {
    messages: options.messages,
    applied: done.n,
    applySeconds: span,
    rate: span > 0 ? (done.n - 1) / span : Number.NaN,
    wallSeconds,
    queuedBefore,
    prefetch: 32,
    // Only meaningful when the drain outlasted the consumer's start-up (it usually does).
    consumerCpuPercent:
      cpuAtHealth === undefined || cpuAtEnd === undefined || windowS < 0.5
        ? undefined
        : (100 * (cpuAtEnd - cpuAtHealth)) / windowS,
  };
}

async function readyMessages(amqpUrl: string, queue: string): Promise<number> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    const { messageCount } = await channel.checkQueue(queue);
    return messageCount;
  } finally {
    await connection.close();
  }
}

async function cleanUp(
  engines: BenchEngines,
  ns: Namespace,
  queues: { put: string; delete: string },
  redis: Redis,
  database: pg.Client,
): Promise<void> {
  try {
    await database.query(`DROP SCHEMA IF EXISTS ${ns.schema} CASCADE`);
  } finally {
    await database.end();
  }
  try {
    for (const prefix of [ns.cachePrefix, ns.scratchKey]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  // The queues with their retry stages and dead-letter queues (the messaging topology's names).
  const connection = await amqp.connect(engines.amqpUrl);
  try {
    const channel = await connection.createChannel();
    for (const queue of [queues.put, queues.delete])
      for (const name of [queue, `${queue}.retry`, `${queue}.dlq`]) await channel.deleteQueue(name);
  } finally {
    await connection.close();
  }
}

/** `npm run bench:kv`: writes kv.json, kv.md and the chart into `--out`. */
export const KV_BENCH: Bench<KvBenchOptions, KvBenchResults> = {
  script: 'bench:kv',
  help: HELP,
  parseOptions,
  run: runKvBench,
  report: { name: 'kv', json: toJson, charts: kvCharts, markdown: renderMarkdown, text: renderTextReport },
};
