// GET /health and the read path when an engine stops answering. A TCP proxy in front of the real
// Redis or PostgreSQL blackholes the path (bytes stop, sockets stay open: the worst case, no error
// ever arrives): /health still answers, 503 naming the engine, and GET still answers from
// PostgreSQL while Redis hangs. After the path heals, everything is 'ok' again.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createPostgresKvStore,
  createRedisKvCache,
  engineHealth,
  openKvDatabase,
  openKvRedis,
  type KvCache,
  type KvStore,
} from '@dslab/kv-core';
import { call, startTcpProxy, TEST_POSTGRES_URL, TEST_REDIS_URL, type TcpProxy } from '@dslab/testing';
import type { Redis } from 'ioredis';
import { startApi, testLogger, type ApiHarness } from './support.js';

interface Health {
  readonly status: string;
  readonly checks: Record<string, string>;
}

function proxied(url: string, port: number): string {
  const target = new URL(url);
  target.hostname = '127.0.0.1';
  target.port = String(port);
  return target.toString();
}

function targetOf(url: string, defaultPort: number): { targetHost: string; targetPort: number } {
  const parsed = new URL(url);
  return { targetHost: parsed.hostname, targetPort: Number(parsed.port || defaultPort) };
}

/** Polls GET /health until `accept` holds for its answer (no clock involved: each call is bounded). */
async function healthUntil(
  url: string,
  accept: (health: Health, status: number) => boolean,
): Promise<Health> {
  for (;;) {
    const response = await call<Health>(url, 'GET', '/health');
    if (accept(response.body, response.status)) return response.body;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('kv-api when Redis stops answering', () => {
  let proxy: TcpProxy;
  let redis: Redis;
  let api: ApiHarness;
  const lines: string[] = [];
  before(async () => {
    proxy = await startTcpProxy(targetOf(TEST_REDIS_URL, 6379));
    redis = await openKvRedis(
      { REDIS_URL: proxied(TEST_REDIS_URL, proxy.port), REDIS_COMMAND_TIMEOUT_MS: 200 },
      {
        connectionName: 'kv-api-test',
        logger: testLogger(lines),
        whileRedisIsDown: 'as leituras seguem pelo PostgreSQL',
      },
    );
    api = await startApi({
      // The API's cache goes through the proxy; the harness's consumer writes the same keys directly.
      cache: (kv): KvCache => createRedisKvCache(redis, { prefix: kv.cachePrefix, ttlMs: 60_000 }),
      health: (kv, bus) => engineHealth({ queryPostgres: () => kv.store.highestIssuedVersion(), redis, bus }),
    });
  });
  after(async () => {
    proxy.resume();
    await api.close();
    redis.disconnect();
    await proxy.close();
  });

  test('when every engine answers, then /health is 200 with each engine ok', async () => {
    const response = await call<Health>(api.url, 'GET', '/health');
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.body.checks, { postgres: 'ok', redis: 'ok', rabbitmq: 'ok' });
  });

  test('when the path to Redis is blackholed, then GET answers from PostgreSQL and /health answers 503 naming Redis', async () => {
    await call(api.url, 'PUT', '/', { body: { key_name: 'k', key_value: 'from postgres' } });
    await api.applyQueued();
    await api.kv.redis.del(`${api.kv.cachePrefix}k`);
    proxy.pause();
    const read = await call<{ value: string; source: string }>(api.url, 'GET', '/?key=k');
    assert.equal(read.status, 200, read.text);
    assert.deepEqual([read.body.value, read.body.source], ['from postgres', 'postgres']);
    const health = await call<Health>(api.url, 'GET', '/health');
    assert.equal(health.status, 503);
    assert.equal(health.body.status, 'unavailable');
    assert.notEqual(health.body.checks.redis, 'ok');
    assert.equal(health.body.checks.postgres, 'ok');
    assert.ok(
      api.lines.some((line) => line.includes('Cache indisponível')),
      `the reader warns once:\n${api.lines.join('\n')}`,
    );
  });

  test('when the path heals, then /health is 200 again and GET fills and reads the cache', async () => {
    proxy.resume();
    const health = await healthUntil(api.url, (_body, status) => status === 200);
    assert.equal(health.checks.redis, 'ok');
    const first = await call<{ source: string }>(api.url, 'GET', '/?key=k');
    const second = await call<{ source: string }>(api.url, 'GET', '/?key=k');
    assert.deepEqual([first.body.source, second.body.source], ['postgres', 'redis']);
  });
});

describe('kv-api when PostgreSQL stops answering', () => {
  let proxy: TcpProxy;
  let api: ApiHarness;
  let closeDatabase: () => Promise<void> = async () => undefined;
  let store: KvStore | undefined;
  before(async () => {
    proxy = await startTcpProxy(targetOf(TEST_POSTGRES_URL, 5432));
    api = await startApi({
      health: (kv, bus) =>
        engineHealth({
          queryPostgres: () => {
            assert.ok(store !== undefined);
            return store.highestIssuedVersion();
          },
          redis: kv.redis,
          bus,
        }),
    });
    const schema = api.kv.database.options.engine === 'postgres' ? api.kv.database.options.schema : 'kv';
    const database = await openKvDatabase({
      url: proxied(TEST_POSTGRES_URL, proxy.port),
      schema,
      poolSize: 2,
    });
    closeDatabase = () => database.close();
    store = createPostgresKvStore(database.db);
  });
  after(async () => {
    proxy.resume();
    await closeDatabase();
    await api.close();
    await proxy.close();
  });

  test('when the path to PostgreSQL is blackholed, then /health still answers, 503 naming PostgreSQL, and again on the next poll', async () => {
    assert.equal((await call(api.url, 'GET', '/health')).status, 200);
    proxy.pause();
    for (let poll = 0; poll < 2; poll++) {
      const response = await call<Health>(api.url, 'GET', '/health');
      assert.equal(response.status, 503, response.text);
      assert.match(response.body.checks.postgres ?? '', /^no answer in \d+ ms$/);
      assert.equal(response.body.checks.redis, 'ok');
    }
    proxy.resume();
    await healthUntil(api.url, (_body, status) => status === 200);
  });
});
