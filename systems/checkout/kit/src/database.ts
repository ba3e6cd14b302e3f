import { join } from 'node:path';
import { migrate, openDatabase, sql, type Database, type Engine } from '@dslab/db';
import { outboxMigration, type OutboxTables } from '@dslab/outbox';
import type { Generated, Kysely, Migration, Transaction } from 'kysely';
import type { CheckoutService } from './services.js';

/**
 * Every checkout service's record of what it did: one row per operation, written in the same
 * transaction as the change (so the record and the effect cannot disagree), plus one log line.
 */
export interface OperacoesTable {
  id: Generated<number>;
  /** What was done, e.g. `pagamento_aprovado`, `estoque_separado`. */
  operacao: string;
  pedido_id: number | null;
  /** The log line's message (Portuguese, as in the application log). */
  mensagem: string;
  /** JSON of the operation's facts. */
  detalhes: string;
  trace_id: string | null;
  registrado_em: string;
}

/** One row per imported source: the guard that makes the first-start import run once. */
export interface ImportacoesTable {
  fonte: string;
  linhas: number;
  importado_em: string;
}

/** Every service database also has the outbox and the inbox (`mensagens_processadas`). */
export interface CommonTables extends OutboxTables {
  operacoes: OperacoesTable;
  importacoes: ImportacoesTable;
}

/** A Kysely instance or transaction over a database that has at least the common tables. */
export type Executor<DB> = Kysely<DB> | Transaction<DB>;

/** An auto-increment id column on either engine. */
export function idColumn(db: Kysely<unknown>, engine: Engine, table: string) {
  return engine === 'sqlite'
    ? db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    : db.schema.createTable(table).addColumn('id', 'bigserial', (c) => c.primaryKey());
}

function commonMigration(engine: Engine): Migration {
  return {
    async up(db) {
      await idColumn(db, engine, 'operacoes')
        .addColumn('operacao', 'text', (c) => c.notNull())
        .addColumn('pedido_id', 'bigint')
        .addColumn('mensagem', 'text', (c) => c.notNull())
        .addColumn('detalhes', 'text', (c) => c.notNull())
        .addColumn('trace_id', 'text')
        .addColumn('registrado_em', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('operacoes_por_pedido')
        .on('operacoes')
        .columns(['pedido_id', 'id'])
        .execute();
      await db.schema
        .createTable('importacoes')
        .addColumn('fonte', 'text', (c) => c.primaryKey())
        .addColumn('linhas', 'integer', (c) => c.notNull())
        .addColumn('importado_em', 'text', (c) => c.notNull())
        .execute();
    },
  };
}

export interface ServiceDatabaseOptions {
  readonly service: CheckoutService;
  /** PostgreSQL URL; absent means the SQLite file `<dataDir>/<service>.db`. */
  readonly databaseUrl?: string | undefined;
  readonly schema?: string | undefined;
  readonly dataDir: string;
  readonly poolSize?: number | undefined;
}

/**
 * Opens the service's own database (SQLite file by default, a PostgreSQL schema when configured)
 * and applies the common migrations (operacoes, outbox) and the service's own, in name order.
 */
export async function openServiceDatabase<DB extends CommonTables>(
  options: ServiceDatabaseOptions,
  migrations: (engine: Engine) => Record<string, Migration>,
): Promise<Database<DB>> {
  const database = await openDatabase<DB>(
    options.databaseUrl === undefined
      ? { engine: 'sqlite', file: join(options.dataDir, `${options.service}.db`) }
      : {
          engine: 'postgres',
          url: options.databaseUrl,
          ...(options.schema === undefined ? {} : { schema: options.schema }),
          ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
        },
  );
  try {
    await migrate(database, {
      '0000_operacoes': commonMigration(database.engine),
      '0001_outbox': outboxMigration(database.engine),
      ...migrations(database.engine),
    });
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

export interface Operacao {
  readonly operacao: string;
  readonly pedido_id?: number | undefined;
  readonly mensagem: string;
  readonly detalhes: Readonly<Record<string, unknown>>;
  readonly traceId?: string | undefined;
  /** UTC ISO-8601 from the service's clock. */
  readonly at: string;
}

/**
 * Writes the operation's row inside the caller's transaction. The caller logs `mensagem` once the
 * transaction committed (a rolled-back operation must not appear in the log as done).
 */
export async function recordOperation<DB extends CommonTables>(
  db: Executor<DB>,
  op: Operacao,
): Promise<void> {
  const common = db as unknown as Executor<CommonTables>;
  await common
    .insertInto('operacoes')
    .values({
      operacao: op.operacao,
      pedido_id: op.pedido_id ?? null,
      mensagem: op.mensagem,
      detalhes: JSON.stringify(op.detalhes),
      trace_id: op.traceId ?? null,
      registrado_em: op.at,
    })
    .execute();
}

/**
 * Runs `load` once per database and source: the guard row and the imported rows commit together,
 * so a crash mid-import leaves nothing and the next start imports again, and two processes
 * starting at once import once (the second one's guard insert waits for the first and then finds
 * the row). Answers how many rows `load` reported, or undefined when the source was imported before.
 */
export async function importOnce<DB extends CommonTables>(
  db: Kysely<DB>,
  fonte: string,
  at: string,
  load: (trx: Transaction<DB>) => Promise<number>,
): Promise<number | undefined> {
  return (db as unknown as Kysely<CommonTables>).transaction().execute(async (trx) => {
    const claimed = await trx
      .insertInto('importacoes')
      .values({ fonte, linhas: 0, importado_em: at })
      .onConflict((oc) => oc.column('fonte').doNothing())
      .executeTakeFirst();
    if (Number(claimed.numInsertedOrUpdatedRows ?? 0n) === 0) return undefined;
    const linhas = await load(trx as unknown as Transaction<DB>);
    await trx.updateTable('importacoes').set({ linhas }).where('fonte', '=', fonte).execute();
    return linhas;
  });
}

/**
 * After rows were inserted with explicit ids (the seed's ids), moves a PostgreSQL bigserial's
 * sequence past the largest id, so the next generated id does not collide. SQLite's AUTOINCREMENT
 * already continues after the largest id.
 */
export async function syncIdSequence<DB>(db: Executor<DB>, engine: Engine, table: string): Promise<void> {
  if (engine !== 'postgres') return;
  await sql`SELECT setval(pg_get_serial_sequence(${table}, 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM ${sql.table(table)}), 1), (SELECT COUNT(*) > 0 FROM ${sql.table(table)}))`.execute(
    db,
  );
}

/** Operations recorded for one order, oldest first (tests and the invariant checker read them). */
export async function operationsOf<DB extends CommonTables>(
  db: Kysely<DB>,
  pedidoId: number,
): Promise<{ operacao: string; mensagem: string; detalhes: unknown }[]> {
  const rows = await (db as unknown as Kysely<CommonTables>)
    .selectFrom('operacoes')
    .select(['operacao', 'mensagem', 'detalhes'])
    .where('pedido_id', '=', pedidoId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    operacao: r.operacao,
    mensagem: r.mensagem,
    detalhes: JSON.parse(r.detalhes) as unknown,
  }));
}
