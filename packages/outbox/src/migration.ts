import type { Engine } from '@dslab/db';
import type { Migration } from 'kysely';

/**
 * Creates `outbox` and `mensagens_processadas` on either engine. Every database that enqueues or
 * consumes messages runs it once among its own migrations (the checkout kit lists it as
 * `0001_outbox`).
 */
export function outboxMigration(engine: Engine): Migration {
  return {
    async up(db) {
      const outbox =
        engine === 'sqlite'
          ? db.schema.createTable('outbox').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
          : db.schema.createTable('outbox').addColumn('id', 'bigserial', (c) => c.primaryKey());
      await outbox
        .addColumn('mensagem_id', 'text', (c) => c.notNull().unique())
        .addColumn('fila', 'text', (c) => c.notNull())
        .addColumn('corpo', 'text', (c) => c.notNull())
        .addColumn('cabecalhos', 'text', (c) => c.notNull())
        .addColumn('criado_em', 'text', (c) => c.notNull())
        .addColumn('tentativas', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('ultimo_erro', 'text')
        .execute();
      await db.schema
        .createTable('mensagens_processadas')
        .addColumn('consumidor', 'text', (c) => c.notNull())
        .addColumn('mensagem_id', 'text', (c) => c.notNull())
        .addColumn('processado_em', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('mensagens_processadas_pk', ['consumidor', 'mensagem_id'])
        .execute();
    },
  };
}
