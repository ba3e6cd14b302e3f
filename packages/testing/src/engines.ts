import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, openDatabase, type Database, type Engine } from '@dslab/db';
import { TEST_POSTGRES_URL } from './config.js';

export { TEST_POSTGRES_URL };

export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

export interface TestDatabase<DB> extends Database<DB> {
  /** Closes and deletes the namespace (file or schema). */
  dispose(): Promise<void>;
  /** How to open the same namespace again (e.g. from a second process). */
  options: { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string; schema: string };
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** A fresh, isolated database: a temp SQLite file or a new PostgreSQL schema. */
export async function createTestDatabase<DB>(engine: Engine, prefix = 't'): Promise<TestDatabase<DB>> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    const options = { engine: 'sqlite' as const, file: join(dir, 'test.db') };
    const database = await openDatabase<DB>(options);
    return {
      ...database,
      options,
      async dispose() {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = uniqueName(prefix).toLowerCase();
  const options = { engine: 'postgres' as const, url: TEST_POSTGRES_URL, schema };
  const database = await openDatabase<DB>(options);
  return {
    ...database,
    options,
    async dispose() {
      await database.close();
      await dropSchema(TEST_POSTGRES_URL, schema);
    },
  };
}
