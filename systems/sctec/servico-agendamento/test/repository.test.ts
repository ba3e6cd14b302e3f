import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isUniqueViolation, migrate } from '@dslab/db';
import { createTestDatabase, ENGINES } from '@dslab/testing';
import { createIdempotencyStore } from '../src/adapters/idempotency.js';
import { schedulerMigrations } from '../src/adapters/migrations.js';
import type { SchedulerTables } from '../src/adapters/schema.js';
import { createSchedulerStore } from '../src/adapters/store.js';

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
      return { database, store, scientist, book };
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

    test('the unique index refuses a second active booking of a slot, and the transaction leaves nothing behind', async () => {
      const { database, book } = await setup();
      try {
        await book(T0, 2);
        await assert.rejects(book(T0 + SLOT, 1), (error) => isUniqueViolation(error));
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
  });
}
