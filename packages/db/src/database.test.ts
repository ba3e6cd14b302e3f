import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { TEST_POSTGRES_URL } from '@dslab/testing';
import { openDatabase, sql } from './database.js';

test('when the server ends an idle pooled connection, then the process lives on and the next query works', async () => {
  const idleErrors: Error[] = [];
  const database = await openDatabase({
    engine: 'postgres',
    url: TEST_POSTGRES_URL,
    onIdleError: (error) => idleErrors.push(error),
  });
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db);
    const pid = rows[0]?.pid;
    assert.ok(pid !== undefined);
    // The connection is back in the pool, idle: kill it from another session.
    await admin.query('select pg_terminate_backend($1)', [pid]);
    for (let i = 0; i < 100 && idleErrors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(idleErrors.length, 1, 'the pool reported the dead idle connection');
    const again = await sql<{ one: number }>`select 1 as one`.execute(database.db);
    assert.equal(again.rows[0]?.one, 1);
  } finally {
    await admin.end();
    await database.close();
  }
});
