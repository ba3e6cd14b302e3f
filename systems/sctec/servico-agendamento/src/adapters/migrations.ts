import { auditMigration } from '@dslab/audit-log';
import type { Engine } from '@dslab/db';
import { sql, type Kysely, type Migration } from 'kysely';

/** Migrations in code, applied at start-up (Kysely's Migrator locks, so two schedulers may start at once). */
export function schedulerMigrations(engine: Engine): Record<string, Migration> {
  const id = (db: Kysely<unknown>, table: string) =>
    engine === 'sqlite'
      ? db.schema.createTable(table).addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      : db.schema.createTable(table).addColumn('id', 'bigserial', (c) => c.primaryKey());
  return {
    '0001_audit': auditMigration(engine),
    '0002_core': {
      async up(db) {
        await id(db, 'cientistas')
          .addColumn('nome', 'text', (c) => c.notNull())
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .addColumn('senha_hash', 'text', (c) => c.notNull())
          .addColumn('instituicao', 'text')
          .addColumn('papel', 'text', (c) => c.notNull().check(sql`papel IN ('cientista', 'admin')`))
          .addColumn('criado_em_utc', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('telescopios')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('nome', 'text', (c) => c.notNull())
          .addColumn('descricao', 'text')
          .addColumn('criado_em_utc', 'text', (c) => c.notNull())
          .execute();
        await id(db, 'agendamentos')
          .addColumn('telescopio_id', 'text', (c) => c.notNull().references('telescopios.id'))
          .addColumn('cientista_id', 'bigint', (c) => c.notNull().references('cientistas.id'))
          .addColumn('horario_inicio_utc', 'text', (c) => c.notNull())
          .addColumn('horario_fim_utc', 'text', (c) => c.notNull())
          .addColumn('inicio_ms', 'bigint', (c) => c.notNull())
          .addColumn('fim_ms', 'bigint', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull().check(sql`status IN ('ativo', 'cancelado')`))
          .addColumn('recebido_em_utc', 'text', (c) => c.notNull())
          .addColumn('criado_em_utc', 'text', (c) => c.notNull())
          .addColumn('horario_clique_utc', 'text')
          .addColumn('incerteza_ms', 'double precision')
          .addColumn('tokens', 'text', (c) => c.notNull())
          .addColumn('cancelado_em_utc', 'text')
          .addColumn('cancelado_por', 'bigint')
          .addCheckConstraint('agendamentos_fim_depois_inicio', sql`fim_ms > inicio_ms`)
          .addCheckConstraint(
            'agendamentos_cancelamento_coerente',
            sql`(status = 'ativo' AND cancelado_em_utc IS NULL) OR (status = 'cancelado' AND cancelado_em_utc IS NOT NULL)`,
          )
          .execute();
        await db.schema
          .createIndex('agendamentos_telescopio_inicio')
          .on('agendamentos')
          .columns(['telescopio_id', 'inicio_ms'])
          .execute();
        await db.schema
          .createIndex('agendamentos_cientista')
          .on('agendamentos')
          .columns(['cientista_id', 'inicio_ms'])
          .execute();
        await db.schema
          .createTable('agendamento_slots')
          .addColumn('agendamento_id', 'bigint', (c) => c.notNull().references('agendamentos.id'))
          .addColumn('telescopio_id', 'text', (c) => c.notNull())
          .addColumn('slot_inicio_ms', 'bigint', (c) => c.notNull())
          .addColumn('ativo', 'integer', (c) => c.notNull().check(sql`ativo IN (0, 1)`))
          .addPrimaryKeyConstraint('agendamento_slots_pk', ['agendamento_id', 'slot_inicio_ms'])
          .addCheckConstraint('agendamento_slots_na_grade', sql`slot_inicio_ms % 300000 = 0`)
          .execute();
        // Last line of defence: at most one ACTIVE booking per (telescope, slot).
        await db.schema
          .createIndex('agendamento_slots_um_ativo_por_slot')
          .on('agendamento_slots')
          .columns(['telescopio_id', 'slot_inicio_ms'])
          .unique()
          .where(sql.ref('ativo'), '=', 1)
          .execute();
        await db.schema
          .createTable('lock_fences')
          .addColumn('recurso', 'text', (c) => c.primaryKey())
          .addColumn('token', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('idempotency_keys')
          .addColumn('escopo', 'text', (c) => c.notNull())
          .addColumn('chave', 'text', (c) => c.notNull())
          .addColumn('hash_pedido', 'text', (c) => c.notNull())
          .addColumn('estado', 'text', (c) => c.notNull())
          .addColumn('status_code', 'integer')
          .addColumn('resposta', 'text')
          .addColumn('location', 'text')
          .addColumn('criado_em_ms', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('idempotency_keys_pk', ['escopo', 'chave'])
          .execute();
      },
    },
  };
}
