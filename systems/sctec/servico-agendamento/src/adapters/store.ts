import { AppError } from '@dslab/errors';
import { isRetryableTransactionError, isUniqueViolation, translateDatabaseError } from '@dslab/db';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { addExclusionConstraint, EXCLUSION_CONSTRAINT } from './migrations.js';
import type { SchedulerTables } from './schema.js';

export type ScientistRow = Selectable<SchedulerTables['cientistas']>;
export type TelescopeRow = Selectable<SchedulerTables['telescopios']>;
export type BookingRow = Selectable<SchedulerTables['agendamentos']>;
export type Trx = Transaction<SchedulerTables>;

export interface BookingFilter {
  telescopioId?: string | undefined;
  cientistaId?: number | undefined;
  status?: 'ativo' | 'cancelado' | undefined;
  /** Bookings that end after this instant (ms). */
  deMs?: number | undefined;
  /** Bookings that start before this instant (ms). */
  ateMs?: number | undefined;
  limit: number;
  offset: number;
}

const MAX_TRANSACTION_ATTEMPTS = 5;

/** Wraps a query so infrastructure failures leave as 503, not 500. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}

/**
 * True on PostgreSQL. The store's code is engine-neutral except for the exclusion constraint
 * (PostgreSQL only) and the demo delay's placement; the compiled placeholder tells the dialect apart without a round trip ($1 on PostgreSQL, ? on SQLite).
 */
function isPostgres(db: Kysely<SchedulerTables>): boolean {
  return sql`SELECT ${1}`.compile(db).sql.includes('$1');
}

async function hasExclusionConstraint(db: Kysely<SchedulerTables>): Promise<boolean> {
  const { rows } = await sql<{
    n: number;
  }>`SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'agendamentos'::regclass AND conname = ${EXCLUSION_CONSTRAINT}`.execute(
    db,
  );
  return (rows[0]?.n ?? 0) > 0;
}

/** Persistence of the scheduler on Kysely; the same code runs on SQLite and PostgreSQL. */
export function createSchedulerStore(db: Kysely<SchedulerTables>) {
  const engine = isPostgres(db) ? ('postgres' as const) : ('sqlite' as const);
  return {
    db,
    /** Which engine is underneath (the code is the same; a few demo switches differ). */
    engine,
    /**
     * Runs `work` in one transaction. A deadlock or serialization failure (PostgreSQL), or a
     * busy SQLite database (including SQLITE_BUSY_SNAPSHOT: another process wrote after this
     * transaction read), rolls everything back, so the whole transaction is simply run again,
     * a few times; the retry sees what the other transaction committed. insertBooking already
     * avoids the exclusion constraint's own deadlock (see there); this is the backstop.
     */
    async transaction<T>(work: (trx: Trx) => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute(work);
        } catch (error) {
          if (attempt >= MAX_TRANSACTION_ATTEMPTS || !isRetryableTransactionError(error))
            throw translateDatabaseError(error);
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
        }
      }
    },

    async insertScientist(values: Omit<ScientistRow, 'id' | 'cota_minutos'>): Promise<ScientistRow> {
      try {
        return await db.insertInto('cientistas').values(values).returningAll().executeTakeFirstOrThrow();
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError('email-taken', `The e-mail ${values.email} is already registered`);
        throw translateDatabaseError(error);
      }
    },
    findScientistByEmail(email: string): Promise<ScientistRow | undefined> {
      return guarded(() =>
        db.selectFrom('cientistas').selectAll().where('email', '=', email).executeTakeFirst(),
      );
    },
    findScientist(id: number): Promise<ScientistRow | undefined> {
      return guarded(() => db.selectFrom('cientistas').selectAll().where('id', '=', id).executeTakeFirst());
    },
    countAdmins(): Promise<number> {
      return guarded(async () => {
        const row = await db
          .selectFrom('cientistas')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('papel', '=', 'admin')
          .executeTakeFirstOrThrow();
        return row.n;
      });
    },

    async ensureTelescope(values: TelescopeRow): Promise<void> {
      await guarded(() =>
        db
          .insertInto('telescopios')
          .values(values)
          .onConflict((oc) => oc.column('id').doNothing())
          .execute(),
      );
    },
    listTelescopes(): Promise<TelescopeRow[]> {
      return guarded(() => db.selectFrom('telescopios').selectAll().orderBy('id').execute());
    },
    findTelescope(id: string): Promise<TelescopeRow | undefined> {
      return guarded(() => db.selectFrom('telescopios').selectAll().where('id', '=', id).executeTakeFirst());
    },

    findBooking(id: number, trx: Kysely<SchedulerTables> = db): Promise<BookingRow | undefined> {
      return guarded(() =>
        trx.selectFrom('agendamentos').selectAll().where('id', '=', id).executeTakeFirst(),
      );
    },
    /** Active bookings of `telescopioId` that hold any of `slots` (the seed's "verificação de conflito"). */
    findActiveConflicts(telescopioId: string, slots: readonly number[], trx: Kysely<SchedulerTables> = db) {
      return guarded(() =>
        trx
          .selectFrom('agendamento_slots')
          .select(['agendamento_id', 'slot_inicio_ms'])
          .where('telescopio_id', '=', telescopioId)
          .where('slot_inicio_ms', 'in', [...slots])
          .where('ativo', '=', 1)
          .execute(),
      );
    },
    async listBookings(filter: BookingFilter): Promise<{ rows: BookingRow[]; total: number }> {
      return guarded(async () => {
        let query = db.selectFrom('agendamentos');
        if (filter.telescopioId !== undefined) query = query.where('telescopio_id', '=', filter.telescopioId);
        if (filter.cientistaId !== undefined) query = query.where('cientista_id', '=', filter.cientistaId);
        if (filter.status !== undefined) query = query.where('status', '=', filter.status);
        if (filter.deMs !== undefined) query = query.where('fim_ms', '>', filter.deMs);
        if (filter.ateMs !== undefined) query = query.where('inicio_ms', '<', filter.ateMs);
        const [rows, count] = await Promise.all([
          query
            .selectAll()
            .orderBy('inicio_ms')
            .orderBy('id')
            .limit(filter.limit)
            .offset(filter.offset)
            .execute(),
          query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
        ]);
        return { rows, total: count.n };
      });
    },

    /**
     * Fence check (DESIGN.md §7): records `token` for `recurso` only if it is higher than any
     * token seen before. Returns false for a stale holder, whose write must then be refused.
     */
    async advanceFence(trx: Trx, recurso: string, token: number): Promise<boolean> {
      const result = await trx
        .insertInto('lock_fences')
        .values({ recurso, token })
        .onConflict((oc) =>
          oc
            .column('recurso')
            .doUpdateSet({ token: (eb) => eb.ref('excluded.token') })
            .where('lock_fences.token', '<', (eb) => eb.ref('excluded.token')),
        )
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
    /**
     * Inserts a booking row. On PostgreSQL the exclusion constraint refuses an active booking
     * that overlaps another one of the same telescope; that refusal leaves as 409 `slot-taken`.
     * ON CONFLICT DO NOTHING (which accepts exclusion constraints as arbiters) makes PostgreSQL
     * check before it inserts, waiting for an undecided overlapping insert: a plain INSERT adds
     * its index entry first and checks after, so two overlapping inserts can each wait for the
     * other and one dies of a deadlock (40P01) instead. On SQLite there is nothing to conflict
     * with (the id is the only unique column); the slot index stands there.
     */
    async insertBooking(trx: Trx, values: Omit<BookingRow, 'id'>): Promise<BookingRow> {
      const row = await trx
        .insertInto('agendamentos')
        .values(values)
        .onConflict((oc) => oc.doNothing())
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) {
        throw new AppError(
          'slot-taken',
          `Another active booking of ${values.telescopio_id} overlaps ${values.horario_inicio_utc} – ${values.horario_fim_utc}`,
        );
      }
      return row;
    },
    /** Inserts the slot rows; a unique violation means another active booking holds a slot. */
    async insertSlots(
      trx: Trx,
      bookingId: number,
      telescopioId: string,
      slots: readonly number[],
    ): Promise<void> {
      await trx
        .insertInto('agendamento_slots')
        .values(
          slots.map((slot) => ({
            agendamento_id: bookingId,
            telescopio_id: telescopioId,
            slot_inicio_ms: slot,
            ativo: 1,
          })),
        )
        .execute();
    },
    /** Marks a booking cancelled if it is still active; returns the updated row or undefined if it was not active. */
    async cancelBooking(trx: Trx, id: number, by: number, atUtc: string): Promise<BookingRow | undefined> {
      const row = await trx
        .updateTable('agendamentos')
        .set({ status: 'cancelado', cancelado_em_utc: atUtc, cancelado_por: by })
        .where('id', '=', id)
        .where('status', '=', 'ativo')
        .returningAll()
        .executeTakeFirst();
      if (row !== undefined) {
        await trx
          .updateTable('agendamento_slots')
          .set({ ativo: 0 })
          .where('agendamento_id', '=', id)
          .execute();
      }
      return row;
    },

    /**
     * For the race demo only: switches the last line off. That is the partial unique index on
     * slot rows and, on PostgreSQL, the exclusion constraint on bookings too, so that
     * UNSAFE_SKIP_UNIQUE really leaves no database guard behind. `keepExclusion` drops only the
     * index (to show that the exclusion constraint alone holds the invariant).
     */
    async dropSlotUniqueIndex(options: { keepExclusion?: boolean } = {}): Promise<void> {
      await sql`DROP INDEX IF EXISTS agendamento_slots_um_ativo_por_slot`.execute(db);
      if (options.keepExclusion !== true && engine === 'postgres') {
        await sql`ALTER TABLE agendamentos DROP CONSTRAINT IF EXISTS ${sql.id(EXCLUSION_CONSTRAINT)}`.execute(
          db,
        );
      }
    },
    /**
     * Puts the last line back after a demo run dropped it: the unique index, and on PostgreSQL
     * the exclusion constraint. Fails (and so stops the start-up) if the data already holds
     * double bookings: they must be resolved first.
     */
    async ensureSlotUniqueIndex(): Promise<void> {
      await sql`CREATE UNIQUE INDEX IF NOT EXISTS agendamento_slots_um_ativo_por_slot ON agendamento_slots (telescopio_id, slot_inicio_ms) WHERE ativo = 1`.execute(
        db,
      );
      if (engine !== 'postgres') return;
      if (await hasExclusionConstraint(db)) return;
      // ADD CONSTRAINT has no IF NOT EXISTS: lock the table and look again, so that two
      // schedulers starting at once do not both try to add it.
      await db.transaction().execute(async (trx) => {
        await sql`LOCK TABLE agendamentos IN ACCESS EXCLUSIVE MODE`.execute(trx);
        if (!(await hasExclusionConstraint(trx))) await addExclusionConstraint<SchedulerTables>(trx);
      });
    },
  };
}

export type SchedulerStore = ReturnType<typeof createSchedulerStore>;
