import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

async function script(path: string, env: Record<string, string> = {}) {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path], {
      cwd: root,
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '' };
  }
}

test('npm run demo:race shows the race of seed delivery 2: several 201s, duplicate rows and audit lines', async () => {
  const { code, stdout } = await script('systems/sctec/demos/race.ts');
  assert.equal(code, 0, stdout);
  const summary =
    /(\d+) respostas 201 para UM slot, (\d+) registros conflitantes no BD, (\d+) logs de auditoria/.exec(
      stdout,
    );
  assert.ok(summary, stdout);
  assert.ok(Number(summary[1]) > 1 && Number(summary[2]) > 1 && Number(summary[3]) > 1, summary[0]);
  assert.match(stdout, /Iniciando verificação de conflito no BD/);
});

test('npm run demo:lock shows delivery 3: one 201 and nine 409, one row, one audit line, one grant and nine denials', async () => {
  const { code, stdout } = await script('systems/sctec/demos/lock.ts');
  assert.equal(code, 0, stdout);
  assert.match(
    stdout,
    /1× 201 Created e 9× 409 Conflict; 1 registro no BD; 1 log de auditoria; coordenador: 1 lock concedido, 9 negados\./,
  );
});

test('npm run audit:verify names the first altered entry of a tampered database', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-cli-'));
  try {
    // Make a real trail: the race demo's database, kept.
    const race = await script('systems/sctec/demos/race.ts', { KEEP_DEMO_DATA: 'true' });
    const kept = /Arquivos: (\S+)\/app\.log/.exec(race.stdout)?.[1];
    assert.ok(kept, race.stdout);
    copyFileSync(join(kept, 'sctec.db'), join(dir, 'sctec.db'));
    rmSync(kept, { recursive: true, force: true });
    const cli = 'systems/sctec/servico-agendamento/src/cli/audit-verify.ts';
    const intact = await script(cli, { DATA_DIR: dir });
    assert.equal(intact.code, 0, intact.stdout);
    assert.match(intact.stdout, /íntegra: \d+ entradas/);

    const db = new Database(join(dir, 'sctec.db'));
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare("UPDATE audit_log SET details = replace(details, 'Hubble', 'Webb') WHERE seq = 3").run();
    db.close();
    const broken = await script(cli, { DATA_DIR: dir });
    assert.equal(broken.code, 1, broken.stdout);
    assert.match(broken.stdout, /entry seq 3: stored hash \w+ does not match its content/);

    const missing = await script(cli, { DATA_DIR: join(dir, 'nope') });
    assert.equal(missing.code, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
