import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TABLES, type Dataset, type TableName } from './schema.js';

export interface WriteResult {
  /** True when a file already existed at the path and was removed first (as the seed does). */
  replaced: boolean;
}

/**
 * Writes the data set to a fresh SQLite file at `file`: removes an existing file (and any `-wal`,
 * `-shm` or `-journal` beside it), creates the parent folder, then creates the seed's tables and
 * inserts every row in one transaction with prepared statements. On failure the partial file is
 * removed, so the path holds either a complete database or nothing.
 *
 * The file keeps SQLite's default rollback journal rather than WAL: it is a one-shot artifact, and
 * a WAL-mode file needs writable `-wal`/`-shm` files beside it even for readers. Services that
 * open it for writing may switch to WAL themselves. With the same SQLite library, the same rows give
 * a byte-identical file.
 */
export function writeDatabase(file: string, dataset: Dataset): WriteResult {
  const replaced = existsSync(file);
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('foreign_keys = ON');
    db.transaction(() => {
      for (const table of TABLES) {
        db.exec(table.ddl);
        insertAll(db, table, dataset);
      }
    })();
    const violations = db.pragma('foreign_key_check') as unknown[];
    if (violations.length > 0) throw new Error(`foreign key violations: ${JSON.stringify(violations)}`);
  } catch (error) {
    db.close();
    for (const suffix of ['', '-journal']) rmSync(`${file}${suffix}`, { force: true });
    throw error;
  }
  db.close();
  return { replaced };
}

function insertAll(
  db: Database.Database,
  table: { readonly name: TableName; readonly columns: readonly string[] },
  dataset: Dataset,
): void {
  const columns = table.columns.join(', ');
  const params = table.columns.map((column) => `@${column}`).join(', ');
  const insert = db.prepare(`INSERT INTO ${table.name} (${columns}) VALUES (${params})`);
  for (const row of dataset[table.name]) insert.run(row);
}
