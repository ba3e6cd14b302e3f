import { translateDatabaseError } from '@dslab/db';
import type { Kysely } from 'kysely';
import type { SchedulerTables } from './schema.js';

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; body: unknown; location: string | null }
  | { kind: 'mismatch' }
  | { kind: 'in-progress' };

/** A claim older than this whose request never completed (crash) may be taken over. */
const ABANDONED_AFTER_MS = 60_000;

/**
 * Idempotency-Key storage. A key is claimed with an insert (the primary key makes exactly one
 * of several concurrent retries the owner); the owner stores the final response, which later
 * retries receive unchanged. Keys are scoped per principal, so two users cannot collide.
 */
export function createIdempotencyStore(db: Kysely<SchedulerTables>, now: () => number) {
  return {
    async claim(escopo: string, chave: string, hashPedido: string): Promise<Claim> {
      try {
        const at = now();
        const inserted = await db
          .insertInto('idempotency_keys')
          .values({
            escopo,
            chave,
            hash_pedido: hashPedido,
            estado: 'em_andamento',
            status_code: null,
            resposta: null,
            location: null,
            criado_em_ms: at,
          })
          .onConflict((oc) => oc.columns(['escopo', 'chave']).doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return { kind: 'claimed' };
        const row = await db
          .selectFrom('idempotency_keys')
          .selectAll()
          .where('escopo', '=', escopo)
          .where('chave', '=', chave)
          .executeTakeFirst();
        if (row === undefined) return await this.claim(escopo, chave, hashPedido);
        if (row.hash_pedido !== hashPedido) return { kind: 'mismatch' };
        if (row.estado === 'concluido' && row.status_code !== null && row.resposta !== null) {
          return {
            kind: 'replay',
            status: row.status_code,
            body: JSON.parse(row.resposta),
            location: row.location,
          };
        }
        if (at - row.criado_em_ms > ABANDONED_AFTER_MS) {
          const taken = await db
            .updateTable('idempotency_keys')
            .set({ criado_em_ms: at })
            .where('escopo', '=', escopo)
            .where('chave', '=', chave)
            .where('estado', '=', 'em_andamento')
            .where('criado_em_ms', '=', row.criado_em_ms)
            .executeTakeFirst();
          if (Number(taken.numUpdatedRows) === 1) return { kind: 'claimed' };
        }
        return { kind: 'in-progress' };
      } catch (error) {
        throw translateDatabaseError(error);
      }
    },
    async complete(
      escopo: string,
      chave: string,
      status: number,
      body: unknown,
      location: string | null,
    ): Promise<void> {
      await db
        .updateTable('idempotency_keys')
        .set({ estado: 'concluido', status_code: status, resposta: JSON.stringify(body), location })
        .where('escopo', '=', escopo)
        .where('chave', '=', chave)
        .execute();
    },
    /** Forgets a claim whose request failed transiently (5xx), so a retry runs it again. */
    async release(escopo: string, chave: string): Promise<void> {
      await db
        .deleteFrom('idempotency_keys')
        .where('escopo', '=', escopo)
        .where('chave', '=', chave)
        .where('estado', '=', 'em_andamento')
        .execute();
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;
