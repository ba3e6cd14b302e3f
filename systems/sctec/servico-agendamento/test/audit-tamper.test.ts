import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { call, ENGINES } from '@dslab/testing';
import { sql } from 'kysely';
import { futureSlot, startCoordinatorProcess, startScheduler, type Sctec } from '../../test/harness.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../../', import.meta.url));

interface Verification {
  ok: boolean;
  entradas?: number;
  primeira_quebra?: { seq: number; reason: string; expected?: unknown; descricao: string };
}

/** `npm run audit:verify` as an operator runs it, as a child process pointed at the scheduler's database. */
async function auditVerifyCli(sctec: Sctec): Promise<{ code: number; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.DATABASE_SCHEMA;
  delete env.DATA_DIR;
  const options = sctec.database.options;
  if (options.engine === 'postgres') {
    env.DATABASE_URL = options.url;
    env.DATABASE_SCHEMA = options.schema;
  } else {
    // The CLI reads DATA_DIR/sctec.db; the test database is a file of another name in its own
    // directory, so a link gives it the expected name (SQLite follows it, WAL included).
    const dir = dirname(options.file);
    try {
      symlinkSync(options.file, join(dir, 'sctec.db'));
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
    env.DATA_DIR = dir;
  }
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'audit:verify'], {
      cwd: root,
      env,
      timeout: 60_000,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/**
 * Acts as a rogue DBA: runs `change` with the append-only triggers out of the way. On
 * PostgreSQL the table owner (the migrating user, no superuser needed) disables the trigger
 * inside one transaction and enables it again before committing, so no other session ever
 * sees it off; on SQLite the triggers are simply dropped.
 */
async function behindTheApplicationsBack(
  sctec: Sctec,
  change: (db: Sctec['database']['db']) => Promise<unknown>,
): Promise<void> {
  if (sctec.database.engine === 'postgres') {
    await sctec.database.db.transaction().execute(async (trx) => {
      await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`.execute(trx);
      await change(trx);
      await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change`.execute(trx);
    });
  } else {
    await sql`DROP TRIGGER IF EXISTS audit_log_no_update`.execute(sctec.database.db);
    await sql`DROP TRIGGER IF EXISTS audit_log_no_delete`.execute(sctec.database.db);
    await change(sctec.database.db);
  }
}

/** Books `count` slots through the API; returns the audit seq of each booking's AGENDAMENTO_CRIADO. */
async function bookingChain(sctec: Sctec, count: number, firstSlot: number): Promise<number[]> {
  const scientist = await sctec.scientist();
  for (let i = 0; i < count; i++) {
    const res = await call(sctec.url, 'POST', '/agendamentos', {
      token: scientist.token,
      body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(firstSlot + i) },
    });
    assert.equal(res.status, 201, res.text);
  }
  const rows = await sctec.database.db
    .selectFrom('audit_log')
    .select('seq')
    .where('event_type', '=', 'AGENDAMENTO_CRIADO')
    .orderBy('seq')
    .execute();
  assert.equal(rows.length, count);
  return rows.map((r) => r.seq);
}

describe('audit tampering is named by audit:verify (CLI) and GET /auditoria/verificacao', () => {
  let coordinator: Awaited<ReturnType<typeof startCoordinatorProcess>>;
  before(async () => {
    coordinator = await startCoordinatorProcess();
  });
  after(() => (coordinator as typeof coordinator | undefined)?.stop());

  for (const engine of ENGINES) {
    test(`on ${engine}, when a DBA edits one field of an entry in the middle of the chain, then the CLI exits non-zero and it and the admin endpoint name that entry`, async () => {
      const sctec = await startScheduler({ engine, coordinatorUrl: coordinator.url });
      try {
        const seqs = await bookingChain(sctec, 5, 0);
        const target = seqs[2] ?? 0;
        const admin = await sctec.adminToken();

        const intact = await auditVerifyCli(sctec);
        assert.equal(intact.code, 0, intact.output);
        assert.match(intact.output, new RegExp(`íntegra: ${seqs.length} entradas`));
        const intactApi = await call<Verification>(sctec.url, 'GET', '/auditoria/verificacao', {
          token: admin,
        });
        assert.equal(intactApi.status, 200);
        assert.deepEqual(
          { ok: intactApi.body.ok, entradas: intactApi.body.entradas },
          { ok: true, entradas: 5 },
        );

        await behindTheApplicationsBack(sctec, async (db) => {
          const row = await db
            .selectFrom('audit_log')
            .select('details')
            .where('seq', '=', target)
            .executeTakeFirstOrThrow();
          const details = JSON.parse(row.details) as Record<string, unknown>;
          assert.equal(details.telescopio_id, 'Hubble-Acad');
          await db
            .updateTable('audit_log')
            .set({ details: JSON.stringify({ ...details, telescopio_id: 'Webb-Acad' }) })
            .where('seq', '=', target)
            .execute();
        });
        const edited = await sctec.database.db
          .selectFrom('audit_log')
          .select('details')
          .where('seq', '=', target)
          .executeTakeFirstOrThrow();
        assert.match(edited.details, /Webb-Acad/, 'the edit really reached the table');

        const cli = await auditVerifyCli(sctec);
        assert.equal(cli.code, 1, cli.output);
        assert.match(cli.output, /TRILHA DE AUDITORIA VIOLADA/);
        assert.match(
          cli.output,
          new RegExp(
            `primeira entrada quebrada: entry seq ${target}: stored hash \\w+ does not match its content`,
          ),
        );

        const api = await call<Verification>(sctec.url, 'GET', '/auditoria/verificacao', { token: admin });
        assert.equal(api.status, 200);
        assert.equal(api.body.ok, false);
        assert.equal(api.body.primeira_quebra?.seq, target);
        assert.equal(api.body.primeira_quebra.reason, 'hash-mismatch');
        assert.match(api.body.primeira_quebra.descricao, new RegExp(`entry seq ${target}:`));

        const scientist = await sctec.scientist();
        const forbidden = await call<{ code: string }>(sctec.url, 'GET', '/auditoria/verificacao', {
          token: scientist.token,
        });
        assert.equal(forbidden.status, 403);
        assert.equal(forbidden.body.code, 'forbidden');
      } finally {
        await sctec.close();
      }
    });

    test(`on ${engine}, when a DBA deletes an entry in the middle of the chain, then the CLI and the admin endpoint name the gap`, async () => {
      const sctec = await startScheduler({ engine, coordinatorUrl: coordinator.url });
      try {
        const seqs = await bookingChain(sctec, 5, 20);
        const removed = seqs[2] ?? 0;
        const next = seqs[3] ?? 0;
        await behindTheApplicationsBack(sctec, (db) =>
          db.deleteFrom('audit_log').where('seq', '=', removed).execute(),
        );

        const cli = await auditVerifyCli(sctec);
        assert.equal(cli.code, 1, cli.output);
        assert.match(
          cli.output,
          new RegExp(
            `primeira entrada quebrada: entry seq ${next}: expected seq ${removed} \\(an entry is missing`,
          ),
        );

        const api = await call<Verification>(sctec.url, 'GET', '/auditoria/verificacao', {
          token: await sctec.adminToken(),
        });
        assert.equal(api.status, 200);
        assert.equal(api.body.ok, false);
        assert.deepEqual(
          {
            seq: api.body.primeira_quebra?.seq,
            reason: api.body.primeira_quebra?.reason,
            expected: api.body.primeira_quebra?.expected,
          },
          { seq: next, reason: 'seq-gap', expected: removed },
        );
      } finally {
        await sctec.close();
      }
    });

    test(`on ${engine}, when a DBA deletes the last entries, then the admin endpoint names the first missing one`, async () => {
      const sctec = await startScheduler({ engine, coordinatorUrl: coordinator.url });
      try {
        const seqs = await bookingChain(sctec, 4, 40);
        const firstRemoved = seqs[2] ?? 0;
        await behindTheApplicationsBack(sctec, (db) =>
          db.deleteFrom('audit_log').where('seq', '>=', firstRemoved).execute(),
        );
        const api = await call<Verification>(sctec.url, 'GET', '/auditoria/verificacao', {
          token: await sctec.adminToken(),
        });
        assert.equal(api.body.ok, false);
        assert.deepEqual(
          {
            seq: api.body.primeira_quebra?.seq,
            reason: api.body.primeira_quebra?.reason,
            expected: api.body.primeira_quebra?.expected,
          },
          { seq: firstRemoved, reason: 'missing-tail', expected: seqs.at(-1) },
        );
      } finally {
        await sctec.close();
      }
    });
  }
});
