import type { Executor } from '@dslab/checkout-kit';
import { sql, type Engine } from '@dslab/db';
import type { Kysely, Selectable } from 'kysely';
import type { FiscalTables, NotasFiscaisTable } from './schema.js';

export type NotaFiscalRow = Selectable<NotasFiscaisTable>;

/** What the invoice gets once its number is taken. */
export interface IssuedFields {
  readonly numero: string;
  readonly chave_acesso: string;
  readonly serie: number;
  readonly nnf: number;
}

/** Creates the série's row if missing; an existing row is moved up to `floor`, never down. */
export async function ensureSerie(
  ex: Executor<FiscalTables>,
  engine: Engine,
  serie: number,
  floor: number,
): Promise<void> {
  await ex
    .insertInto('series')
    .values({ serie, ultimo_nnf: floor })
    .onConflict((oc) =>
      oc.column('serie').doUpdateSet({
        ultimo_nnf:
          engine === 'postgres'
            ? sql<number>`GREATEST(series.ultimo_nnf, excluded.ultimo_nnf)`
            : sql<number>`MAX(series.ultimo_nnf, excluded.ultimo_nnf)`,
      }),
    )
    .execute();
}

/** Queries of the fiscal service; each takes the executor (the database or a transaction) it runs on. */
export function createFiscalStore(db: Kysely<FiscalTables>, engine: Engine) {
  return {
    db,
    engine,

    async findById(id: number): Promise<NotaFiscalRow | undefined> {
      return db.selectFrom('notas_fiscais').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async findByPedido(ex: Executor<FiscalTables>, pedidoId: number): Promise<NotaFiscalRow | undefined> {
      return ex.selectFrom('notas_fiscais').selectAll().where('pedido_id', '=', pedidoId).executeTakeFirst();
    },

    /**
     * Claims the order's invoice row before any number is taken: a racing twin for the same order
     * waits here on the unique index (PostgreSQL) and then inserts nothing, so it never consumes
     * a number. The placeholder numero (`NF0-<pedido>`, never a real one: nNF starts at 1) is
     * replaced in the same transaction. Answers the new id, or undefined when the order already
     * has an invoice.
     */
    async claim(
      ex: Executor<FiscalTables>,
      row: { pedido_id: number; valor_centavos: number; itens: string; data_emissao: string },
    ): Promise<number | undefined> {
      const inserted = await ex
        .insertInto('notas_fiscais')
        .values({ ...row, numero: `NF0-${row.pedido_id}`, chave_acesso: null, serie: null, nnf: null })
        .onConflict((oc) => oc.column('pedido_id').doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted === undefined ? undefined : inserted.id;
    },

    /**
     * Takes the série's next number atomically (the row lock serializes issuers on PostgreSQL;
     * SQLite has one writer). Answers the new last number, or undefined when the série has no row.
     * A rolled-back transaction gives the number back, so numbers stay gap-free.
     */
    async takeNumber(ex: Executor<FiscalTables>, serie: number): Promise<number | undefined> {
      const row = await ex
        .updateTable('series')
        .set((eb) => ({ ultimo_nnf: eb('ultimo_nnf', '+', 1) }))
        .where('serie', '=', serie)
        .returning('ultimo_nnf')
        .executeTakeFirst();
      return row === undefined ? undefined : row.ultimo_nnf;
    },

    /** Creates the série's row if missing; an existing row is moved up to `floor`, never down. */
    async ensureSerie(ex: Executor<FiscalTables>, serie: number, floor = 0): Promise<void> {
      await ensureSerie(ex, engine, serie, floor);
    },

    async lastNumber(ex: Executor<FiscalTables>, serie: number): Promise<number | undefined> {
      const row = await ex
        .selectFrom('series')
        .select('ultimo_nnf')
        .where('serie', '=', serie)
        .executeTakeFirst();
      return row === undefined ? undefined : row.ultimo_nnf;
    },

    async complete(ex: Executor<FiscalTables>, id: number, fields: IssuedFields): Promise<void> {
      await ex.updateTable('notas_fiscais').set(fields).where('id', '=', id).execute();
    },
  };
}

export type FiscalStore = ReturnType<typeof createFiscalStore>;
