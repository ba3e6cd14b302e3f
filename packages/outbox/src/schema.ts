import type { Generated } from 'kysely';

/**
 * A message waiting to be published: written in the same transaction as the change that causes
 * it, published (with the broker's confirm) by the relay, then deleted.
 */
export interface OutboxTable {
  /** Publication order (auto-increment). */
  id: Generated<number>;
  /** The message's stable id (UNIQUE): enqueueing a known id again is a no-op. */
  mensagem_id: string;
  /** The work queue it goes to. */
  fila: string;
  /** The body as JSON text. */
  corpo: string;
  /** The headers as a JSON object of scalars. */
  cabecalhos: string;
  /** When it was enqueued (UTC ISO-8601). */
  criado_em: string;
  /** Failed publish attempts so far. */
  tentativas: Generated<number>;
  /** The last publish failure's message, if any. */
  ultimo_erro: string | null;
}

/**
 * The inbox: one row per message a consumer has applied, written in the same transaction as the
 * consumer's effect. PRIMARY KEY (consumidor, mensagem_id).
 */
export interface MensagensProcessadasTable {
  consumidor: string;
  mensagem_id: string;
  processado_em: string;
}

export interface OutboxTables {
  outbox: OutboxTable;
  mensagens_processadas: MensagensProcessadasTable;
}
