import { auditMigration } from '@dslab/audit-log';
import type { Engine } from '@dslab/db';
import { sql, type Kysely, type Migration } from 'kysely';

/** PostgreSQL only: no two ACTIVE bookings of one telescope may overlap in time. */
export const EXCLUSION_CONSTRAINT = 'agendamentos_sem_sobreposicao_ativa';

/**
 * Adds the exclusion constraint on PostgreSQL (a no-op on SQLite, which has none). Used by the
 * migration and by `store.ensureSlotUniqueIndex` when a demo run had dropped it.
 *
 * `btree_gist` supplies the GiST operator class for `telescopio_id WITH =`. An extension's
 * objects live in one schema, and the migrator may run with a per-test schema first on the
 * search_path: the extension is created in `public` so it outlives every test schema (a
 * `DROP SCHEMA … CASCADE` of the first test schema would otherwise drop it, and every other
 * schema's constraint with it). The constraint needs no search_path to find it: PostgreSQL picks
 * the default GiST operator class for `text` from the catalog whatever schema holds it.
 * Concurrent migrators (parallel test schemas, several schedulers) may both try to create the
 * extension; a transaction-scoped advisory lock lets only one do it at a time.
 */
export async function addExclusionConstraint<DB>(db: Kysely<DB>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtext('sctec:btree_gist'))`.execute(db);
  await sql`CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public`.execute(db);
  await sql`ALTER TABLE agendamentos ADD CONSTRAINT ${sql.id(EXCLUSION_CONSTRAINT)} EXCLUDE USING gist (telescopio_id WITH =, int8range(inicio_ms, fim_ms) WITH &&) WHERE (status = 'ativo')`.execute(
    db,
  );
}

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
    // A second last line, on PostgreSQL only: the bookings themselves (not their slot rows) may
    // not overlap while active. int8range is half-open ([inicio, fim)), so back-to-back bookings
    // do not conflict. SQLite has no exclusion constraints; there the slot index stands alone.
    '0003_exclusion': {
      async up(db) {
        if (engine === 'postgres') await addExclusionConstraint(db);
      },
    },
    // Issue 9, fair share: quotas, the waitlist with holds, and the per-slot demand counters.
    '0004_fair_share': {
      async up(db) {
        await db.schema.alterTable('cientistas').addColumn('cota_minutos', 'integer').execute();
        await db.schema
          .alterTable('agendamento_slots')
          .addColumn('conta_cota', 'integer', (c) => c.notNull().defaultTo(1))
          .execute();
        // Bookings cancelled before quotas existed were cancelled under no quota: none of them counts.
        await db.updateTable('agendamento_slots').set({ conta_cota: 0 }).where('ativo', '=', 0).execute();
        await id(db, 'esperas')
          .addColumn('telescopio_id', 'text', (c) => c.notNull().references('telescopios.id'))
          .addColumn('slot_inicio_ms', 'bigint', (c) => c.notNull())
          .addColumn('cientista_id', 'bigint', (c) => c.notNull().references('cientistas.id'))
          .addColumn('status', 'text', (c) =>
            c.notNull().check(sql`status IN ('aguardando', 'oferecida', 'aceita', 'expirada', 'saiu')`),
          )
          .addColumn('entrou_em_utc', 'text', (c) => c.notNull())
          .addColumn('oferecida_em_utc', 'text')
          .addColumn('oferta_expira_ms', 'bigint')
          .addColumn('encerrada_em_utc', 'text')
          .addColumn('agendamento_id', 'bigint')
          .addCheckConstraint(
            'esperas_oferta_coerente',
            sql`status <> 'oferecida' OR oferta_expira_ms IS NOT NULL`,
          )
          .execute();
        // One open entry per scientist and slot; at most one hold per slot (the database's own guard).
        await db.schema
          .createIndex('esperas_uma_aberta_por_cientista')
          .on('esperas')
          .columns(['telescopio_id', 'slot_inicio_ms', 'cientista_id'])
          .unique()
          .where(sql.ref('status'), 'in', ['aguardando', 'oferecida'])
          .execute();
        await db.schema
          .createIndex('esperas_uma_oferta_por_slot')
          .on('esperas')
          .columns(['telescopio_id', 'slot_inicio_ms'])
          .unique()
          .where(sql.ref('status'), '=', 'oferecida')
          .execute();
        await db.schema
          .createIndex('esperas_fila')
          .on('esperas')
          .columns(['telescopio_id', 'slot_inicio_ms', 'status', 'id'])
          .execute();
        await db.schema
          .createIndex('esperas_cientista')
          .on('esperas')
          .columns(['cientista_id', 'status'])
          .execute();
        await db.schema
          .createIndex('esperas_ofertas_a_vencer')
          .on('esperas')
          .columns(['oferta_expira_ms'])
          .where(sql.ref('status'), '=', 'oferecida')
          .execute();
        await db.schema
          .createTable('slot_demanda')
          .addColumn('telescopio_id', 'text', (c) => c.notNull())
          .addColumn('slot_inicio_ms', 'bigint', (c) => c.notNull())
          .addColumn('tentativas', 'bigint', (c) => c.notNull().defaultTo(0))
          .addPrimaryKeyConstraint('slot_demanda_pk', ['telescopio_id', 'slot_inicio_ms'])
          .execute();
      },
    },
  };
}
