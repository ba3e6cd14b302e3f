import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { migrate, sql } from '@dslab/db';
import { createLogger } from '@dslab/logging';
import { createTestDatabase, ENGINES } from '@dslab/testing';
import { canonicalJson } from './canonical-json.js';
import { GENESIS_HASH } from './chain.js';
import { auditMigration, createAuditLog, type AuditTables } from './store.js';

test('canonical JSON sorts keys at every depth and has no spaces', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' } }),
    '{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}',
  );
});

for (const engine of ENGINES) {
  describe(`audit log on ${engine}`, () => {
    const setup = async () => {
      const database = await createTestDatabase<AuditTables>(engine, 'audit');
      await migrate(database, { '0001_audit': auditMigration(engine) });
      const lines: string[] = [];
      const logger = createLogger({ service: 'svc', console: false, onLine: (l) => lines.push(l) });
      return { database, lines, audit: createAuditLog({ db: database.db, service: 'svc', logger }) };
    };
    const event = (n: number) => ({
      event_type: 'AGENDAMENTO_CRIADO',
      actor: { cientista_id: n },
      details: { agendamento_id: n },
      timestamp_utc: '2025-10-26T18:00:05.123Z',
    });

    test('when events are appended concurrently, then seq is gap-free and the chain verifies', async () => {
      const { database, audit, lines } = await setup();
      try {
        const records = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            database.db.transaction().execute((trx) => audit.append(trx, event(i))),
          ),
        );
        audit.publish(records);
        assert.deepEqual(
          records.map((r) => r.seq).sort((a, b) => a - b),
          Array.from({ length: 40 }, (_, i) => i + 1),
        );
        const result = await audit.verify();
        assert.deepEqual(result.ok && result.count, 40);
        assert.equal((await audit.list({ limit: 1 }))[0]?.prev_hash, GENESIS_HASH);
        assert.equal(lines.filter((l) => l.startsWith('AUDIT:')).length, 40);
      } finally {
        await database.dispose();
      }
    });

    test('when a transaction rolls back, then its audit entry disappears with it and seq has no gap', async () => {
      const { database, audit } = await setup();
      try {
        await database.db.transaction().execute((trx) => audit.append(trx, event(1)));
        await assert.rejects(
          database.db.transaction().execute(async (trx) => {
            await audit.append(trx, event(2));
            throw new Error('business rule failed');
          }),
        );
        await database.db.transaction().execute((trx) => audit.append(trx, event(3)));
        const all = await audit.list({});
        assert.deepEqual(
          all.map((r) => [r.seq, r.details.agendamento_id]),
          [
            [1, 1],
            [2, 3],
          ],
        );
        assert.equal((await audit.verify()).ok, true);
      } finally {
        await database.dispose();
      }
    });

    test('when the application tries to update an entry, then the database refuses', async () => {
      const { database, audit } = await setup();
      try {
        await database.db.transaction().execute((trx) => audit.append(trx, event(1)));
        await assert.rejects(sql`UPDATE audit_log SET details = '{}'`.execute(database.db), /append-only/);
        await assert.rejects(sql`DELETE FROM audit_log`.execute(database.db), /append-only/);
      } finally {
        await database.dispose();
      }
    });

    test('when an entry is edited behind the application, then verify names that entry', async () => {
      const { database, audit } = await setup();
      try {
        for (let i = 1; i <= 5; i++)
          await database.db.transaction().execute((trx) => audit.append(trx, event(i)));
        if (engine === 'sqlite') {
          await sql`DROP TRIGGER audit_log_no_update`.execute(database.db);
        } else {
          await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`.execute(database.db);
        }
        await sql`UPDATE audit_log SET details = ${JSON.stringify({ agendamento_id: 99 })} WHERE seq = 3`.execute(
          database.db,
        );
        const result = await audit.verify();
        assert.equal(result.ok, false);
        assert.deepEqual([result.firstBroken.seq, result.firstBroken.reason], [3, 'hash-mismatch']);
      } finally {
        await database.dispose();
      }
    });

    test('when the last entries are deleted behind the application, then verify names the first missing one', async () => {
      const { database, audit } = await setup();
      try {
        for (let i = 1; i <= 5; i++)
          await database.db.transaction().execute((trx) => audit.append(trx, event(i)));
        if (engine === 'sqlite') {
          await sql`DROP TRIGGER audit_log_no_delete`.execute(database.db);
        } else {
          await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`.execute(database.db);
        }
        await sql`DELETE FROM audit_log WHERE seq >= 4`.execute(database.db);
        const result = await audit.verify();
        assert.equal(result.ok, false);
        assert.deepEqual(result.firstBroken, { seq: 4, reason: 'missing-tail', expected: 5 });
      } finally {
        await database.dispose();
      }
    });
  });
}
