import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isExclusionViolation, isUniqueViolation, migrate, violatedConstraint } from '@dslab/db';
import { sql } from 'kysely';
import { createTestDatabase, ENGINES } from '@dslab/testing';
import { createIdempotencyStore } from '../src/adapters/idempotency.js';
import { schedulerMigrations } from '../src/adapters/migrations.js';
import type { SchedulerTables } from '../src/adapters/schema.js';
import { createSchedulerStore } from '../src/adapters/store.js';
import { EXCLUSION_CONSTRAINT } from '../src/adapters/migrations.js';

const SLOT = 300_000;
const T0 = Date.UTC(2030, 0, 1, 3, 0, 0);

for (const engine of ENGINES) {
  describe(`scheduler repository on ${engine}`, () => {
    const setup = async () => {
      const database = await createTestDatabase<SchedulerTables>(engine, 'repo');
      await migrate(database, schedulerMigrations(database.engine));
      const store = createSchedulerStore(database.db);
      await store.ensureTelescope({
        id: 'Hubble-Acad',
        nome: 'Hubble',
        descricao: null,
        criado_em_utc: '2030-01-01T00:00:00.000Z',
      });
      const scientist = await store.insertScientist({
        nome: 'Marie',
        email: 'marie@x.org',
        senha_hash: 'h',
        instituicao: null,
        papel: 'cientista',
        criado_em_utc: '2030-01-01T00:00:00.000Z',
      });
      const book = (start: number, slots: number) =>
        store.transaction(async (trx) => {
          const row = await store.insertBooking(trx, {
            telescopio_id: 'Hubble-Acad',
            cientista_id: scientist.id,
            horario_inicio_utc: new Date(start).toISOString(),
            horario_fim_utc: new Date(start + slots * SLOT).toISOString(),
            inicio_ms: start,
            fim_ms: start + slots * SLOT,
            status: 'ativo',
            recebido_em_utc: '2030-01-01T00:00:00.000Z',
            criado_em_utc: '2030-01-01T00:00:00.000Z',
            horario_clique_utc: null,
            incerteza_ms: null,
            tokens: '[]',
            cancelado_em_utc: null,
            cancelado_por: null,
          });
          await store.insertSlots(
            trx,
            row.id,
            'Hubble-Acad',
            Array.from({ length: slots }, (_, i) => start + i * SLOT),
          );
          return row;
        });
      /** A booking row written straight to the table, bypassing the slot rows (and the service). */
      const rawBooking = (
        start: number,
        slots: number,
        status: 'ativo' | 'cancelado' = 'ativo',
        telescopioId = 'Hubble-Acad',
      ) =>
        database.db
          .insertInto('agendamentos')
          .values({
            telescopio_id: telescopioId,
            cientista_id: scientist.id,
            horario_inicio_utc: new Date(start).toISOString(),
            horario_fim_utc: new Date(start + slots * SLOT).toISOString(),
            inicio_ms: start,
            fim_ms: start + slots * SLOT,
            status,
            recebido_em_utc: '2030-01-01T00:00:00.000Z',
            criado_em_utc: '2030-01-01T00:00:00.000Z',
            horario_clique_utc: null,
            incerteza_ms: null,
            tokens: '[]',
            cancelado_em_utc: status === 'cancelado' ? '2030-01-01T00:00:00.000Z' : null,
            cancelado_por: status === 'cancelado' ? scientist.id : null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
      return { database, store, scientist, book, rawBooking };
    };

    test('e-mails are unique', async () => {
      const { database, store } = await setup();
      try {
        await assert.rejects(
          store.insertScientist({
            nome: 'X',
            email: 'marie@x.org',
            senha_hash: 'h',
            instituicao: null,
            papel: 'cientista',
            criado_em_utc: 'x',
          }),
          (error: { code?: string }) => error.code === 'email-taken',
        );
      } finally {
        await database.dispose();
      }
    });

    test('the database refuses a second active booking of a slot, and the transaction leaves nothing behind', async () => {
      const { database, book } = await setup();
      try {
        await book(T0, 2);
        // SQLite: the partial unique index on slot rows. PostgreSQL: the exclusion constraint
        // refuses the booking row before its slot rows are even written.
        await assert.rejects(book(T0 + SLOT, 1), (error: { code?: unknown }) =>
          engine === 'sqlite' ? isUniqueViolation(error) : error.code === 'slot-taken',
        );
        const rows = await database.db.selectFrom('agendamentos').selectAll().execute();
        assert.equal(rows.length, 1, 'the failed booking row was rolled back');
      } finally {
        await database.dispose();
      }
    });

    test('cancelling frees the slots for a new booking', async () => {
      const { database, store, scientist, book } = await setup();
      try {
        const first = await book(T0, 1);
        const cancelled = await store.transaction((trx) =>
          store.cancelBooking(trx, first.id, scientist.id, '2030-01-01T01:00:00.000Z'),
        );
        assert.equal(cancelled?.status, 'cancelado');
        assert.equal(
          await store.transaction((trx) => store.cancelBooking(trx, first.id, scientist.id, 'x')),
          undefined,
          'only once',
        );
        await book(T0, 1);
        assert.deepEqual(
          await store.findActiveConflicts('Hubble-Acad', [T0, T0 + SLOT]).then((r) => r.length),
          1,
        );
      } finally {
        await database.dispose();
      }
    });

    test('the fence only moves forward: an equal or lower token is stale', async () => {
      const { database, store } = await setup();
      try {
        const fence = (token: number) => store.transaction((trx) => store.advanceFence(trx, 'R', token));
        assert.equal(await fence(5), true);
        assert.equal(await fence(5), false);
        assert.equal(await fence(3), false);
        assert.equal(await fence(9), true);
        const row = await database.db
          .selectFrom('lock_fences')
          .selectAll()
          .where('recurso', '=', 'R')
          .executeTakeFirstOrThrow();
        assert.equal(row.token, 9);
      } finally {
        await database.dispose();
      }
    });

    test('bookings are listed by telescope, time range and status, with totals for pagination', async () => {
      const { database, store, scientist, book } = await setup();
      try {
        for (let i = 0; i < 7; i++) await book(T0 + i * 2 * SLOT, 1);
        const page = await store.listBookings({ telescopioId: 'Hubble-Acad', limit: 3, offset: 3 });
        assert.equal(page.total, 7);
        assert.deepEqual(
          page.rows.map((r) => r.inicio_ms),
          [6, 8, 10].map((k) => T0 + k * SLOT),
        );
        const ranged = await store.listBookings({
          deMs: T0 + 3 * SLOT,
          ateMs: T0 + 7 * SLOT,
          limit: 50,
          offset: 0,
        });
        assert.deepEqual(
          ranged.rows.map((r) => r.inicio_ms),
          [4, 6].map((k) => T0 + k * SLOT),
        );
        const mine = await store.listBookings({
          cientistaId: scientist.id,
          status: 'cancelado',
          limit: 50,
          offset: 0,
        });
        assert.equal(mine.total, 0);
      } finally {
        await database.dispose();
      }
    });

    test('an Idempotency-Key is claimed by exactly one of many concurrent requests', async () => {
      const { database } = await setup();
      try {
        let now = 1_000;
        const keys = createIdempotencyStore(database.db, () => now);
        const claims = await Promise.all(Array.from({ length: 10 }, () => keys.claim('s', 'k', 'h')));
        assert.equal(claims.filter((c) => c.kind === 'claimed').length, 1);
        assert.equal(claims.filter((c) => c.kind === 'in-progress').length, 9);
        await keys.complete('s', 'k', 201, { id: 1 }, '/agendamentos/1');
        assert.deepEqual(await keys.claim('s', 'k', 'h'), {
          kind: 'replay',
          status: 201,
          body: { id: 1 },
          location: '/agendamentos/1',
        });
        assert.deepEqual(await keys.claim('s', 'k', 'other'), { kind: 'mismatch' });
        await keys.claim('s', 'abandoned', 'h');
        now += 61_000;
        assert.deepEqual(
          await keys.claim('s', 'abandoned', 'h'),
          { kind: 'claimed' },
          'a crashed claim can be taken over',
        );
      } finally {
        await database.dispose();
      }
    });

    test('the database itself refuses slots off the 5-minute grid and incoherent cancellations', async () => {
      const { database, book } = await setup();
      try {
        await assert.rejects(book(T0 + 60_000, 1));
        const row = await book(T0, 1);
        await assert.rejects(
          database.db
            .updateTable('agendamentos')
            .set({ status: 'cancelado' })
            .where('id', '=', row.id)
            .execute(),
        );
      } finally {
        await database.dispose();
      }
    });

    test('the demo switch drops the whole last line, and a normal start cannot put it back over double bookings', async () => {
      const { database, store, book } = await setup();
      try {
        await book(T0, 1);
        await store.dropSlotUniqueIndex();
        const second = await book(T0, 1);
        assert.equal(
          (await database.db.selectFrom('agendamentos').selectAll().where('status', '=', 'ativo').execute())
            .length,
          2,
          'with the last line off, the database accepts a double booking',
        );
        await assert.rejects(store.ensureSlotUniqueIndex());
        await database.db.deleteFrom('agendamento_slots').where('agendamento_id', '=', second.id).execute();
        await database.db.deleteFrom('agendamentos').where('id', '=', second.id).execute();
        await store.ensureSlotUniqueIndex();
        await store.ensureSlotUniqueIndex(); // idempotent
        await assert.rejects(
          book(T0, 1),
          (error: { code?: unknown }) => isUniqueViolation(error) || error.code === 'slot-taken',
        );
      } finally {
        await database.dispose();
      }
    });

    if (engine === 'postgres') {
      test('on PostgreSQL, the exclusion constraint refuses an overlapping active booking even when no slot rows are written', async () => {
        const { database, rawBooking } = await setup();
        try {
          await rawBooking(T0, 3);
          await assert.rejects(rawBooking(T0 + 2 * SLOT, 2), (error) => {
            assert.ok(isExclusionViolation(error), String(error));
            assert.equal(violatedConstraint(error), EXCLUSION_CONSTRAINT);
            return true;
          });
          await assert.rejects(rawBooking(T0 - SLOT, 5), (error) => isExclusionViolation(error));
        } finally {
          await database.dispose();
        }
      });

      test('on PostgreSQL, a cancelled booking does not block, back-to-back bookings do not overlap, and other telescopes are independent', async () => {
        const { database, store, rawBooking } = await setup();
        try {
          await rawBooking(T0, 2, 'cancelado');
          const active = await rawBooking(T0, 2);
          await rawBooking(T0 + 2 * SLOT, 1);
          await rawBooking(T0 - SLOT, 1);
          await store.ensureTelescope({
            id: 'Webb-Acad',
            nome: 'Webb',
            descricao: null,
            criado_em_utc: '2030-01-01T00:00:00.000Z',
          });
          await rawBooking(T0, 2, 'ativo', 'Webb-Acad');
          // Cancelling (the row leaves the constraint's WHERE) frees the range.
          await database.db
            .updateTable('agendamentos')
            .set({ status: 'cancelado', cancelado_em_utc: '2030-01-01T01:00:00.000Z' })
            .where('id', '=', active.id)
            .execute();
          await rawBooking(T0 + SLOT, 1);
        } finally {
          await database.dispose();
        }
      });

      test('on PostgreSQL, the constraint lives in the scheduler schema and btree_gist in public, so dropping a test schema leaves the extension', async () => {
        const { database } = await setup();
        try {
          const { rows } = await sql<{ schema: string; ext_schema: string }>`
            SELECT n.nspname AS schema,
                   (SELECT e.extnamespace::regnamespace::text FROM pg_extension e WHERE e.extname = 'btree_gist') AS ext_schema
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE c.conname = ${EXCLUSION_CONSTRAINT} AND n.nspname = current_schema()`.execute(database.db);
          assert.equal(rows.length, 1);
          assert.equal(rows[0]?.schema, database.schema);
          assert.equal(rows[0]?.ext_schema, 'public');
        } finally {
          await database.dispose();
        }
      });

      test('on PostgreSQL, dropping only the slot index keeps the exclusion constraint', async () => {
        const { database, store, rawBooking } = await setup();
        try {
          await store.dropSlotUniqueIndex({ keepExclusion: true });
          await rawBooking(T0, 1);
          await assert.rejects(rawBooking(T0, 1), (error) => isExclusionViolation(error));
        } finally {
          await database.dispose();
        }
      });
    }
  });
}
