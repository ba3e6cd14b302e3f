/**
 * The KV system for end-to-end tests, over real PostgreSQL, Redis and RabbitMQ, in a namespace of
 * its own (schema, Redis key prefix, queue prefix): kv-api built by `buildKvApi` on port 0 in this
 * process, and any number of consumers, either in-process (`startKvConsumer`, stopped and started
 * at will) or as real child processes (`kv-consumer/src/main.ts`, which a test can SIGKILL).
 * `close()` undoes everything, and a start that fails half-way cleans up what it had opened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropSchema } from '@dslab/db';
import { buildKvApi } from '@dslab/kv-api';
import { startKvConsumer, type RunningKvConsumer } from '@dslab/kv-consumer';
import {
  createKvApplier,
  createKvReader,
  createKvWriter,
  kvEngineEnvironment,
  openKvEngines,
  type KvCache,
  type KvEngineSettings,
  type KvQueues,
  type KvStore,
  type KvTables,
} from '@dslab/kv-core';
import { deleteRedisKeys } from '@dslab/kv-core/testing';
import { createLogger, type Logger } from '@dslab/logging';
import { createAmqpBus, type ConsumeOptions, type MessageBus } from '@dslab/messaging';
import { waitForDrain } from '@dslab/messaging/testing';
import {
  freePort,
  spawnService,
  startOnFreePort,
  TEST_AMQP_URL,
  TEST_POSTGRES_URL,
  TEST_REDIS_URL,
  uniqueName,
  type ServiceProcess,
} from '@dslab/testing';
import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import { createKvClient, type KvClient } from './client.js';
import { checkConvergence, type AcceptedWrite } from './invariants.js';

const CONSUMER_ENTRY = fileURLToPath(new URL('../kv-consumer/src/main.ts', import.meta.url));

/** Cache entries live an hour, as in production; tests never wait for a TTL. */
export const CACHE_TTL_MS = 3_600_000;

export interface KvNamespace {
  /** PostgreSQL schema of kv_store and kv_version_seq. */
  readonly schema: string;
  /** Prepended to add_key / del_key. */
  readonly queuePrefix: string;
  /** Prepended to every cache key (ends with ':'). */
  readonly cachePrefix: string;
}

export interface KvHarnessOptions {
  /** How long GET ?min_version waits before 425 (generous by default: the machine is shared). */
  readonly minVersionWaitMs?: number;
  /** How long the API's publish waits for the broker's confirm before 503. */
  readonly publishTimeoutMs?: number;
  /** The broker URL the API publishes through (e.g. a TCP proxy in front of RabbitMQ). */
  readonly apiAmqpUrl?: string;
  /** Print every log line (debugging). */
  readonly verbose?: boolean;
}

export interface InProcessConsumer {
  readonly bus: MessageBus;
  /** Stops taking messages, waits for the ones in flight, closes its broker connection. */
  stop(): Promise<void>;
}

export interface KvHarness {
  /** Base URL of kv-api (http://127.0.0.1:port). */
  readonly url: string;
  readonly namespace: KvNamespace;
  readonly queues: KvQueues;
  readonly db: Kysely<KvTables>;
  /** The real store and cache of this namespace (what the API uses). */
  readonly store: KvStore;
  readonly cache: KvCache;
  readonly redis: Redis;
  /** A bus of the test's own, for queue depths, dead letters and replays. */
  readonly admin: MessageBus;
  readonly logger: Logger;
  /** The last log lines of the API and the in-process consumers (for failure messages). */
  logTail(lines?: number): string;
  /** A consumer in this process on its own broker connection; `store` may wrap the real one. */
  startConsumer(options?: { store?: KvStore; consume?: ConsumeOptions }): Promise<InProcessConsumer>;
  /** kv-consumer's real entry point as a child process (SIGKILL-able). */
  spawnConsumer(env?: Record<string, string>): Promise<ServiceProcess>;
  /** Resolves when both queues have no ready and no retrying messages. */
  drain(timeoutMs?: number): Promise<void>;
  /** Dead letters of both queues. */
  deadLetterCount(): Promise<number>;
  /** Rows in kv_store (tombstones included): what the consumers applied so far. */
  rowCount(): Promise<number>;
  /** The convergence oracle (invariants.ts) over this namespace's PostgreSQL rows and cache entries. */
  convergenceProblems(keys: Iterable<string>, writes: readonly AcceptedWrite[]): Promise<string[]>;
  /**
   * Waits for both queues to drain (up to 90 s), then polls the oracle until it finds no problem:
   * the broker's counts leave out messages being handled, so a drained queue does not yet mean
   * converged. On timeout it throws with the first problems and `context()` (default: the log tail).
   */
  drainAndConverge(writes: readonly AcceptedWrite[], options?: ConvergeOptions): Promise<void>;
  close(): Promise<void>;
}

export interface ConvergeOptions {
  /** Every key the test touched (default: the written ones); the others must have no row. */
  readonly keys?: Iterable<string>;
  /** How long the oracle is polled once the queues drained (default 60 s). */
  readonly timeoutMs?: number;
  /** What else a failure message shows. */
  readonly context?: () => string;
}

/** Clean-up steps, run last-registered first; each runs even if an earlier one failed. */
type Cleanup = (() => unknown)[];

async function runCleanup(cleanup: Cleanup): Promise<void> {
  const errors: unknown[] = [];
  for (const step of cleanup.splice(0).reverse()) {
    try {
      await step();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, 'KV harness clean-up failed');
}

export function newNamespace(prefix = 'kve2e'): KvNamespace {
  const id = uniqueName(prefix).toLowerCase();
  return { schema: id, queuePrefix: `${id}.`, cachePrefix: `${id}:` };
}

export async function startKvHarness(options: KvHarnessOptions = {}): Promise<KvHarness> {
  const cleanup: Cleanup = [];
  try {
    return await assemble(options, cleanup);
  } catch (error) {
    await runCleanup(cleanup).catch(() => undefined);
    throw error;
  }
}

async function assemble(options: KvHarnessOptions, cleanup: Cleanup): Promise<KvHarness> {
  const namespace = newNamespace();
  const tail: string[] = [];
  const logger = createLogger({
    service: 'kv-e2e',
    level: 'info',
    console: options.verbose === true,
    onLine: (line) => {
      tail.push(line.trimEnd());
      if (tail.length > 400) tail.splice(0, tail.length - 400);
    },
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'kv-e2e-'));
  cleanup.push(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  // One set of engine settings for the in-process API and the child consumers, as the launcher
  // and compose give both deployables the same.
  const settings: KvEngineSettings = {
    DATABASE_URL: TEST_POSTGRES_URL,
    KV_SCHEMA: namespace.schema,
    DATABASE_POOL_SIZE: 10,
    REDIS_URL: TEST_REDIS_URL,
    // The production default (500 ms) is tight for a shared test machine; a timeout only means
    // a fallback or a retry, but the tests' waits would stretch.
    REDIS_COMMAND_TIMEOUT_MS: 5000,
    AMQP_URL: TEST_AMQP_URL,
    KV_QUEUE_PREFIX: namespace.queuePrefix,
    KV_CACHE_PREFIX: namespace.cachePrefix,
    KV_CACHE_TTL_MS: CACHE_TTL_MS,
  };
  cleanup.push(() => dropSchema(TEST_POSTGRES_URL, namespace.schema));
  // The API's engines, opened as kv-api's main.ts opens them.
  const engines = await openKvEngines(
    { ...settings, AMQP_URL: options.apiAmqpUrl ?? TEST_AMQP_URL },
    {
      connectionName: `${namespace.schema}-api`,
      logger,
      whileRedisIsDown: 'as leituras seguem pelo PostgreSQL',
      bus: {
        publishTimeoutMs: options.publishTimeoutMs ?? 5000,
        reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      },
    },
  );
  cleanup.push(() => engines.close());
  const { queues, store, cache, redis, db } = engines;
  cleanup.push(() => deleteRedisKeys(redis, namespace.cachePrefix));

  const admin = await createAmqpBus({
    url: TEST_AMQP_URL,
    connectionName: `${namespace.schema}-admin`,
    logger,
  });
  cleanup.push(() => admin.close());
  // Declared up front, so depths and dead letters can be read before anyone published.
  for (const queue of [queues.put, queues.delete]) {
    cleanup.push(() => admin.deleteQueue(queue));
    await admin.declareQueue(queue);
  }

  const app = await buildKvApi({
    logger,
    reader: createKvReader({ store, cache, logger, minVersionWaitMs: options.minVersionWaitMs ?? 10_000 }),
    writer: createKvWriter({ store, bus: engines.bus, queues, now: () => new Date(), logger }),
  });
  const server = await startOnFreePort(app);
  cleanup.push(() => server.close());

  const consumers = new Set<InProcessConsumer>();
  const children = new Set<ServiceProcess>();
  // Registered last, so they stop first: nothing may consume while the queues are deleted.
  cleanup.push(async () => {
    await Promise.allSettled([...children].map((child) => child.kill()));
    await Promise.allSettled([...consumers].map((consumer) => consumer.stop()));
  });

  const rowCount = async () => {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kv_store`.execute(db);
    return rows[0]?.n ?? 0;
  };
  const convergenceProblems = (keys: Iterable<string>, writes: readonly AcceptedWrite[]) =>
    checkConvergence({ db, redis, cachePrefix: namespace.cachePrefix, keys, writes });

  const drain = (timeoutMs = 60_000) => waitForDrain(admin, [queues.put, queues.delete], { timeoutMs });

  let consumerCount = 0;
  return {
    url: server.url,
    namespace,
    queues,
    db,
    store,
    cache,
    redis,
    admin,
    logger,
    logTail: (lines = 60) => tail.slice(-lines).join('\n'),
    async startConsumer(consumerOptions = {}) {
      const bus = await createAmqpBus({
        url: TEST_AMQP_URL,
        connectionName: `${namespace.schema}-consumer-${String(++consumerCount)}`,
        logger,
        reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      });
      let running: RunningKvConsumer;
      try {
        running = await startKvConsumer({
          bus,
          applier: createKvApplier({ store: consumerOptions.store ?? store, cache, logger }),
          queues,
          logger,
          ...(consumerOptions.consume === undefined ? {} : { consume: consumerOptions.consume }),
        });
      } catch (error) {
        await bus.close();
        throw error;
      }
      let stopping: Promise<void> | undefined;
      const consumer: InProcessConsumer = {
        bus,
        stop() {
          stopping ??= (async () => {
            try {
              await running.stop();
            } finally {
              await bus.close();
              consumers.delete(consumer);
            }
          })();
          return stopping;
        },
      };
      consumers.add(consumer);
      return consumer;
    },
    async spawnConsumer(env = {}) {
      const port = await freePort();
      const child = await spawnService({
        entry: CONSUMER_ENTRY,
        port,
        // Start-up under tsx on a busy 2-core machine can take several seconds.
        timeoutMs: 60_000,
        env: {
          ...kvEngineEnvironment(settings),
          HOST: '127.0.0.1',
          KV_CONSUMER_PORT: String(port),
          DATA_DIR: dataDir,
          LOG_DIR: dataDir,
          LOG_LEVEL: 'info',
          LOG_FORMAT: 'line',
          KV_RETRY_MAX_DELAY_MS: '1000',
          ...env,
        },
      });
      children.add(child);
      void new Promise<void>((resolve) => child.child.once('exit', () => resolve())).then(() =>
        children.delete(child),
      );
      return child;
    },
    drain,
    async deadLetterCount() {
      const depths = await Promise.all([admin.depth(queues.put), admin.depth(queues.delete)]);
      return depths.reduce((sum, depth) => sum + depth.dead, 0);
    },
    rowCount,
    convergenceProblems,
    async drainAndConverge(writes, convergeOptions = {}) {
      await drain(90_000);
      const keys = [...(convergeOptions.keys ?? writes.map((write) => write.key))];
      let problems: string[] = [];
      await eventually(
        async () => {
          problems = await convergenceProblems(keys, writes);
          return problems.length === 0 ? true : undefined;
        },
        {
          timeoutMs: convergeOptions.timeoutMs ?? 60_000,
          intervalMs: 100,
          describe: () =>
            `${String(problems.length)} problems, e.g.\n${problems.slice(0, 10).join('\n')}\n` +
            (convergeOptions.context ?? (() => tail.slice(-60).join('\n')))(),
        },
      );
    },
    close: () => runCleanup(cleanup),
  };
}

/**
 * A harness and a client of its API for the length of `run`, both closed after it whatever
 * happens (`connections`: the client's keep-alive pool).
 */
export async function withKvHarness(
  run: (kv: KvHarness, client: KvClient) => Promise<void>,
  options: KvHarnessOptions & { readonly connections?: number } = {},
): Promise<void> {
  const kv = await startKvHarness(options);
  const client = createKvClient(kv.url, options.connections);
  try {
    await run(kv, client);
  } finally {
    await client.close();
    await kv.close();
  }
}

/** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes; then throws `describe()`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; intervalMs?: number; describe: () => string | Promise<string> },
): Promise<T> {
  const deadline = performance.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline)
      throw new Error(`not within ${String(options.timeoutMs)} ms: ${await options.describe()}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}
