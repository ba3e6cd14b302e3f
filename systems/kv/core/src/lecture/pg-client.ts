import { CompiledQuery, type Kysely } from 'kysely';
import type { LecturePgClient } from './lecture-kv.js';

/** The seed's `pgClient.query(text, params)` over a Kysely pool (so tests reuse their per-test schema). */
export function lecturePgClient(db: Kysely<unknown>): LecturePgClient {
  return {
    async query(text, values = []) {
      const result = await db.executeQuery(CompiledQuery.raw(text, values));
      const rows = result.rows as Record<string, unknown>[];
      return {
        rows,
        rowCount: result.numAffectedRows === undefined ? rows.length : Number(result.numAffectedRows),
      };
    },
  };
}
