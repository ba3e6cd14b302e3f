/**
 * Two coordinators behind one address, over HTTP: each a real app (buildApp on port 0) or a real
 * process (main.ts), with its lock state in Redis or PostgreSQL. The wire contract and the
 * seed's log lines are those of a single coordinator. Real servers; every test has its own key
 * prefix or schema and deletes it afterwards.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parseConfig } from '@dslab/config';
import {
  call,
  countByStatus,
  freePort,
  race,
  spawnService,
  TEST_POSTGRES_URL,
  TEST_REDIS_URL,
  uniqueName,
  type ServiceProcess,
} from '@dslab/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { coordinatorConfigOptions, coordinatorConfigSchema } from '../src/config.js';
import type { SharedStoreSettings } from '../src/wiring.js';
import { startCoordinator, until, type Coordinator } from './helpers.js';

interface Granted {
  recurso: string;
  token: number;
  ttl_restante_ms: number;
}
interface Problem {
  code: string;
  recurso?: string;
  ttl_restante_ms?: number;
}

const ENTRY = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** A fresh namespace on each shared store, and how to delete it. */
function namespace(kind: 'redis' | 'postgres'): { settings: SharedStoreSettings; drop(): Promise<void> } {
  const name = uniqueName('lockhttp').toLowerCase();
  if (kind === 'redis') {
    return {
      settings: { kind, url: TEST_REDIS_URL, prefix: name },
      async drop() {
        const redis = new Redis(TEST_REDIS_URL);
        const keys = await redis.keys(`${name}:*`);
        if (keys.length > 0) await redis.del(...keys);
        await redis.quit();
      },
    };
  }
  return {
    settings: { kind, url: TEST_POSTGRES_URL, schema: name },
    async drop() {
      const pool = new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 1 });
      await pool.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      await pool.end();
    },
  };
}

async function twoCoordinators(
  kind: 'redis' | 'postgres',
  body: (a: Coordinator, b: Coordinator) => Promise<void>,
): Promise<void> {
  const ns = namespace(kind);
  const a = await startCoordinator({ shared: ns.settings });
  const b = await startCoordinator({ shared: ns.settings });
  try {
    await body(a, b);
  } finally {
    await Promise.allSettled([a.close(), b.close()]);
    await ns.drop();
  }
}

const count = (messages: string[], line: string) => messages.filter((m) => m === line).length;

for (const kind of ['redis', 'postgres'] as const) {
  describe(`two coordinator apps sharing ${kind}`, () => {
    test('when 60 clients race POST /lock over two coordinators, then one gets 200 and 59 get 409; the seed lines add up', () =>
      twoCoordinators(kind, async (a, b) => {
        const recurso = 'Hubble-Acad_2025-12-01T03:00:00Z';
        const responses = await race<Granted & Problem>(
          a.url,
          Array.from({ length: 60 }, (_, i) => ({
            method: 'POST' as const,
            path: '/lock',
            body: { recurso, ttl_ms: 30_000 },
            baseUrl: i % 2 === 0 ? a.url : b.url,
          })),
        );
        assert.deepEqual(countByStatus(responses), { 200: 1, 409: 59 });
        for (const loser of responses.filter((r) => r.status === 409)) {
          assert.equal(loser.body.code, 'resource-locked');
          assert.ok(loser.body.ttl_restante_ms > 0);
        }
        const messages = [...a.messages(), ...b.messages()];
        assert.equal(count(messages, `Recebido pedido de lock para o recurso ${recurso}`), 60);
        assert.equal(count(messages, `Lock concedido para o recurso ${recurso}`), 1);
        assert.equal(count(messages, `Recurso ${recurso} já em uso, negando lock`), 59);

        const winner = responses.find((r) => r.status === 200);
        assert.ok(winner);
        // The winner asked one coordinator; it unlocks through the other.
        const other = winner.index % 2 === 0 ? b : a;
        const state = await call<{ travado: boolean }>(
          other.url,
          'GET',
          `/locks/${encodeURIComponent(recurso)}`,
        );
        assert.equal(state.body.travado, true);
        const stale = await call<Problem>(other.url, 'POST', '/unlock', {
          body: { recurso, token: winner.body.token + 1000 },
        });
        assert.equal(stale.status, 409);
        assert.equal(stale.body.code, 'stale-token');
        const unlocked = await call<{ liberado: boolean }>(other.url, 'POST', '/unlock', {
          body: { recurso, token: winner.body.token },
        });
        assert.equal(unlocked.status, 200);
        assert.deepEqual(unlocked.body, { recurso, liberado: true });
        assert.ok(other.messages().includes(`Lock para o recurso ${recurso} liberado`));
        const again = await call<Granted>(a.url, 'POST', '/lock', { body: { recurso, ttl_ms: 1_000 } });
        assert.equal(again.status, 200);
        assert.ok(again.body.token > winner.body.token, 'tokens keep growing across coordinators');
      }));

    test('when a client waits on B while A holds, then unlocking on A grants it on B; metrics on A count the shared lock', () =>
      twoCoordinators(kind, async (a, b) => {
        const recurso = 'Hubble-Acad_2025-12-01T03:05:00Z';
        const held = await call<Granted>(a.url, 'POST', '/lock', { body: { recurso, ttl_ms: 30_000 } });
        assert.equal(held.status, 200);
        const waiting = call<Granted>(b.url, 'POST', '/lock', {
          body: { recurso, ttl_ms: 5_000, espera_ms: 10_000 },
        });
        await until(() => b.lockService.waiting === 1, 'B queues the client');
        assert.ok(
          b
            .messages()
            .includes(`Recurso ${recurso} em uso; pedido entra na fila (posição 1, espera até 10000 ms)`),
        );
        const metrics = await call<string>(a.url, 'GET', '/metrics');
        assert.match(metrics.body, /^coordinator_locks_held(\{[^}]*\})? 1$/m);
        const state = await call<{ na_fila: number }>(a.url, 'GET', `/locks/${encodeURIComponent(recurso)}`);
        assert.equal(state.body.na_fila, 1, 'A sees the client queued on B');
        await call(a.url, 'POST', '/unlock', { body: { recurso, token: held.body.token } });
        const granted = await waiting;
        assert.equal(granted.status, 200);
        assert.ok(granted.body.token > held.body.token);
        assert.ok(b.messages().includes(`Lock concedido para o recurso ${recurso}`));
      }));
  });
}

describe('servico-coordenador processes with LOCK_STORE', () => {
  test('when LOCK_STORE names a shared store without its URL, then the start-up fails naming the missing key', () => {
    assert.throws(
      () => parseConfig(coordinatorConfigSchema, { LOCK_STORE: 'redis' }, coordinatorConfigOptions),
      /REDIS_URL is required when LOCK_STORE=redis/,
    );
    assert.throws(
      () =>
        parseConfig(
          coordinatorConfigSchema,
          { LOCK_STORE: 'postgres', DATABASE_URL: TEST_POSTGRES_URL, LOCK_STORE_PREFIX: 'Bad-Name' },
          coordinatorConfigOptions,
        ),
      /LOCK_STORE_PREFIX must be a PostgreSQL schema name/,
    );
    const dataDir = mkdtempSync(join(tmpdir(), 'coordenador-store-'));
    try {
      const result = spawnSync(process.execPath, ['--import', 'tsx', ENTRY], {
        cwd: REPO_ROOT,
        env: { ...process.env, LOCK_STORE: 'postgres', DATABASE_URL: '', DATA_DIR: dataDir },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(result.status, 78, result.stderr);
      assert.match(result.stderr, /DATABASE_URL is required when LOCK_STORE=postgres/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('when two coordinator processes share Redis, then a lock taken on one is held on both and tokens come from Redis', async () => {
    const ns = namespace('redis');
    const dataDir = mkdtempSync(join(tmpdir(), 'coordenador-store-'));
    const running: ServiceProcess[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const port = await freePort();
        running.push(
          await spawnService({
            entry: ENTRY,
            cwd: REPO_ROOT,
            port,
            env: {
              COORDINATOR_PORT: String(port),
              HOST: '127.0.0.1',
              DATA_DIR: join(dataDir, String(i)),
              LOG_DIR: '',
              LOG_LEVEL: 'info',
              LOG_FORMAT: 'line',
              LOCK_STORE: 'redis',
              REDIS_URL: TEST_REDIS_URL,
              LOCK_STORE_PREFIX: ns.settings.kind === 'redis' ? ns.settings.prefix : '',
            },
          }),
        );
      }
      const [one, two] = running;
      assert.ok(one && two);
      assert.match(
        one.output(),
        /estado dos locks compartilhado em Redis .*tokens de fencing do armazenamento/,
      );
      const recurso = 'Hubble-Acad_2025-12-01T03:10:00Z';
      const held = await call<Granted>(one.url, 'POST', '/lock', { body: { recurso, ttl_ms: 30_000 } });
      assert.equal(held.status, 200);
      const denied = await call<Problem>(two.url, 'POST', '/lock', { body: { recurso } });
      assert.equal(denied.status, 409);
      const unlocked = await call(two.url, 'POST', '/unlock', { body: { recurso, token: held.body.token } });
      assert.equal(unlocked.status, 200);
      // Graceful stop: the shutdown closes the store connections and exits 0.
      await Promise.all(running.map((p) => p.stop()));
      for (const p of running) assert.equal(p.child.exitCode, 0, p.output());
    } finally {
      await Promise.all(running.map((p) => p.kill()));
      rmSync(dataDir, { recursive: true, force: true });
      await ns.drop();
    }
  });
});
