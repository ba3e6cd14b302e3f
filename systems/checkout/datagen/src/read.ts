import Database from 'better-sqlite3';
import { TABLES, type Dataset, type TableName } from './schema.js';

/**
 * Reads every row of a seed `ecommerce.db` (read-only), ordered by id: how the services load their
 * initial data. Fails with a clear message when a table or column of the seed's schema is missing.
 * Prices come back as REAL reais; convert them with toCentavos.
 */
export function readDataset(file: string): Dataset {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const read = <N extends TableName>(name: N, columns: readonly string[]): Dataset[N] => {
      const present = new Set(
        (db.pragma(`table_info(${name})`) as { name: string }[]).map((column) => column.name),
      );
      const missing = columns.filter((column) => !present.has(column));
      if (missing.length > 0) {
        throw new Error(`${file}: table ${name} lacks column(s) ${missing.join(', ')} of the seed's schema`);
      }
      // The columns were just checked; SQLite's column types are the seed's (REAL, INTEGER, TEXT).
      return db.prepare(`SELECT ${columns.join(', ')} FROM ${name} ORDER BY id`).all() as Dataset[N];
    };
    const out: Partial<Record<TableName, unknown>> = {};
    for (const table of TABLES) out[table.name] = read(table.name, table.columns);
    return out as Dataset;
  } finally {
    db.close();
  }
}
