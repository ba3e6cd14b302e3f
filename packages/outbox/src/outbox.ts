import type { HeaderValue } from '@dslab/messaging';
import type { Kysely, Transaction } from 'kysely';
import type { OutboxTables } from './schema.js';

/** A Kysely instance or a transaction over a database that has the outbox tables (among others). */
export type OutboxExecutor<DB> = Kysely<DB> | Transaction<DB>;

export interface OutboxMessage {
  /** The work queue it goes to. */
  readonly queue: string;
  /** Stable id: consumers recognise a redelivery by it, and the outbox keeps one row per id. */
  readonly messageId: string;
  /** JSON-serialisable body (stored as JSON text, published as the parsed value). */
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, HeaderValue>>;
}

/** Rows per INSERT: 6 parameters each keeps a statement well under SQLite's 32,766 variables. */
const INSERT_CHUNK = 500;

function asOutbox<DB>(db: OutboxExecutor<DB>): Kysely<OutboxTables> {
  return db as unknown as Kysely<OutboxTables>;
}

function toJson(value: unknown, what: string): string {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) throw new TypeError(`${what} is not JSON-serialisable`);
  return json;
}

/**
 * Writes `messages` to the outbox inside the caller's transaction, so they exist if and only if
 * the caller's change commits. A message whose id is already in the outbox is skipped
 * (INSERT … ON CONFLICT (mensagem_id) DO NOTHING). Answers how many rows were new.
 * Wake the relay after the transaction commits.
 */
export async function enqueue<DB>(
  trx: OutboxExecutor<DB>,
  messages: readonly OutboxMessage[],
  at: string,
): Promise<number> {
  const rows = messages.map((message) => ({
    mensagem_id: message.messageId,
    fila: message.queue,
    corpo: toJson(message.body, `body of message ${message.messageId}`),
    cabecalhos: toJson(message.headers ?? {}, `headers of message ${message.messageId}`),
    criado_em: at,
    ultimo_erro: null,
  }));
  let inserted = 0;
  for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
    const result = await asOutbox(trx)
      .insertInto('outbox')
      .values(rows.slice(start, start + INSERT_CHUNK))
      .onConflict((oc) => oc.column('mensagem_id').doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  return inserted;
}

/**
 * Records, inside the caller's transaction (the one that applies the message's effect), that
 * `consumer` processed `messageId`. Answers true when newly recorded, false when it was already:
 * then the caller must not apply the effect again (roll back or skip).
 */
export async function markProcessed<DB>(
  trx: OutboxExecutor<DB>,
  consumer: string,
  messageId: string,
  at: string,
): Promise<boolean> {
  const result = await asOutbox(trx)
    .insertInto('mensagens_processadas')
    .values({ consumidor: consumer, mensagem_id: messageId, processado_em: at })
    .onConflict((oc) => oc.columns(['consumidor', 'mensagem_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** True when `consumer` has recorded `messageId` as processed. */
export async function wasProcessed<DB>(
  db: OutboxExecutor<DB>,
  consumer: string,
  messageId: string,
): Promise<boolean> {
  const row = await asOutbox(db)
    .selectFrom('mensagens_processadas')
    .select('mensagem_id')
    .where('consumidor', '=', consumer)
    .where('mensagem_id', '=', messageId)
    .executeTakeFirst();
  return row !== undefined;
}
