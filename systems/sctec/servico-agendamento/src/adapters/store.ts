import { AppError } from '@dslab/errors';
import { isUniqueViolation, translateDatabaseError } from '@dslab/db';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
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

/** Wraps a query so infrastructure failures leave as 503, not 500. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}

/** Persistence of the scheduler on Kysely; the same code runs on SQLite and PostgreSQL. */
export function createSchedulerStore(db: Kysely<SchedulerTables>) {
  return {
    db,
    transaction<T>(work: (trx: Trx) => Promise<T>): Promise<T> {
      return guarded(() => db.transaction().execute(work));
    },

    async insertScientist(values: Omit<ScientistRow, 'id'>): Promise<ScientistRow> {
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
    insertBooking(trx: Trx, values: Omit<BookingRow, 'id'>): Promise<BookingRow> {
      return trx.insertInto('agendamentos').values(values).returningAll().executeTakeFirstOrThrow();
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

    /** For the race demo only: drops the last-line unique index. */
    async dropSlotUniqueIndex(): Promise<void> {
      await sql`DROP INDEX IF EXISTS agendamento_slots_um_ativo_por_slot`.execute(db);
    },
    /**
     * Puts the last-line index back after a demo run dropped it. Fails (and so stops the
     * start-up) if the data already holds double bookings: they must be resolved first.
     */
    async ensureSlotUniqueIndex(): Promise<void> {
      await sql`CREATE UNIQUE INDEX IF NOT EXISTS agendamento_slots_um_ativo_por_slot ON agendamento_slots (telescopio_id, slot_inicio_ms) WHERE ativo = 1`.execute(
        db,
      );
    },
  };
}

export type SchedulerStore = ReturnType<typeof createSchedulerStore>;
