/**
 * Quotas and waitlists (issue 9), as steps that run inside the caller's transaction (so a booking,
 * a cancellation and the waitlist changes they cause commit or roll back together) plus the
 * waitlist's own operations (join, leave, read, the background hand-on of expired holds).
 *
 * Serialization: every step on a slot first takes the slot's `slot_demanda` row (lockSlot), so
 * joins, hand-ons, bookings and cancellations of one slot run one at a time on PostgreSQL
 * (SQLite has one writer anyway). That is what makes the list order the order of joining, and
 * "at most one hold per slot" hold (also guarded by a partial unique index).
 */
import type { AuditLog, AuditRecord } from '@dslab/audit-log';
import type { Clock } from '@dslab/clock';
import { isUniqueViolation } from '@dslab/db';
import { AppError } from '@dslab/errors';
import type { EventPublisher, WaitlistEventData, WaitlistEventType } from '@dslab/event-client';
import type { Logger } from '@dslab/logging';
import type { FairShareStore, WaitlistRow } from '../adapters/fair-share-store.js';
import type { SchedulerStore, Trx } from '../adapters/store.js';
import { isOwnerOrAdmin, type Actor } from '../domain/booking.js';
import {
  fits,
  periodOf,
  refundsOnCancel,
  slotsByPeriod,
  standing,
  type QuotaPeriod,
  type QuotaStanding,
} from '../domain/quota.js';
import { isOnSlotGrid, resourceName, SLOT_MINUTES, SLOT_MS } from '../domain/slots.js';
import { checkUtcInstant, formatUtc } from '../domain/time.js';
import {
  holdEnd,
  holdIsDue,
  holdStands,
  joinRefusal,
  MAX_OPEN_ENTRIES_PER_SCIENTIST,
} from '../domain/waitlist.js';
import { auditActor, type AuthenticatedActor } from './audit-actor.js';

export interface FairShareSettings {
  /** Allocation per period of a scientist whose allocation the admin has not set. */
  defaultMinutes: number;
  /** A cancellation at least this long before the start refunds its minutes. */
  refundNoticeMs: number;
  /** How long the first waiter holds a freed slot. */
  holdMs: number;
}

/** A committed waitlist step: its audit record, and the live event to send after the commit. */
export interface WaitlistChange {
  record: AuditRecord;
  event?: { tipo: WaitlistEventType; dados: Omit<WaitlistEventData, 'audit_seq'> };
}

export interface FairShareDeps {
  store: SchedulerStore;
  fair: FairShareStore;
  audit: AuditLog;
  clock: Clock;
  settings: FairShareSettings;
  logger: Logger;
  events?: Pick<EventPublisher, 'publish'> | undefined;
}

const WAITLIST_ACTOR = { sistema: 'fila-de-espera' };

function slotDetails(entry: WaitlistRow) {
  return {
    espera_id: entry.id,
    cientista_id: entry.cientista_id,
    telescopio_id: entry.telescopio_id,
    horario_inicio_utc: formatUtc(entry.slot_inicio_ms),
  };
}

export function createFairShare(deps: FairShareDeps) {
  const { store, fair, audit, clock, settings, logger } = deps;

  function allocation(minutes: number | null): { minutes: number; padrao: boolean } {
    return minutes === null ? { minutes: settings.defaultMinutes, padrao: true } : { minutes, padrao: false };
  }

  /** Hands on the slot's hold if its time is up, and offers a freed slot to the first waiter. */
  async function advanceSlot(trx: Trx, telescopioId: string, slotMs: number, now: number) {
    const changes: WaitlistChange[] = [];
    const entries = await fair.openEntries(trx, telescopioId, slotMs);
    // Nobody waits: nothing to hand on (the common case, one query).
    if (entries.length === 0) return changes;
    let offered = entries.find((entry) => entry.status === 'oferecida');
    if (
      offered !== undefined &&
      holdIsDue({ status: offered.status, offerExpiresMs: offered.oferta_expira_ms }, now)
    ) {
      const expired = await fair.moveEntry(trx, offered.id, 'oferecida', {
        status: 'expirada',
        encerrada_em_utc: formatUtc(now),
      });
      if (expired !== undefined) {
        changes.push(await step(trx, 'ESPERA_EXPIRADA', expired, now, {}, 'expirada'));
      }
      offered = undefined;
    }
    if (offered !== undefined) return changes;
    if ((await fair.bookedBy(trx, telescopioId, slotMs)) !== undefined) return changes;
    const next = entries.find((entry) => entry.status === 'aguardando');
    const end = holdEnd(slotMs, now, settings.holdMs);
    if (next === undefined || end === undefined) return changes;
    const held = await fair.moveEntry(trx, next.id, 'aguardando', {
      status: 'oferecida',
      oferecida_em_utc: formatUtc(now),
      oferta_expira_ms: end,
    });
    if (held !== undefined) {
      changes.push(
        await step(trx, 'ESPERA_OFERECIDA', held, now, { oferta_expira_em_utc: formatUtc(end) }, 'oferecida'),
      );
    }
    return changes;
  }

  async function step(
    trx: Trx,
    eventType: string,
    entry: WaitlistRow,
    now: number,
    extra: Record<string, unknown>,
    live?: 'oferecida' | 'expirada',
    actor: Record<string, unknown> = WAITLIST_ACTOR,
  ): Promise<WaitlistChange> {
    const record = await audit.append(trx, {
      event_type: eventType,
      actor,
      timestamp_utc: formatUtc(now),
      details: { ...slotDetails(entry), ...extra },
    });
    if (live === undefined) return { record };
    return {
      record,
      event: {
        tipo: live === 'oferecida' ? 'ESPERA_OFERECIDA' : 'ESPERA_EXPIRADA',
        dados: {
          espera_id: entry.id,
          telescopio_id: entry.telescopio_id,
          cientista_id: entry.cientista_id,
          horario_inicio_utc: formatUtc(entry.slot_inicio_ms),
          horario_fim_utc: formatUtc(entry.slot_inicio_ms + SLOT_MS),
          status: live,
          oferta_expira_em_utc: entry.oferta_expira_ms === null ? null : formatUtc(entry.oferta_expira_ms),
        },
      },
    };
  }

  /** Writes the committed records to app.log and sends their live events (never throws). */
  async function publish(changes: readonly WaitlistChange[], log: Logger, traceId?: string): Promise<void> {
    if (changes.length === 0) return;
    audit.publish(
      changes.map((change) => change.record),
      log,
    );
    for (const change of changes) {
      if (change.event === undefined) continue;
      const details = change.record.details;
      if (change.event.tipo === 'ESPERA_OFERECIDA') {
        log.info(
          `Horário ${String(details['horario_inicio_utc'])} do ${String(details['telescopio_id'])} reservado para o cientista ${String(details['cientista_id'])} da fila até ${String(details['oferta_expira_em_utc'])}`,
        );
      }
      if (deps.events === undefined) continue;
      try {
        const outcome = await deps.events.publish(
          change.event.tipo,
          { ...change.event.dados, audit_seq: change.record.seq },
          traceId,
        );
        if (!outcome.ok) log.warn(`Falha ao publicar o evento ${change.event.tipo}: ${outcome.reason}`);
      } catch (error) {
        log.warn(`Falha ao publicar o evento ${change.event.tipo}: ${String(error)}`);
      }
    }
  }

  /** In its own transaction: takes the slot and hands on what is due (reads and the sweeper). */
  async function settleSlot(telescopioId: string, slotMs: number, log: Logger): Promise<void> {
    const changes = await store.transaction(async (trx) => {
      await fair.lockSlot(trx, telescopioId, slotMs, false);
      return advanceSlot(trx, telescopioId, slotMs, clock.now());
    });
    await publish(changes, log);
  }

  /**
   * Before an open entry is shown: if its slot's hold (whoever has it) is overdue, hand it on
   * first, so what the reader sees never depends on the background sweep having run.
   */
  async function settleIfDue(entry: WaitlistRow, log: Logger): Promise<WaitlistRow> {
    if (entry.status !== 'aguardando' && entry.status !== 'oferecida') return entry;
    const now = clock.now();
    const offered = (await fair.openEntries(fair.db, entry.telescopio_id, entry.slot_inicio_ms)).find(
      (e) => e.status === 'oferecida',
    );
    if (
      offered === undefined ||
      !holdIsDue({ status: offered.status, offerExpiresMs: offered.oferta_expira_ms }, now)
    )
      return entry;
    await settleSlot(entry.telescopio_id, entry.slot_inicio_ms, log);
    return (await fair.findEntry(entry.id)) ?? entry;
  }

  function parseSlot(text: string): number {
    const check = checkUtcInstant(text);
    const reason = !check.ok
      ? check.reason
      : !isOnSlotGrid(check.ms)
        ? 'is not the start of a 5-minute slot (UTC, e.g. 2026-12-01T03:05:00Z)'
        : undefined;
    if (reason !== undefined || !check.ok) {
      throw new AppError('validation-failed', `params.inicio: ${reason ?? ''}`, {
        extensions: { errors: [{ field: 'params.inicio', message: reason }] },
      });
    }
    return check.ms;
  }

  async function ownEntry(viewer: Actor, id: number): Promise<WaitlistRow> {
    const entry = await fair.findEntry(id);
    if (entry === undefined) throw new AppError('not-found', `Waitlist entry ${id} does not exist`);
    if (!isOwnerOrAdmin(entry, viewer))
      throw new AppError('forbidden', `Waitlist entry ${id} belongs to another scientist`);
    return entry;
  }

  return {
    settings,
    advanceSlot,
    publish,

    /**
     * Before a confirmation asks for any lock: refuses (409 hold-expired) an entry that no longer
     * holds its slot, so the confirmer learns that, rather than who has the slot now.
     */
    async refuseLostHold(esperaId: number): Promise<void> {
      const entry = await fair.findEntry(esperaId);
      if (
        entry === undefined ||
        !holdStands({ status: entry.status, offerExpiresMs: entry.oferta_expira_ms }, clock.now())
      )
        throw lostHold(esperaId);
    },

    /**
     * Before any lock is asked for: refuses (409 slot-held) a booking of a slot that stands held
     * for someone else. Read without locks; claimHolds decides again inside the transaction. It
     * keeps bookers who would be refused anyway from taking the coordinator lock the holder needs.
     */
    async refuseHeldByOthers(telescopioId: string, slots: readonly number[], actorId: number): Promise<void> {
      const now = clock.now();
      for (const hold of await fair.holdsOn(telescopioId, slots)) {
        if (hold.cientista_id === actorId) continue;
        if (!holdStands({ status: hold.status, offerExpiresMs: hold.oferta_expira_ms }, now)) continue;
        throw heldError(telescopioId, hold.slot_inicio_ms, hold.oferta_expira_ms);
      }
    },

    /** Takes the slots' rows in ascending order (the lock order), counting an attempt on each if asked. */
    async lockSlots(
      trx: Trx,
      telescopioId: string,
      slots: readonly number[],
      attempt: boolean,
    ): Promise<void> {
      for (const slot of [...slots].sort((a, b) => a - b))
        await fair.lockSlot(trx, telescopioId, slot, attempt);
    },

    /**
     * Inside a booking's transaction (slots already locked): hands on due holds, then refuses the
     * booking when another scientist holds one of the slots (409 slot-held), or when it confirms a
     * hold (`esperaId`) that is no longer offered to the booker (409 hold-expired). Returns the
     * booker's own holds on these slots (accepted once the booking is saved) and the changes made.
     */
    async claimHolds(
      trx: Trx,
      input: {
        telescopioId: string;
        slots: readonly number[];
        actorId: number;
        esperaId?: number | undefined;
        now: number;
      },
    ): Promise<{ own: WaitlistRow[]; changes: WaitlistChange[] }> {
      const own: WaitlistRow[] = [];
      const changes: WaitlistChange[] = [];
      for (const slot of input.slots) {
        changes.push(...(await advanceSlot(trx, input.telescopioId, slot, input.now)));
        const offered = (await fair.openEntries(trx, input.telescopioId, slot)).find(
          (e) => e.status === 'oferecida',
        );
        if (offered === undefined) continue;
        if (offered.cientista_id !== input.actorId)
          throw heldError(input.telescopioId, slot, offered.oferta_expira_ms);
        own.push(offered);
      }
      if (input.esperaId !== undefined && !own.some((e) => e.id === input.esperaId))
        throw lostHold(input.esperaId);
      return { own, changes };
    },

    /** After the booking row is saved: the booker's holds on its slots become `aceita`. */
    async acceptHolds(
      trx: Trx,
      own: readonly WaitlistRow[],
      bookingId: number,
      now: number,
      actor: AuthenticatedActor,
    ) {
      const changes: WaitlistChange[] = [];
      for (const entry of own) {
        const accepted = await fair.moveEntry(trx, entry.id, 'oferecida', {
          status: 'aceita',
          encerrada_em_utc: formatUtc(now),
          agendamento_id: bookingId,
        });
        if (accepted !== undefined)
          changes.push(
            await step(
              trx,
              'ESPERA_ACEITA',
              accepted,
              now,
              { agendamento_id: bookingId },
              undefined,
              auditActor(actor),
            ),
          );
      }
      return changes;
    },

    /** Inside a cancellation's transaction: refunds the minutes when early enough; returns them. */
    async refund(
      trx: Trx,
      booking: { id: number; inicio_ms: number },
      slotCount: number,
      now: number,
    ): Promise<number> {
      if (!refundsOnCancel(booking.inicio_ms, now, settings.refundNoticeMs)) return 0;
      await fair.refund(trx, booking.id);
      return slotCount * SLOT_MINUTES;
    },

    /** Inside a cancellation's transaction (slots locked): offers each freed slot to its first waiter. */
    async offerFreedSlots(trx: Trx, telescopioId: string, slots: readonly number[], now: number) {
      const changes: WaitlistChange[] = [];
      for (const slot of slots) changes.push(...(await advanceSlot(trx, telescopioId, slot, now)));
      return changes;
    },

    /** Allocation, used and remaining minutes of a period (default: the current month). */
    async quotaOf(scientistId: number, allocated: number | null, period?: QuotaPeriod) {
      const at = period ?? periodOf(clock.now());
      const { minutes, padrao } = allocation(allocated);
      const used = await fair.usedSlots(scientistId, at);
      return { period: at, padrao, ...standing(at, minutes, used) };
    },

    /**
     * Refuses (422 quota-exceeded) a booking of `slots` that does not fit in what remains of the
     * scientist's allocation in each period it touches. Takes the scientist's row first, so
     * parallel bookings of one scientist are decided one at a time.
     */
    async checkQuota(trx: Trx, scientistId: number, slots: readonly number[]): Promise<void> {
      const { minutes } = allocation(await fair.lockScientist(trx, scientistId));
      for (const group of slotsByPeriod(slots)) {
        const current: QuotaStanding = standing(
          group.period,
          minutes,
          await fair.usedSlots(scientistId, group.period, trx),
        );
        if (!fits(current, group.slots.length)) {
          const asked = group.slots.length * SLOT_MINUTES;
          throw new AppError(
            'quota-exceeded',
            `This booking needs ${asked} minutes in ${group.period.id} but only ${current.restantes_minutos} of your ${current.alocados_minutos} remain`,
            { extensions: { ...current, pedidos_minutos: asked } },
          );
        }
      }
    },

    /** Sets (or, with null, resets to the default) a scientist's allocation; audited. */
    async setAllocation(
      actor: AuthenticatedActor,
      scientistId: number,
      minutes: number | null,
      log: Logger,
      traceId: string,
    ): Promise<void> {
      const record = await store.transaction(async (trx) => {
        const before = await fair.lockScientist(trx, scientistId);
        if (!(await fair.setAllocation(trx, scientistId, minutes)))
          throw new AppError('not-found', `Scientist ${scientistId} does not exist`);
        return audit.append(trx, {
          event_type: 'COTA_DEFINIDA',
          actor: auditActor(actor),
          timestamp_utc: formatUtc(clock.now()),
          details: {
            cientista_id: scientistId,
            minutos_anteriores: before,
            minutos: minutes,
            padrao_minutos: settings.defaultMinutes,
            trace_id: traceId,
          },
        });
      });
      audit.publish([record], log);
      log.info(
        `Cota do cientista ${scientistId} definida: ${minutes ?? `padrão (${settings.defaultMinutes})`} minutos por mês`,
      );
    },

    async join(request: {
      actor: AuthenticatedActor;
      telescopioId: string;
      inicio: string;
      log: Logger;
      traceId: string;
    }): Promise<{ entry: WaitlistRow; position: number }> {
      const slotMs = parseSlot(request.inicio);
      const telescope = await store.findTelescope(request.telescopioId);
      if (telescope === undefined)
        throw new AppError(
          'not-found',
          `The telescope "${request.telescopioId}" does not exist; see GET /telescopios`,
        );
      const { actor } = request;
      let result: { entry: WaitlistRow; position: number; changes: WaitlistChange[] };
      try {
        result = await store.transaction(async (trx) => {
          const now = clock.now();
          await fair.lockSlot(trx, telescope.id, slotMs, false);
          const changes = await advanceSlot(trx, telescope.id, slotMs, now);
          const open = await fair.openEntries(trx, telescope.id, slotMs);
          const mine = open.find((entry) => entry.cientista_id === actor.id);
          if (mine !== undefined) throw alreadyWaiting(mine.id);
          const refusal = joinRefusal({
            slotMs,
            now,
            bookedBy: await fair.bookedBy(trx, telescope.id, slotMs),
            heldFor: open.find((entry) => entry.status === 'oferecida')?.cientista_id,
            actorId: actor.id,
          });
          if (refusal === 'started')
            throw new AppError(
              'conflict',
              `The slot ${formatUtc(slotMs)} has already started; its waitlist is closed`,
            );
          if (refusal === 'own-booking')
            throw new AppError('conflict', `You already hold the slot ${formatUtc(slotMs)}`);
          if (refusal === 'slot-free')
            throw new AppError(
              'conflict',
              `The slot ${formatUtc(slotMs)} is free: book it with POST /agendamentos instead of waiting`,
            );
          if ((await fair.countOpenOf(trx, actor.id)) >= MAX_OPEN_ENTRIES_PER_SCIENTIST)
            throw new AppError(
              'conflict',
              `You are already on ${MAX_OPEN_ENTRIES_PER_SCIENTIST} waitlists; leave one before joining another`,
            );
          const entry = await fair.insertEntry(trx, {
            telescopio_id: telescope.id,
            slot_inicio_ms: slotMs,
            cientista_id: actor.id,
            status: 'aguardando',
            entrou_em_utc: formatUtc(now),
            oferecida_em_utc: null,
            oferta_expira_ms: null,
            encerrada_em_utc: null,
            agendamento_id: null,
          });
          changes.push(
            await step(
              trx,
              'ESPERA_ENTROU',
              entry,
              now,
              { posicao: open.length + 1, trace_id: request.traceId },
              undefined,
              auditActor(actor),
            ),
          );
          return { entry, position: open.length + 1, changes };
        });
      } catch (error) {
        // Two joins of the same scientist at once: the partial unique index lets one in.
        if (isUniqueViolation(error) || isUniqueViolation((error as { cause?: unknown }).cause)) {
          const open = await fair.openEntriesOf(actor.id, clock.now());
          const mine = open.find((e) => e.telescopio_id === telescope.id && e.slot_inicio_ms === slotMs);
          throw alreadyWaiting(mine?.id);
        }
        throw error;
      }
      request.log.info(
        `Cientista ${actor.id} entrou na fila de espera de ${resourceName(telescope.id, slotMs)}`,
      );
      await publish(result.changes, request.log, request.traceId);
      return { entry: result.entry, position: result.position };
    },

    async leave(request: {
      actor: AuthenticatedActor;
      id: number;
      log: Logger;
      traceId: string;
    }): Promise<WaitlistRow> {
      const known = await ownEntry(request.actor, request.id);
      const result = await store.transaction(async (trx) => {
        const now = clock.now();
        await fair.lockSlot(trx, known.telescopio_id, known.slot_inicio_ms, false);
        const changes = await advanceSlot(trx, known.telescopio_id, known.slot_inicio_ms, now);
        const current = await fair.findEntry(known.id, trx);
        const from = current?.status;
        if (from !== 'aguardando' && from !== 'oferecida')
          throw new AppError('conflict', `Waitlist entry ${known.id} is already closed (${String(from)})`);
        const left = await fair.moveEntry(trx, known.id, from, {
          status: 'saiu',
          encerrada_em_utc: formatUtc(now),
        });
        if (left === undefined)
          throw new AppError('conflict', `Waitlist entry ${known.id} changed meanwhile; try again`);
        changes.push(
          await step(
            trx,
            'ESPERA_SAIU',
            left,
            now,
            { estava: from, trace_id: request.traceId },
            undefined,
            auditActor(request.actor),
          ),
        );
        // Leaving with the hold passes it on at once.
        if (from === 'oferecida')
          changes.push(...(await advanceSlot(trx, known.telescopio_id, known.slot_inicio_ms, now)));
        return { left, changes };
      });
      request.log.info(`Cientista ${known.cientista_id} saiu da fila de espera (entrada ${known.id})`);
      await publish(result.changes, request.log, request.traceId);
      return result.left;
    },

    /** One entry as its owner (or an admin) sees it; a due hold is handed on first. */
    async entry(
      viewer: Actor,
      id: number,
      log: Logger,
    ): Promise<{ entry: WaitlistRow; position: number | undefined }> {
      const entry = await settleIfDue(await ownEntry(viewer, id), log);
      return { entry, position: await fair.position(entry) };
    },

    async entriesOf(scientistId: number, log: Logger) {
      let entries = await fair.openEntriesOf(scientistId, clock.now());
      const settled = await Promise.all(entries.map((e) => settleIfDue(e, log)));
      if (settled.some((e, i) => e !== entries[i]))
        entries = await fair.openEntriesOf(scientistId, clock.now());
      return Promise.all(entries.map(async (entry) => ({ entry, position: await fair.position(entry) })));
    },

    sweep,

    /** Anonymised contention per slot of a telescope in [fromMs, toMs). */
    demand(telescopioId: string, fromMs: number, toMs: number) {
      return fair.demand(telescopioId, fromMs, toMs);
    },

    /** Runs sweep every `everyMs` until the returned stop is called; failures are logged, not thrown. */
    startSweeper(everyMs: number): () => Promise<void> {
      let running: Promise<void> = Promise.resolve();
      let failing = false;
      let busy = false;
      const timer = setInterval(() => {
        // One sweep at a time: a slow database must not pile sweeps up.
        if (busy) return;
        busy = true;
        running = sweep()
          .then(() => {
            failing = false;
          })
          .catch((error: unknown) => {
            if (!failing)
              logger.warn(`Falha ao passar adiante reservas vencidas da fila de espera: ${String(error)}`);
            failing = true;
          })
          .finally(() => {
            busy = false;
          });
      }, everyMs);
      timer.unref();
      return async () => {
        clearInterval(timer);
        await running;
      };
    },
  };

  /** The background hand-on: every hold whose time is up, a slot at a time. */
  async function sweep(log: Logger = logger): Promise<number> {
    const due = await fair.dueHolds(clock.now(), 100);
    const seen = new Set<string>();
    for (const slot of due) {
      const key = `${slot.telescopio_id}\u0000${slot.slot_inicio_ms}`;
      if (seen.has(key)) continue;
      seen.add(key);
      await settleSlot(slot.telescopio_id, slot.slot_inicio_ms, log);
    }
    return seen.size;
  }

  function lostHold(esperaId: number): AppError {
    return new AppError(
      'hold-expired',
      `Waitlist entry ${esperaId} does not hold its slot any more (the hold expired, was left or was used)`,
    );
  }

  function heldError(telescopioId: string, slotMs: number, untilMs: number | null): AppError {
    const until = untilMs === null ? '' : formatUtc(untilMs);
    return new AppError(
      'slot-held',
      `The slot ${formatUtc(slotMs)} is held for the first scientist on its waitlist until ${until}`,
      { extensions: { recurso: resourceName(telescopioId, slotMs), oferta_expira_em_utc: until } },
    );
  }

  function alreadyWaiting(id: number | undefined): AppError {
    return new AppError('already-waiting', 'You are already on this waitlist', {
      extensions: id === undefined ? {} : { espera: { href: `/esperas/${id}` } },
    });
  }
}

export type FairShare = ReturnType<typeof createFairShare>;
