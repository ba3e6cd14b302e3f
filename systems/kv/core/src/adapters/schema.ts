/**
 * The KV tables in PostgreSQL (one schema per deployment, default `kv`).
 *
 * kv_store holds the state of every key ever written, including deleted ones: a DELETE leaves a
 * tombstone (value null, deleted true) carrying its version, so a late, older PUT cannot bring the
 * key back. kv_version_seq issues the versions; a sequence is durable and never hands out a
 * number twice, even across API replicas and crashes (gaps are fine: a version only orders).
 */
import { migrate, openDatabase, sql, type Database } from '@dslab/db';
import type { ColumnType, Generated, Kysely, Migration } from 'kysely';

export interface KvStoreRow {
  key: string;
  value: string | null;
  version: number;
  deleted: boolean;
  written_at: ColumnType<Date, Date | string, Date | string>;
  applied_at: Generated<Date>;
}

export interface KvTables {
  kv_store: KvStoreRow;
}

export const KV_VERSION_SEQUENCE = 'kv_version_seq';

export const kvMigrations: Record<string, Migration> = {
  '2025-11-01-001-kv-store': {
    async up(db: Kysely<unknown>) {
      await sql`CREATE SEQUENCE IF NOT EXISTS kv_version_seq AS bigint START 1 NO CYCLE`.execute(db);
      await db.schema
        .createTable('kv_store')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text')
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('deleted', 'boolean', (c) => c.notNull())
        .addColumn('written_at', 'timestamptz', (c) => c.notNull())
        .addColumn('applied_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        // The invariants live in the table, not only in code: a tombstone has no value and a
        // live key has one; every stored write has a real version.
        .addCheckConstraint('kv_store_tombstone_has_no_value', sql`deleted = (value IS NULL)`)
        .addCheckConstraint('kv_store_version_positive', sql`version >= 1`)
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('kv_store').execute();
      await sql`DROP SEQUENCE IF EXISTS kv_version_seq`.execute(db);
    },
  },
};

export interface OpenKvDatabaseOptions {
  url: string;
  /** Schema to create and work in (default `kv`). */
  schema?: string;
  poolSize?: number;
}

/** Opens PostgreSQL in the KV schema and brings the tables up to date (safe from several processes). */
export async function openKvDatabase(options: OpenKvDatabaseOptions): Promise<Database<KvTables>> {
  const database = await openDatabase<KvTables>({
    engine: 'postgres',
    url: options.url,
    schema: options.schema ?? 'kv',
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
  });
  try {
    await migrate(database, kvMigrations);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}
