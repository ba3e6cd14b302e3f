import type { Logger } from '@dslab/logging';
import { sql, type Kysely, type Migration, type Transaction } from 'kysely';
import {
  createChainVerifier,
  GENESIS_HASH,
  hashRecord,
  type AuditRecord,
  type VerifyResult,
} from './chain.js';

/** Tables this package owns; a service's DB type includes them. */
export interface AuditTables {
  audit_log: {
    seq: number;
    timestamp_utc: string;
    event_type: string;
    service: string;
    actor: string | null;
    details: string;
    prev_hash: string;
    hash: string;
  };
  audit_head: { id: number; seq: number; hash: string };
}

/**
 * Migration for the audit tables. audit_head is a one-row table that every append updates
 * first: its row lock (PostgreSQL) or the writer lock (SQLite) serializes appenders, so
 * seq stays gap-free and each entry links to the one before it. Triggers make audit_log
 * append-only for the application; someone with DDL rights can still tamper, which is
 * what the hash chain is there to reveal.
 */
export function auditMigration(engine: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_log')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .addColumn('timestamp_utc', 'text', (c) => c.notNull())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('service', 'text', (c) => c.notNull())
        .addColumn('actor', 'text')
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull().unique())
        .execute();
      await db.schema
        .createTable('audit_head')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await sql`INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, ${GENESIS_HASH})`.execute(db);
      if (engine === 'sqlite') {
        await sql`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(
          db,
        );
        await sql`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`.execute(
          db,
        );
      } else {
        await sql`CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$`.execute(
          db,
        );
        await sql`CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(
          db,
        );
      }
    },
  };
}

export interface AuditEvent {
  event_type: string;
  actor: Record<string, unknown> | null;
  details: Record<string, unknown>;
  /** Server time of the event, UTC ISO-8601 with milliseconds. */
  timestamp_utc: string;
}

export interface AuditLog {
  /**
   * Appends an event inside the caller's transaction (the same one as the change it records).
   * Returns the record; call `publish` with it after the transaction commits.
   */
  append(trx: Transaction<AuditTables>, event: AuditEvent): Promise<AuditRecord>;
  /** Writes committed records to app.log, synchronously, as AUDIT lines. */
  publish(records: AuditRecord[], log?: Logger): void;
  /** Recomputes the chain from the first entry; names the first broken one. */
  verify(): Promise<VerifyResult>;
  /** Records in seq order, paged. */
  list(options: { afterSeq?: number; limit?: number; eventType?: string }): Promise<AuditRecord[]>;
}

type Row = AuditTables['audit_log'];

/** A stored row as the audit record it holds (for readers outside this package, e.g. checkers). */
export function toRecord(row: Row): AuditRecord {
  return {
    seq: row.seq,
    timestamp_utc: row.timestamp_utc,
    level: 'AUDIT',
    event_type: row.event_type,
    service: row.service,
    actor: row.actor === null ? null : (JSON.parse(row.actor) as Record<string, unknown>),
    details: JSON.parse(row.details) as Record<string, unknown>,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

export function createAuditLog(options: {
  db: Kysely<AuditTables>;
  service: string;
  logger: Logger;
}): AuditLog {
  const { db, service, logger } = options;
  return {
    async append(trx, event) {
      // Taking the head row first serializes concurrent appenders.
      const head = await trx
        .updateTable('audit_head')
        .set((eb) => ({ seq: eb('seq', '+', 1) }))
        .where('id', '=', 1)
        .returning(['seq', 'hash'])
        .executeTakeFirstOrThrow();
      const unsigned: Omit<AuditRecord, 'hash'> = {
        seq: head.seq,
        timestamp_utc: event.timestamp_utc,
        level: 'AUDIT',
        event_type: event.event_type,
        service,
        actor: event.actor,
        details: event.details,
        prev_hash: head.hash,
      };
      const record: AuditRecord = { ...unsigned, hash: hashRecord(unsigned) };
      await trx
        .insertInto('audit_log')
        .values({
          seq: record.seq,
          timestamp_utc: record.timestamp_utc,
          event_type: record.event_type,
          service,
          actor: record.actor === null ? null : JSON.stringify(record.actor),
          details: JSON.stringify(record.details),
          prev_hash: record.prev_hash,
          hash: record.hash,
        })
        .execute();
      await trx.updateTable('audit_head').set({ hash: record.hash }).where('id', '=', 1).execute();
      return record;
    },
    publish(records, log = logger) {
      for (const record of records) log.audit(record);
    },
    async verify() {
      // The head first: an append writes its entry and the head in one transaction, so every
      // entry up to the head's seq is committed and visible now. Entries appended after this
      // read are left out (no false alarm while the service runs); a trail that ends before
      // the head's seq lost its last entries, which the links alone could not show.
      const head = await db
        .selectFrom('audit_head')
        .select(['seq', 'hash'])
        .where('id', '=', 1)
        .executeTakeFirst();
      const verifier = createChainVerifier();
      const page = 1000;
      let after = 0;
      for (;;) {
        let query = db.selectFrom('audit_log').selectAll().where('seq', '>', after);
        if (head !== undefined) query = query.where('seq', '<=', head.seq);
        const rows = await query.orderBy('seq').limit(page).execute();
        for (const row of rows) verifier.push(toRecord(row));
        if (rows.length < page) break;
        after = rows[rows.length - 1]?.seq ?? after;
      }
      const result = verifier.result();
      if (!result.ok || head === undefined) return result;
      if (result.headSeq < head.seq) {
        return {
          ok: false,
          count: result.count,
          firstBroken: { seq: result.headSeq + 1, reason: 'missing-tail', expected: head.seq },
        };
      }
      if (result.headHash !== head.hash) {
        return {
          ok: false,
          count: result.count,
          firstBroken: {
            seq: result.headSeq,
            reason: 'head-mismatch',
            expected: head.hash,
            found: result.headHash,
          },
        };
      }
      return result;
    },
    async list({ afterSeq = 0, limit = 100, eventType }) {
      let query = db.selectFrom('audit_log').selectAll().where('seq', '>', afterSeq);
      if (eventType !== undefined) query = query.where('event_type', '=', eventType);
      const rows = await query.orderBy('seq').limit(limit).execute();
      return rows.map(toRecord);
    },
  };
}
