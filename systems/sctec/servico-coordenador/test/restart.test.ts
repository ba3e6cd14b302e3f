/**
 * servico-coordenador as a real process (`node --import tsx src/main.ts`): fencing tokens keep
 * growing across a crash (SIGKILL) and a graceful stop, app.log lands in DATA_DIR, and a bad
 * configuration stops the start-up naming every bad key.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { createLockClient } from '@dslab/lock-client';
import { freePort, spawnService, type ServiceProcess } from '@dslab/testing';
import { TOKEN_MARK_FILE } from '../src/wiring.js';

const ENTRY = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SECRET = 'restart-test-secret-0123456789';

const dataDir = mkdtempSync(join(tmpdir(), 'coordenador-restart-'));
const running: ServiceProcess[] = [];
after(async () => {
  await Promise.all(running.map((p) => p.kill()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function startProcess(): Promise<ServiceProcess> {
  const port = await freePort();
  const service = await spawnService({
    entry: ENTRY,
    cwd: REPO_ROOT,
    port,
    env: {
      COORDINATOR_PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_DIR: '',
      LOG_FORMAT: 'line',
      LOG_LEVEL: 'info',
      COORDINATOR_SECRET: SECRET,
    },
  });
  running.push(service);
  return service;
}

/** Takes `count` locks on distinct resources (releasing all but the last); returns every token. */
async function takeLocks(url: string, run: string, count: number): Promise<number[]> {
  const client = createLockClient({ baseUrl: url, secret: SECRET });
  try {
    const tokens: number[] = [];
    for (let i = 0; i < count; i++) {
      const result = await client.lock({ recurso: `Hubble-Acad_${run}_${i}`, ttlMs: 60_000 });
      assert.ok(result.granted, `lock ${i} of run ${run}`);
      tokens.push(result.token);
      if (i < count - 1)
        assert.equal(await client.unlock({ recurso: result.recurso, token: result.token }), 'released');
    }
    return tokens;
  } finally {
    await client.close();
  }
}

test('when the coordinator is killed and restarted on the same DATA_DIR, then every new token is greater than all before', async () => {
  const first = await startProcess();
  assert.match(first.output(), /COORDINATOR_SECRET definido/);
  const before = await takeLocks(first.url, 'a', 5);
  assert.deepEqual(
    before,
    [...before].sort((x, y) => x - y),
    'tokens increase within one run',
  );
  assert.ok(existsSync(join(dataDir, TOKEN_MARK_FILE)), 'the high-water mark is on disk');
  await first.kill(); // SIGKILL: no shutdown hook runs, as in a crash

  const second = await startProcess();
  // The lock held at the crash is gone with the process; the fresh token fences its holder out.
  const afterCrash = await takeLocks(second.url, 'a', 3);
  assert.ok(
    Math.min(...afterCrash) > Math.max(...before),
    `${JSON.stringify(afterCrash)} > ${JSON.stringify(before)}`,
  );
  await second.stop(); // SIGTERM: graceful
  assert.equal(second.child.exitCode, 0, second.output());

  const third = await startProcess();
  const afterStop = await takeLocks(third.url, 'b', 2);
  assert.ok(Math.min(...afterStop) > Math.max(...afterCrash));
  await third.stop();

  const log = readFileSync(join(dataDir, 'app.log'), 'utf8');
  assert.match(
    log,
    /^INFO:\S+Z:servico-coordenador:Recebido pedido de lock para o recurso Hubble-Acad_a_0 \[trace=[0-9a-f]{32}\]$/m,
  );
  assert.match(
    log,
    /^INFO:\S+Z:servico-coordenador:Lock concedido para o recurso Hubble-Acad_b_1 \[trace=[0-9a-f]{32}\]$/m,
  );
  assert.match(
    log,
    /^INFO:\S+Z:servico-coordenador:Lock para o recurso Hubble-Acad_a_0 liberado \[trace=[0-9a-f]{32}\]$/m,
  );
  assert.ok(!log.includes(SECRET), 'the secret never reaches the log');
});

test('when the configuration is bad, then the start-up fails naming every bad key', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', ENTRY], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      COORDINATOR_PORT: 'abc',
      DEFAULT_TTL_MS: '0',
      COORDINATOR_SECRET: 'x7#q',
      DATA_DIR: dataDir,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(result.status, 78, result.stderr);
  for (const key of ['COORDINATOR_PORT', 'DEFAULT_TTL_MS', 'COORDINATOR_SECRET'])
    assert.match(result.stderr, new RegExp(key));
  assert.ok(!result.stderr.includes('x7#q'), 'a rejected secret is not echoed');
});
