/**
 * The durable copy of every key, in PostgreSQL.
 *
 * apply() is one statement: an upsert whose update only fires when the incoming version is
 * higher (`WHERE kv_store.version < excluded.version`). PostgreSQL locks the conflicting row, so
 * concurrent applies of one key serialize and the highest version wins whatever the order; a
 * DELETE is the same upsert with a tombstone, so deleting a key never seen is just an insert.
 * When the write lost, a second statement reads the winner (a fresh snapshot, so it sees every
 * committed write at least as new as this one) for the caller to refresh the cache with.
 */
import { sql, translateDatabaseError } from '@dslab/db';
import type { Kysely } from 'kysely';
import type { KvEntry, KvWrite } from '../domain/types.js';
import { entryOf } from '../domain/types.js';
import type { ApplyResult, KvStore } from '../app/ports.js';
import type { KvTables } from './schema.js';

interface Row {
  key: string;
  value: string | null;
  version: number;
  written_at: Date;
}

function toEntry(row: Row): KvEntry {
  return {
    key: row.key,
    value: row.value,
    version: row.version,
    writtenAt: row.written_at.toISOString(),
  };
}

async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}

export function createPostgresKvStore(db: Kysely<KvTables>): KvStore {
  async function read(key: string): Promise<KvEntry | undefined> {
    const { rows } =
      await sql<Row>`SELECT key, value, version, written_at FROM kv_store WHERE key = ${key}`.execute(db);
    const row = rows[0];
    return row === undefined ? undefined : toEntry(row);
  }

  return {
    nextVersion: () =>
      translated(async () => {
        const { rows } = await sql<{ version: number }>`SELECT nextval('kv_version_seq') AS version`.execute(
          db,
        );
        const version = rows[0]?.version;
        if (version === undefined) throw new Error('nextval returned no row');
        return version;
      }),

    highestIssuedVersion: () =>
      translated(async () => {
        // Reading the sequence relation shows the last value any session took (sequences are
        // not transactional); before the first nextval, last_value is the start but not issued.
        const { rows } = await sql<{ version: number }>`
          SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS version FROM kv_version_seq`.execute(db);
        return rows[0]?.version ?? 0;
      }),

    read: (key) => translated(() => read(key)),

    readMany: (keys) =>
      translated(async () => {
        const found = new Map<string, KvEntry>();
        if (keys.length === 0) return found;
        const { rows } = await sql<Row>`
          SELECT key, value, version, written_at FROM kv_store WHERE key = ANY(${[...keys]}::text[])`.execute(
          db,
        );
        for (const row of rows) found.set(row.key, toEntry(row));
        return found;
      }),

    apply: (write: KvWrite) =>
      translated(async (): Promise<ApplyResult> => {
        const value = write.op === 'put' ? write.value : null;
        const { rows } = await sql<{ version: number }>`
          INSERT INTO kv_store (key, value, version, deleted, written_at)
          VALUES (${write.key}, ${value}, ${write.version}, ${write.op === 'delete'}, ${write.timestamp})
          ON CONFLICT (key) DO UPDATE
            SET value = excluded.value, version = excluded.version, deleted = excluded.deleted,
                written_at = excluded.written_at, applied_at = now()
            WHERE kv_store.version < excluded.version
          RETURNING version`.execute(db);
        if (rows.length > 0) return { applied: true, current: entryOf(write) };
        const current = await read(write.key);
        // Rows are never removed (tombstones are kept), so a conflict means the row is there.
        if (current === undefined) throw new Error(`kv_store lost the row of key "${write.key}"`);
        return { applied: false, current };
      }),
  };
}
