import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type Migration } from 'kysely';
import pg from 'pg';

export type Engine = 'sqlite' | 'postgres';

export interface Database<DB> {
  readonly db: Kysely<DB>;
  readonly engine: Engine;
  /** Human-readable location for logs (file path or host/db/schema, never a password). */
  readonly location: string;
  /** PostgreSQL schema this database works in (first on search_path), if one was chosen. */
  readonly schema?: string | undefined;
  close(): Promise<void>;
}

export type OpenDatabaseOptions =
  | { engine: 'sqlite'; file: string }
  | {
      engine: 'postgres';
      url: string;
      /** Schema to create (if missing) and put first on search_path: per-test isolation. */
      schema?: string;
      poolSize?: number;
      /** Told when an idle pooled connection fails (it is discarded; nothing else to do). */
      onIdleError?: (error: Error) => void;
    };

// PostgreSQL returns int8 (bigint) as text by default; our ids and counters fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

/**
 * Opens Kysely over SQLite (WAL, the embedded default) or PostgreSQL. Adapters receive the
 * ready `Kysely` instance, never a URL.
 */
export async function openDatabase<DB>(options: OpenDatabaseOptions): Promise<Database<DB>> {
  if (options.engine === 'sqlite') {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
    const native = new SqliteDatabase(options.file);
    // WAL lets readers run beside the single writer; NORMAL is durable across process crashes
    // (only an OS crash may lose the last transactions); busy_timeout covers a second process.
    native.pragma('journal_mode = WAL');
    native.pragma('synchronous = NORMAL');
    native.pragma('busy_timeout = 5000');
    native.pragma('foreign_keys = ON');
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(native) }) });
    return { db, engine: 'sqlite', location: options.file, close: () => db.destroy() };
  }
  const url = new URL(options.url);
  const schema = options.schema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name "${schema}"`);
  }
  if (schema !== undefined) {
    const setup = new pg.Client({ connectionString: options.url });
    await setup.connect();
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await setup.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle pooled connection that dies (server restart, network cut) is reported as an 'error'
  // event on the pool; unheard, Node would crash the whole process. The pool already discards
  // that client and the next query opens a new one (or fails as 'unavailable'), so note it only.
  pool.on('error', (error) => options.onIdleError?.(error));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const location = `postgres://${url.host}${url.pathname}${schema === undefined ? '' : `#${schema}`}`;
  return { db, engine: 'postgres', location, schema, close: () => db.destroy() };
}

/** Runs in-code migrations in name order; safe when several processes start at once. */
export async function migrate<DB>(
  database: Database<DB>,
  migrations: Record<string, Migration>,
): Promise<void> {
  const migrator = new Migrator({
    db: database.db as Kysely<unknown>,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    // A shared migration added later (the checkout kit's outbox, 0001_outbox) sorts before a
    // service's own that an existing database already ran; such migrations touch only their own
    // tables, so running it late is safe, whereas Kysely's default refuses to open the database.
    allowUnorderedMigrations: true,
    // Kysely looks for its bookkeeping tables in every schema unless told which one: with
    // per-test schemas it would find another schema's lock table and never create its own.
    ...(database.engine === 'postgres' ? { migrationTableSchema: database.schema ?? 'public' } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error === undefined && failed === undefined) return;
    // Kysely decides whether its bookkeeping tables exist by introspecting every schema of the
    // database; a schema dropped by another process at that moment (parallel tests dropping
    // theirs) fails the lookup with invalid_schema_name before anything was migrated. Look again.
    if (attempt < 5 && (error as { code?: unknown } | undefined)?.code === '3F000') {
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      continue;
    }
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
}

/** Drops a per-test PostgreSQL schema. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export { sql };

/** Prepared statements kept per database; an application has a few dozen distinct queries. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every statement again on each execution; preparing was 7–10 %
 * of a booking's CPU in the benchmark profile (docs/benchmarks/sctec.md). better-sqlite3
 * statements are reusable (and SQLite re-prepares one by itself after a schema change), so the
 * driver gets the same statement back for the same SQL text. Safe because better-sqlite3 runs
 * one statement at a time on its connection; the cache is bounded, oldest first out.
 */
function withStatementCache(native: SqliteDatabase.Database) {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => native.close(),
    prepare(sqlText: string): SqliteDatabase.Statement {
      let statement = statements.get(sqlText);
      if (statement === undefined) {
        statement = native.prepare(sqlText);
        if (statements.size >= STATEMENT_CACHE_SIZE) {
          const oldest = statements.keys().next();
          if (oldest.done !== true) statements.delete(oldest.value);
        }
        statements.set(sqlText, statement);
      }
      return statement;
    },
  };
}
