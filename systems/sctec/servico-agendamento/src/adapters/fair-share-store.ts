import { translateDatabaseError, type Engine } from '@dslab/db';
import type { Kysely, Selectable } from 'kysely';
import type { QuotaPeriod } from '../domain/quota.js';
import type { WaitlistStatus } from '../domain/waitlist.js';
import type { SchedulerTables } from './schema.js';
import type { Trx } from './store.js';

export type WaitlistRow = Selectable<SchedulerTables['esperas']>;
type Reader = Kysely<SchedulerTables>;

export interface DemandRow {
  slot_inicio_ms: number;
  tentativas: number;
  aguardando: number;
  ocupado: boolean;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}

/**
 * Persistence of quotas, waitlists and demand (issue 9), beside the scheduler's store. Writes take
 * the caller's transaction; the per-slot row of `slot_demanda` (lockSlot) and the scientist's row
 * (lockScientist) are the serialization points on PostgreSQL (SQLite has one writer at a time).
 * Lock order in every transaction: fences, slot rows (ascending), scientist, audit head.
 */
export function createFairShareStore(db: Reader, engine: Engine) {
  return {
    db,
    /** The offered holds on any of `slots` (committed state, no lock). */
    holdsOn(telescopioId: string, slots: readonly number[]): Promise<WaitlistRow[]> {
      return guarded(() =>
        db
          .selectFrom('esperas')
          .selectAll()
          .where('telescopio_id', '=', telescopioId)
          .where('slot_inicio_ms', 'in', [...slots])
          .where('status', '=', 'oferecida')
          .execute(),
      );
    },
    /**
     * Takes the slot's row (creating it), counting one booking attempt when `attempt` is set.
     * On PostgreSQL the upsert holds the row lock to the end of the transaction: every waitlist
     * change of this slot, and every booking decision on it, runs one at a time from here on.
     */
    async lockSlot(trx: Trx, telescopioId: string, slotMs: number, attempt: boolean): Promise<void> {
      const step = attempt ? 1 : 0;
      await trx
        .insertInto('slot_demanda')
        .values({ telescopio_id: telescopioId, slot_inicio_ms: slotMs, tentativas: step })
        .onConflict((oc) =>
          oc
            .columns(['telescopio_id', 'slot_inicio_ms'])
            .doUpdateSet({ tentativas: (eb) => eb('slot_demanda.tentativas', '+', step) }),
        )
        .execute();
    },

    /** Serializes the quota decisions of one scientist (PostgreSQL row lock; SQLite: one writer). */
    async lockScientist(trx: Trx, scientistId: number): Promise<number | null> {
      let query = trx.selectFrom('cientistas').select('cota_minutos').where('id', '=', scientistId);
      if (engine === 'postgres') query = query.forUpdate();
      const row = await query.executeTakeFirst();
      return row?.cota_minutos ?? null;
    },
    allocationOf(scientistId: number): Promise<number | null> {
      return guarded(async () => {
        const row = await db
          .selectFrom('cientistas')
          .select('cota_minutos')
          .where('id', '=', scientistId)
          .executeTakeFirst();
        return row?.cota_minutos ?? null;
      });
    },
    async setAllocation(trx: Trx, scientistId: number, minutes: number | null): Promise<boolean> {
      const result = await trx
        .updateTable('cientistas')
        .set({ cota_minutos: minutes })
        .where('id', '=', scientistId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    /** Slots of the scientist's bookings in `period` that count against the quota. */
    usedSlots(scientistId: number, period: QuotaPeriod, reader: Reader = db): Promise<number> {
      return guarded(async () => {
        const row = await reader
          .selectFrom('agendamento_slots as s')
          .innerJoin('agendamentos as a', 'a.id', 's.agendamento_id')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .where('a.cientista_id', '=', scientistId)
          .where('s.conta_cota', '=', 1)
          .where('s.slot_inicio_ms', '>=', period.startMs)
          .where('s.slot_inicio_ms', '<', period.endMs)
          .executeTakeFirstOrThrow();
        return Number(row.n);
      });
    },
    /** A refunded cancellation: the booking's slots no longer count against the quota. */
    async refund(trx: Trx, bookingId: number): Promise<void> {
      await trx
        .updateTable('agendamento_slots')
        .set({ conta_cota: 0 })
        .where('agendamento_id', '=', bookingId)
        .execute();
    },

    /** Who holds the slot with an active booking, if anyone. */
    async bookedBy(reader: Reader, telescopioId: string, slotMs: number): Promise<number | undefined> {
      const row = await reader
        .selectFrom('agendamento_slots as s')
        .innerJoin('agendamentos as a', 'a.id', 's.agendamento_id')
        .select('a.cientista_id')
        .where('s.telescopio_id', '=', telescopioId)
        .where('s.slot_inicio_ms', '=', slotMs)
        .where('s.ativo', '=', 1)
        .executeTakeFirst();
      return row?.cientista_id;
    },
    /** Open entries of one slot, in list order. */
    openEntries(reader: Reader, telescopioId: string, slotMs: number): Promise<WaitlistRow[]> {
      return reader
        .selectFrom('esperas')
        .selectAll()
        .where('telescopio_id', '=', telescopioId)
        .where('slot_inicio_ms', '=', slotMs)
        .where('status', 'in', ['aguardando', 'oferecida'])
        .orderBy('id')
        .execute();
    },
    findEntry(id: number, reader: Reader = db): Promise<WaitlistRow | undefined> {
      return guarded(() => reader.selectFrom('esperas').selectAll().where('id', '=', id).executeTakeFirst());
    },
    /** 1-based place among the slot's open entries; undefined when the entry is closed. */
    position(entry: WaitlistRow, reader: Reader = db): Promise<number | undefined> {
      if (entry.status !== 'aguardando' && entry.status !== 'oferecida') return Promise.resolve(undefined);
      return guarded(async () => {
        const row = await reader
          .selectFrom('esperas')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .where('telescopio_id', '=', entry.telescopio_id)
          .where('slot_inicio_ms', '=', entry.slot_inicio_ms)
          .where('status', 'in', ['aguardando', 'oferecida'])
          .where('id', '<=', entry.id)
          .executeTakeFirstOrThrow();
        return Number(row.n);
      });
    },
    async countOpenOf(reader: Reader, scientistId: number): Promise<number> {
      const row = await reader
        .selectFrom('esperas')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('cientista_id', '=', scientistId)
        .where('status', 'in', ['aguardando', 'oferecida'])
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    /** Open entries of a scientist for slots that have not started, soonest first. */
    openEntriesOf(scientistId: number, now: number): Promise<WaitlistRow[]> {
      return guarded(() =>
        db
          .selectFrom('esperas')
          .selectAll()
          .where('cientista_id', '=', scientistId)
          .where('status', 'in', ['aguardando', 'oferecida'])
          .where('slot_inicio_ms', '>', now)
          .orderBy('slot_inicio_ms')
          .orderBy('id')
          .limit(500)
          .execute(),
      );
    },
    insertEntry(trx: Trx, values: Omit<WaitlistRow, 'id'>): Promise<WaitlistRow> {
      return trx.insertInto('esperas').values(values).returningAll().executeTakeFirstOrThrow();
    },
    /** Moves an entry from `from` to a new state; undefined when it was no longer in `from`. */
    moveEntry(
      trx: Trx,
      id: number,
      from: WaitlistStatus,
      to: {
        status: WaitlistStatus;
        oferecida_em_utc?: string;
        oferta_expira_ms?: number | null;
        encerrada_em_utc?: string;
        agendamento_id?: number;
      },
    ): Promise<WaitlistRow | undefined> {
      return trx
        .updateTable('esperas')
        .set(to)
        .where('id', '=', id)
        .where('status', '=', from)
        .returningAll()
        .executeTakeFirst();
    },
    /** Slots with a hold whose time is up at `now` (for the background hand-on), soonest first. */
    dueHolds(now: number, limit: number): Promise<{ telescopio_id: string; slot_inicio_ms: number }[]> {
      return guarded(() =>
        db
          .selectFrom('esperas')
          .select(['telescopio_id', 'slot_inicio_ms'])
          .where('status', '=', 'oferecida')
          .where('oferta_expira_ms', '<=', now)
          .orderBy('oferta_expira_ms')
          .limit(limit)
          .execute(),
      );
    },

    /**
     * Contention per slot of a telescope in [fromMs, toMs): attempts, open waitlist entries and
     * whether an active booking holds it, for slots with any attempt or waiter. No identities.
     */
    demand(telescopioId: string, fromMs: number, toMs: number): Promise<DemandRow[]> {
      return guarded(async () => {
        const [attempts, waiters, booked] = await Promise.all([
          db
            .selectFrom('slot_demanda')
            .select(['slot_inicio_ms', 'tentativas'])
            .where('telescopio_id', '=', telescopioId)
            .where('slot_inicio_ms', '>=', fromMs)
            .where('slot_inicio_ms', '<', toMs)
            .where('tentativas', '>', 0)
            .execute(),
          db
            .selectFrom('esperas')
            .select((eb) => ['slot_inicio_ms', eb.fn.countAll<number | string>().as('n')])
            .where('telescopio_id', '=', telescopioId)
            .where('slot_inicio_ms', '>=', fromMs)
            .where('slot_inicio_ms', '<', toMs)
            .where('status', 'in', ['aguardando', 'oferecida'])
            .groupBy('slot_inicio_ms')
            .execute(),
          db
            .selectFrom('agendamento_slots')
            .select('slot_inicio_ms')
            .where('telescopio_id', '=', telescopioId)
            .where('slot_inicio_ms', '>=', fromMs)
            .where('slot_inicio_ms', '<', toMs)
            .where('ativo', '=', 1)
            .execute(),
        ]);
        const rows = new Map<number, DemandRow>();
        const row = (key: number) => {
          const known = rows.get(key) ?? {
            slot_inicio_ms: key,
            tentativas: 0,
            aguardando: 0,
            ocupado: false,
          };
          rows.set(key, known);
          return known;
        };
        for (const a of attempts) row(a.slot_inicio_ms).tentativas = a.tentativas;
        for (const w of waiters) row(w.slot_inicio_ms).aguardando = Number(w.n);
        const bookedSlots = new Set(booked.map((b) => b.slot_inicio_ms));
        for (const slot of bookedSlots) {
          const known = rows.get(slot);
          if (known !== undefined) known.ocupado = true;
        }
        return [...rows.values()].sort((a, b) => a.slot_inicio_ms - b.slot_inicio_ms);
      });
    },
  };
}

export type FairShareStore = ReturnType<typeof createFairShareStore>;
