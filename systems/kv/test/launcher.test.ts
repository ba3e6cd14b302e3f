// `npm run kv` for real: the launcher (systems/kv/start.ts) starts kv-api and two kv-consumer
// processes (their main.ts, as in production) against the test engines, in a namespace of this
// test (schema, cache prefix, queue prefix, ports, data dir). Through them: a PUT is applied by a
// consumer and read back; a poison message ends in the dead-letter queue, `npm run kv -- dlq`
// lists it and `dlq --replay` moves it back; Ctrl-C (SIGTERM) stops every process and exits 0.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { dropSchema } from '@dslab/db';
import { kvQueues } from '@dslab/kv-core';
import { deleteRedisKeys } from '@dslab/kv-core/testing';
import type { MessageBus } from '@dslab/messaging';
import { openTestAmqpBus, uniqueQueue } from '@dslab/messaging/testing';
import {
  call,
  freePort,
  TEST_AMQP_URL,
  TEST_POSTGRES_URL,
  TEST_REDIS_URL,
  uniqueName,
  waitUntilHealthy,
} from '@dslab/testing';
import { Redis } from 'ioredis';
import { inheritedEnvironment } from '../../../packages/testing/src/config.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const launcher = join(repoRoot, 'systems', 'kv', 'start.ts');

/** True when nothing listens on `port` of 127.0.0.1. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose next `count − 1` ports are free too (the consumers' ports are consecutive). */
async function freePorts(count: number): Promise<number> {
  for (;;) {
    const first = await freePort();
    if (first + count > 65_535) continue;
    const rest = await Promise.all(
      Array.from({ length: count - 1 }, (_, index) => isFree(first + index + 1)),
    );
    if (rest.every(Boolean)) return first;
  }
}

/** The launcher as a child process, like `npm run kv -- <args>`: what it printed so far, and its end. */
function spawnLauncher(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', launcher, ...args], {
    cwd: repoRoot,
    env: { ...inheritedEnvironment(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const append = (chunk: Buffer) => (text += chunk.toString('utf8'));
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  /** Its exit code once it exited and its output was read to the end. */
  const closed = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  return { child, output: () => text, closed };
}

/** Starts the launcher; resolves once the API answers /health. */
async function startLauncher(args: string[], env: Record<string, string>): Promise<Launched> {
  const { child, output, closed } = spawnLauncher(args, env);
  // A failed test must not leave the launcher (and its children) behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await closed;
  };
  const launched = { child, output, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
  try {
    await waitUntilHealthy({
      child,
      url: `http://127.0.0.1:${env.KV_PORT ?? ''}`,
      name: 'npm run kv',
      output,
      timeoutMs: 120_000,
    });
  } catch (error) {
    await launched.kill();
    throw error;
  }
  return launched;
}

interface Launched {
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM (what Ctrl-C does) and wait for the exit. */
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** Runs the launcher with a sub-command to its end; its exit code and everything it printed. */
async function runLauncher(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const { output, closed } = spawnLauncher(args, env);
  const code = await closed;
  return { code, output: output() };
}

async function until(condition: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('npm run kv (systems/kv/start.ts)', () => {
  const schema = uniqueName('kvl').toLowerCase();
  const queuePrefix = `${uniqueQueue('kvl')}.`;
  const cachePrefix = `${uniqueName('kvl')}:`;
  const queues = kvQueues(queuePrefix);
  const dataDir = mkdtempSync(join(tmpdir(), 'kv-launcher-'));
  let env: Record<string, string> = {};
  let kv: Launched | undefined;
  let bus: MessageBus | undefined;
  let apiUrl = '';

  before(async () => {
    const apiPort = await freePort();
    const consumerPort = await freePorts(2);
    env = {
      DATABASE_URL: TEST_POSTGRES_URL,
      REDIS_URL: TEST_REDIS_URL,
      AMQP_URL: TEST_AMQP_URL,
      KV_SCHEMA: schema,
      KV_QUEUE_PREFIX: queuePrefix,
      KV_CACHE_PREFIX: cachePrefix,
      KV_PORT: String(apiPort),
      KV_CONSUMER_PORT: String(consumerPort),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    };
    apiUrl = `http://127.0.0.1:${apiPort}`;
    bus = await openTestAmqpBus();
  });

  after(async () => {
    await kv?.kill();
    if (bus !== undefined) {
      await Promise.allSettled([bus.deleteQueue(queues.put), bus.deleteQueue(queues.delete)]);
      await bus.close();
    }
    const redis = new Redis(TEST_REDIS_URL);
    try {
      await deleteRedisKeys(redis, cachePrefix);
    } finally {
      redis.disconnect();
    }
    await dropSchema(TEST_POSTGRES_URL, schema);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('when it starts with --consumers 2, then the API and both consumers come up and it prints where they are and how to try them', async () => {
    kv = await startLauncher(['--consumers', '2'], env);
    const running = kv;
    await until(() => running.output().includes('KV is up'));
    const output = running.output();
    assert.match(output, /KV is up: kv-api and 2 kv-consumer\(s\)/);
    for (const name of ['kv-api', 'kv-consumer-1', 'kv-consumer-2']) {
      assert.match(output, new RegExp(`^${name} +\\| `, 'm'), `${name}'s lines are prefixed`);
    }
    assert.match(output, /kv-api +\| .*API listening on port \d+/);
    assert.match(output, new RegExp(`queues ${queuePrefix.replace('.', '\\.')}add_key`));
    assert.match(output, /curl -i -X PUT http:\/\/127\.0\.0\.1:\d+\/ -H 'content-type: application\/json'/);
    for (const offset of [0, 1]) {
      const health = await call(
        `http://127.0.0.1:${Number(env.KV_CONSUMER_PORT) + offset}`,
        'GET',
        '/health',
      );
      assert.equal(health.status, 200, health.text);
    }
  });

  test('when a key is PUT through it, then a consumer applies it and GET with min_version reads it back', async () => {
    const written = await call<{ version: number; _links: { read: { href: string } } }>(apiUrl, 'PUT', '/', {
      body: { key_name: 'launched', key_value: 'yes' },
    });
    assert.equal(written.status, 202, written.text);
    const read = await call<{ value: string; version: number }>(apiUrl, 'GET', written.body._links.read.href);
    assert.equal(read.status, 200, read.text);
    assert.deepEqual([read.body.value, read.body.version], ['yes', written.body.version]);
  });

  test('when a poison message is dead-lettered, then dlq lists it and dlq --replay moves it back', async () => {
    assert.ok(bus !== undefined);
    const openBus = bus;
    await openBus.publish(queues.put, { messageId: 'kv-poison', body: { key_name: 'p', key_value: 7 } });
    await until(async () => (await openBus.depth(queues.put)).dead === 1);

    const listed = await runLauncher(['dlq'], env);
    assert.equal(listed.code, 0, listed.output);
    assert.match(listed.output, new RegExp(`${queues.put.replace('.', '\\.')}\\.dlq: 1\\n +kv-poison `));
    assert.match(listed.output, new RegExp(`${queues.delete.replace('.', '\\.')}\\.dlq: empty`));

    const replayed = await runLauncher(['dlq', '--replay'], env);
    assert.equal(replayed.code, 0, replayed.output);
    assert.match(replayed.output, new RegExp(`replayed 1 to ${queues.put.replace('.', '\\.')}`));
    // Still poison: a consumer dead-letters it again.
    await until(async () => (await openBus.depth(queues.put)).dead === 1);
  });

  test('when it gets SIGTERM (Ctrl-C), then it stops every process and exits 0', async () => {
    assert.ok(kv !== undefined);
    await kv.stop();
    assert.equal(kv.child.exitCode, 0, kv.output().split('\n').slice(-20).join('\n'));
    assert.match(kv.output(), /SIGTERM: stopping kv-api and the consumers/);
    for (const port of [
      Number(env.KV_PORT),
      Number(env.KV_CONSUMER_PORT),
      Number(env.KV_CONSUMER_PORT) + 1,
    ]) {
      assert.ok(await isFree(port), `port ${port} is still taken`);
    }
  });
});
