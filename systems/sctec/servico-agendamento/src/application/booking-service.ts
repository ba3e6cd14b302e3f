import type { AuditLog, AuditRecord } from '@dslab/audit-log';
import type { Clock } from '@dslab/clock';
import { isExclusionViolation, isUniqueViolation } from '@dslab/db';
import { AppError } from '@dslab/errors';
import type { BookingEventType, EventPublisher } from '@dslab/event-client';
import type { LockClient } from '@dslab/lock-client';
import type { Logger } from '@dslab/logging';
import { canCancel } from '../domain/booking.js';
import { RECEIPT_REFUSALS, type ReceiptRefusal } from '../domain/receipt.js';
import { path } from '../domain/links.js';
import { planBooking, resourceName, slotsBetween } from '../domain/slots.js';
import { checkUtcInstant, formatUtc, formatUtcSeconds } from '../domain/time.js';
import type { ReceiptSigner } from '../adapters/receipts.js';
import type { SchedulerStore, BookingRow, Trx } from '../adapters/store.js';
import { auditActor as actorOf, type AuthenticatedActor } from './audit-actor.js';
import type { FairShare, WaitlistChange } from './fair-share.js';

/**
 * Switches for the race demonstration (seed delivery 2) and the chaos checker: each turns
 * off one layer of the exclusion in depth. Never set in production; start-up warns loudly.
 */
export interface UnsafeSwitches {
  skipLock: boolean;
  skipFence: boolean;
  skipUnique: boolean;
  /**
   * Extra time between the conflict check and the save. The window between "check" and
   * "act" always exists; the demos widen it so that a race on one machine is reliably visible.
   */
  delayBeforeSaveMs: number;
}

export interface BookingServiceDeps {
  store: SchedulerStore;
  locks: LockClient;
  audit: AuditLog;
  clock: Clock;
  service: string;
  lockTtlMs: number;
  unsafe: UnsafeSwitches;
  /**
   * Real-time events at the coordinator (POST /eventos), sent after the change commits. Its
   * publish never throws and is bounded by a short timeout; a failure is logged, never fatal.
   */
  events?: Pick<EventPublisher, 'publish'> | undefined;
  /** Quotas and waitlists (issue 9): checked and changed inside the booking's transaction. */
  fairShare: FairShare;
  /** Signs the receipt of every decision (201 and 409). */
  receipts: ReceiptSigner;
}

export interface BookingRequest {
  actor: AuthenticatedActor;
  telescopioId: string;
  inicio: string;
  fim?: string | undefined;
  clique?: string | undefined;
  incertezaMs?: number | undefined;
  log: Logger;
  traceId: string;
  /** Server time the request arrived (defaults to now). */
  receivedAt?: number;
  /** Confirming this waitlist entry's hold (POST /esperas/{id}/confirmacao). */
  esperaId?: number | undefined;
}

/** A decided booking: the row, its audit entry and the signed receipt. */
export interface BookingDecision {
  booking: BookingRow;
  audit: AuditRecord;
  recibo: string;
}

function isRecordedRefusal(error: unknown): error is AppError & { code: ReceiptRefusal } {
  return error instanceof AppError && (RECEIPT_REFUSALS as readonly string[]).includes(error.code);
}

/** The waitlist path of one slot: the `entrar_na_fila` link of a 409. */
export function waitlistHref(telescopioId: string, slotMs: number): string {
  return path`/telescopios/${telescopioId}/slots/${formatUtcSeconds(slotMs)}/fila`;
}

/** How long a hold's confirmation waits for the slot's lock at the coordinator. */
const HOLD_CONFIRM_LOCK_WAIT_MS = 3_000;

/** A click time further than this from the server's clock is not evidence of anything. */
const MAX_CLICK_SKEW_MS = 86_400_000;

interface HeldLock {
  recurso: string;
  token: number;
}

/**
 * The seed's booking flow, step by step with its log lines: lock every slot at the
 * coordinator (canonical order, all or nothing), check for conflicts, then save the booking,
 * its slots and its audit entry in one transaction guarded by the fencing tokens, and
 * release the locks in a finally.
 */
/** What book() decided on before the decision: the request's slots, times and lock names. */
interface Decision {
  telescopioId: string;
  slots: readonly number[];
  resources: string[];
  startMs: number;
  endMs: number;
  receivedAt: number;
  clickUtc: string | null;
}

export function createBookingService(deps: BookingServiceDeps) {
  const { store, locks, audit, clock, unsafe, fairShare, receipts } = deps;

  async function acquireAll(
    resources: string[],
    log: Logger,
    traceId: string,
    esperaMs?: number,
  ): Promise<HeldLock[]> {
    const held: HeldLock[] = [];
    try {
      for (const recurso of resources) {
        log.info(`Tentando adquirir lock para o recurso ${recurso}`);
        const result = await locks.lock({
          recurso,
          ttlMs: deps.lockTtlMs,
          traceId,
          ...(esperaMs === undefined ? {} : { esperaMs }),
        });
        if (!result.granted) {
          log.info('Falha ao adquirir lock, recurso ocupado');
          throw new AppError(
            'slot-taken',
            `The slot ${recurso} is being booked or is booked by someone else`,
            {
              extensions: { recurso },
            },
          );
        }
        log.info('Lock adquirido com sucesso');
        held.push({ recurso, token: result.token });
      }
      return held;
    } catch (error) {
      await releaseAll(held, log, traceId);
      throw error;
    }
  }

  async function releaseAll(held: HeldLock[], log: Logger, traceId: string): Promise<void> {
    for (const lock of [...held].reverse()) {
      log.info(`Liberando lock para o recurso ${lock.recurso}`);
      try {
        const outcome = await locks.unlock({ recurso: lock.recurso, token: lock.token, traceId });
        if (outcome === 'not-holder')
          log.warn(`Lock para o recurso ${lock.recurso} já não era nosso (lease expirado)`);
      } catch (error) {
        // The lease expires on its own; a failed unlock only delays the next holder.
        log.warn(`Falha ao liberar lock para o recurso ${lock.recurso}: ${String(error)}`);
      }
    }
  }

  return {
    async book(request: BookingRequest): Promise<BookingDecision> {
      const receivedAt = request.receivedAt ?? clock.now();
      const plan = planBooking({ inicio: request.inicio, fim: request.fim, now: receivedAt });
      if (!plan.ok) {
        throw new AppError('validation-failed', plan.errors.map((e) => e.reason).join('; '), {
          extensions: { errors: plan.errors.map((e) => ({ field: `body.${e.field}`, message: e.reason })) },
        });
      }
      let clickUtc: string | null = null;
      if (request.clique !== undefined) {
        const click = checkUtcInstant(request.clique);
        if (!click.ok) {
          throw new AppError('validation-failed', `horario_clique_utc: ${click.reason}`, {
            extensions: { errors: [{ field: 'body.horario_clique_utc', message: click.reason }] },
          });
        }
        if (Math.abs(click.ms - receivedAt) > MAX_CLICK_SKEW_MS) {
          const reason = `horario_clique_utc ${request.clique} is more than 24 h away from the server's time; synchronise with GET /time`;
          throw new AppError('validation-failed', reason, {
            extensions: { errors: [{ field: 'body.horario_clique_utc', message: reason }] },
          });
        }
        clickUtc = formatUtc(click.ms);
      }
      const telescope = await store.findTelescope(request.telescopioId);
      if (telescope === undefined) {
        throw new AppError(
          'not-found',
          `The telescope "${request.telescopioId}" does not exist; see GET /telescopios`,
        );
      }
      const resources = plan.slots.map((slot) => resourceName(telescope.id, slot));
      const decision = {
        telescopioId: telescope.id,
        slots: plan.slots,
        resources,
        startMs: plan.startMs,
        endMs: plan.endMs,
        receivedAt,
        clickUtc,
      };
      try {
        if (request.esperaId !== undefined) await fairShare.refuseLostHold(request.esperaId);
        await fairShare.refuseHeldByOthers(telescope.id, plan.slots, request.actor.id);
        return await decide(request, decision);
      } catch (error) {
        if (!isRecordedRefusal(error)) throw error;
        throw await refusal(error, request, decision);
      }
    },

    async cancel(request: {
      actor: AuthenticatedActor;
      id: number;
      log: Logger;
      traceId: string;
    }): Promise<{ row: BookingRow; reembolsoMinutos: number }> {
      const existing = await store.findBooking(request.id);
      if (existing === undefined) throw new AppError('not-found', `Booking ${request.id} does not exist`);
      const decide = (row: BookingRow) =>
        canCancel(
          { cientista_id: row.cientista_id, status: row.status, startMs: row.inicio_ms },
          request.actor,
          clock.now(),
        );
      const refuse = (decision: ReturnType<typeof decide>) => {
        if (decision === 'forbidden')
          throw new AppError('forbidden', 'Only the owner of the booking or an admin may cancel it');
        if (decision === 'already-cancelled')
          throw new AppError('already-cancelled', `Booking ${request.id} is already cancelled`);
        if (decision === 'already-started')
          throw new AppError(
            'conflict',
            `Booking ${request.id} has already started; it can no longer be cancelled`,
          );
      };
      refuse(decide(existing));
      const result = await store.transaction(async (trx) => {
        const now = clock.now();
        const slots = slotsBetween(existing.inicio_ms, existing.fim_ms);
        // The slots' rows first (as a booking does): their waitlists are handed on below.
        await fairShare.lockSlots(trx, existing.telescopio_id, slots, false);
        const row = await store.cancelBooking(trx, request.id, request.actor.id, formatUtc(now));
        if (row === undefined) {
          // Someone else cancelled it between our read and this write.
          throw new AppError('already-cancelled', `Booking ${request.id} is already cancelled`);
        }
        const reembolsoMinutos = await fairShare.refund(trx, row, slots.length, now);
        const record = await audit.append(trx, {
          event_type: 'AGENDAMENTO_CANCELADO',
          actor: actorOf(request.actor),
          timestamp_utc: formatUtc(now),
          details: {
            agendamento_id: row.id,
            cientista_id: row.cientista_id,
            telescopio_id: row.telescopio_id,
            horario_inicio_utc: row.horario_inicio_utc,
            horario_fim_utc: row.horario_fim_utc,
            cancelado_por: request.actor.id,
            reembolso_minutos: reembolsoMinutos,
            trace_id: request.traceId,
          },
        });
        const changes = await fairShare.offerFreedSlots(trx, row.telescopio_id, slots, now);
        return { row, record, changes, reembolsoMinutos };
      });
      audit.publish([result.record], request.log);
      if (result.reembolsoMinutos > 0)
        request.log.info(
          `Cancelamento com antecedência: ${result.reembolsoMinutos} minutos devolvidos à cota do cientista ${result.row.cientista_id}`,
        );
      await announce('AGENDAMENTO_CANCELADO', result.row, result.record, request.log, request.traceId);
      await fairShare.publish(result.changes, request.log, request.traceId);
      return { row: result.row, reembolsoMinutos: result.reembolsoMinutos };
    },
  };

  async function decide(request: BookingRequest, decision: Decision): Promise<BookingDecision> {
    const { log } = request;
    const { receivedAt, clickUtc, resources } = decision;
    const plan = { slots: decision.slots, startMs: decision.startMs, endMs: decision.endMs };
    const telescope = { id: decision.telescopioId };
    // A hold's confirmation waits its turn at the coordinator (FIFO): the slot is its, and a
    // booker who would be refused anyway must not make the holder lose it by locking first.
    const held = unsafe.skipLock
      ? []
      : await acquireAll(
          resources,
          log,
          request.traceId,
          request.esperaId === undefined ? undefined : HOLD_CONFIRM_LOCK_WAIT_MS,
        );
    const refuseConflicts = async (reader: Parameters<typeof store.findActiveConflicts>[2]) => {
      log.info('Iniciando verificação de conflito no BD');
      const conflicts = await store.findActiveConflicts(telescope.id, plan.slots, reader);
      if (conflicts.length > 0) {
        log.info('Conflito encontrado no BD, agendamento recusado');
        const taken = conflicts.map((c) => resourceName(telescope.id, c.slot_inicio_ms));
        throw new AppError('slot-taken', `Already booked: ${taken.join(', ')}`, {
          extensions: {
            recursos: taken,
            agendamentos: [...new Set(conflicts.map((c) => c.agendamento_id))],
          },
        });
      }
    };
    const pause = () =>
      unsafe.delayBeforeSaveMs > 0
        ? new Promise((resolve) => setTimeout(resolve, unsafe.delayBeforeSaveMs))
        : undefined;
    // Where the demo/chaos delay goes in the locked path. On PostgreSQL: inside the
    // transaction, between the conflict check and the insert. A holder stopped there past its
    // lease (SIGSTOP in the chaos run) has already checked; when it resumes it only writes.
    // With the fence on, a newer holder's fence update waits for this transaction (row lock)
    // and then sees its booking; with the database's last line on, one of the two inserts is
    // refused; with both off, both commit: the double booking the chaos checker must find.
    // Pausing before the transaction instead would let the stale holder re-check after
    // resuming and quietly see the newer booking, hiding the failure.
    // On SQLite the pause stays before the transaction. Kysely runs SQLite on one connection
    // that a transaction holds until it ends, so a pause inside would not deadlock but would
    // stall every other request of the process (even those only asking the coordinator for a
    // lock) for the delay, and the lock demo would no longer show concurrent denials. Nor
    // would it change any outcome: SQLite serializes check and insert by itself, since a
    // deferred transaction that read before another process committed cannot then write
    // (SQLITE_BUSY_SNAPSHOT; store.transaction retries it and the retry sees the booking).
    // The chaos run's double booking with fence and constraint off needs PostgreSQL.
    const pauseInsideTransaction = store.engine === 'postgres';
    let committed: { booking: BookingRow; audit: AuditRecord; changes: WaitlistChange[] };
    try {
      // Without coordination (the seed's delivery 2), the check is a separate read before the
      // write: the naive check-then-act whose race the demo shows.
      if (unsafe.skipLock) {
        await refuseConflicts(undefined);
        await pause();
      } else if (!pauseInsideTransaction) {
        await pause();
      }
      const result = await store.transaction(async (trx) => {
        // With the lock held: fence first, then the conflict check in the same transaction.
        // The fence row's lock orders this transaction after any newer holder's, so a
        // holder whose lease expired meanwhile either is refused here or sees the newer booking.
        if (!unsafe.skipLock) {
          if (!unsafe.skipFence) await checkFences(trx, held, log);
          await refuseConflicts(trx);
          if (pauseInsideTransaction) await pause();
        }
        // Then the slots' rows (counting one attempt each): waitlist changes of these slots wait
        // for this transaction. Taken after the demo pause, so that with the fence and the last
        // line off a stalled holder still double-books (the failure the chaos checker must see).
        await fairShare.lockSlots(trx, telescope.id, plan.slots, true);
        const holds = await fairShare.claimHolds(trx, {
          telescopioId: telescope.id,
          slots: plan.slots,
          actorId: request.actor.id,
          esperaId: request.esperaId,
          now: clock.now(),
        });
        await fairShare.checkQuota(trx, request.actor.id, plan.slots);
        log.info('Salvando novo agendamento no BD');
        const now = clock.now();
        let booking: BookingRow;
        try {
          booking = await store.insertBooking(trx, {
            telescopio_id: telescope.id,
            cientista_id: request.actor.id,
            horario_inicio_utc: formatUtc(plan.startMs),
            horario_fim_utc: formatUtc(plan.endMs),
            inicio_ms: plan.startMs,
            fim_ms: plan.endMs,
            status: 'ativo',
            recebido_em_utc: formatUtc(receivedAt),
            criado_em_utc: formatUtc(now),
            horario_clique_utc: clickUtc,
            incerteza_ms: request.incertezaMs ?? null,
            tokens: JSON.stringify(held.map((h) => h.token)),
            cancelado_em_utc: null,
            cancelado_por: null,
          });
          await store.insertSlots(trx, booking.id, telescope.id, plan.slots);
        } catch (error) {
          // The last line: the partial unique index on slot rows (both engines) or, on
          // PostgreSQL, the exclusion constraint on the booking's time range.
          if (isUniqueViolation(error) || isExclusionViolation(error)) {
            throw new AppError(
              'slot-taken',
              `Another active booking holds one of these slots: ${resources.join(', ')}`,
              { cause: error },
            );
          }
          throw error;
        }
        const record = await audit.append(trx, {
          event_type: 'AGENDAMENTO_CRIADO',
          actor: actorOf(request.actor),
          timestamp_utc: formatUtc(now),
          details: {
            agendamento_id: booking.id,
            cientista_id: booking.cientista_id,
            telescopio_id: booking.telescopio_id,
            horario_inicio_utc: booking.horario_inicio_utc,
            horario_fim_utc: booking.horario_fim_utc,
            recursos: resources,
            tokens: held.map((h) => h.token),
            recebido_em_utc: booking.recebido_em_utc,
            horario_clique_utc: clickUtc,
            incerteza_ms: request.incertezaMs ?? null,
            ...(request.esperaId === undefined ? {} : { espera_id: request.esperaId }),
            trace_id: request.traceId,
          },
        });
        const accepted = await fairShare.acceptHolds(trx, holds.own, booking.id, now, request.actor);
        return { booking, audit: record, changes: [...holds.changes, ...accepted] };
      });
      audit.publish([result.audit], log);
      committed = result;
    } finally {
      await releaseAll(held, log, request.traceId);
    }
    // Committed and unlocked: now tell the subscribers (never before the commit).
    await fairShare.publish(committed.changes, log, request.traceId);
    await announce('AGENDAMENTO_CRIADO', committed.booking, committed.audit, log, request.traceId);
    const { booking } = committed;
    const recibo = await receipts.sign({
      sub: String(booking.cientista_id),
      resultado: 'concedido',
      telescopio_id: booking.telescopio_id,
      horario_inicio_utc: booking.horario_inicio_utc,
      horario_fim_utc: booking.horario_fim_utc,
      recursos: resources,
      agendamento_id: booking.id,
      tokens_fencing: held.map((h) => h.token),
      ...(request.esperaId === undefined ? {} : { espera_id: request.esperaId }),
      recebido_em_utc: booking.recebido_em_utc,
      horario_clique_utc: booking.horario_clique_utc,
      incerteza_ms: booking.incerteza_ms,
      audit_seq: committed.audit.seq,
      audit_hash: committed.audit.hash,
    });
    return { booking, audit: committed.audit, recibo };
  }

  /**
   * A lost decision (409) is recorded too: an AGENDAMENTO_RECUSADO entry in the chain (after
   * waiting for the slots' rows, so after the winner's entry when the winner is still saving),
   * the attempt counted, and a signed receipt naming the bookings that hold the slots. The
   * answer is the same 409 with `recibo` and a link to each contested slot's waitlist.
   */
  async function refusal(
    error: AppError & { code: ReceiptRefusal },
    request: BookingRequest,
    decision: Decision,
  ) {
    const { log } = request;
    const { record, changes, conflicting } = await store.transaction(async (trx) => {
      const now = clock.now();
      await fairShare.lockSlots(trx, decision.telescopioId, decision.slots, true);
      const changes: WaitlistChange[] = [];
      for (const slot of decision.slots)
        changes.push(...(await fairShare.advanceSlot(trx, decision.telescopioId, slot, now)));
      const conflicting = [
        ...new Set(
          (await store.findActiveConflicts(decision.telescopioId, decision.slots, trx)).map(
            (c) => c.agendamento_id,
          ),
        ),
      ];
      const record = await audit.append(trx, {
        event_type: 'AGENDAMENTO_RECUSADO',
        actor: actorOf(request.actor),
        timestamp_utc: formatUtc(now),
        details: {
          cientista_id: request.actor.id,
          telescopio_id: decision.telescopioId,
          horario_inicio_utc: formatUtc(decision.startMs),
          horario_fim_utc: formatUtc(decision.endMs),
          recursos: decision.resources,
          motivo: error.code,
          recebido_em_utc: formatUtc(decision.receivedAt),
          horario_clique_utc: decision.clickUtc,
          incerteza_ms: request.incertezaMs ?? null,
          agendamentos: conflicting,
          ...(request.esperaId === undefined ? {} : { espera_id: request.esperaId }),
          trace_id: request.traceId,
        },
      });
      return { record, changes, conflicting };
    });
    audit.publish([record], log);
    await fairShare.publish(changes, log, request.traceId);
    const recibo = await receipts.sign({
      sub: String(request.actor.id),
      resultado: 'recusado',
      motivo: error.code,
      telescopio_id: decision.telescopioId,
      horario_inicio_utc: formatUtc(decision.startMs),
      horario_fim_utc: formatUtc(decision.endMs),
      recursos: decision.resources,
      agendamentos_conflitantes: conflicting,
      ...(request.esperaId === undefined ? {} : { espera_id: request.esperaId }),
      recebido_em_utc: formatUtc(decision.receivedAt),
      horario_clique_utc: decision.clickUtc,
      incerteza_ms: request.incertezaMs ?? null,
      audit_seq: record.seq,
      audit_hash: record.hash,
    });
    // A taken or held slot has a waitlist to join; a lost lease (stale-token) is worth a retry instead.
    const named = [error.extensions['recursos'], error.extensions['recurso']]
      .flat()
      .filter((r): r is string => typeof r === 'string');
    const contested = decision.slots.filter(
      (_slot, i) => named.length === 0 || named.includes(decision.resources[i] ?? ''),
    );
    const links =
      error.code === 'stale-token'
        ? {}
        : {
            _links: {
              entrar_na_fila: contested.map((slot) => ({
                href: waitlistHref(decision.telescopioId, slot),
                method: 'POST',
                title: `Entrar na fila de espera de ${formatUtcSeconds(slot)}`,
              })),
            },
          };
    return new AppError(error.code, error.detail, {
      extensions: { ...error.extensions, recibo, ...links },
      headers: error.headers,
      cause: error,
    });
  }

  /** Publishes a committed change; bounded by the publisher's timeout, and never fails the booking. */
  async function announce(
    tipo: BookingEventType,
    row: BookingRow,
    record: AuditRecord,
    log: Logger,
    traceId: string,
  ): Promise<void> {
    if (deps.events === undefined) return;
    try {
      const outcome = await deps.events.publish(
        tipo,
        {
          agendamento_id: row.id,
          telescopio_id: row.telescopio_id,
          cientista_id: row.cientista_id,
          horario_inicio_utc: row.horario_inicio_utc,
          horario_fim_utc: row.horario_fim_utc,
          status: row.status,
          audit_seq: record.seq,
        },
        traceId,
      );
      if (!outcome.ok) {
        log.warn(`Falha ao publicar o evento ${tipo} do agendamento ${row.id}: ${outcome.reason}`);
      }
    } catch (error) {
      log.warn(`Falha ao publicar o evento ${tipo} do agendamento ${row.id}: ${String(error)}`);
    }
  }

  async function checkFences(trx: Trx, held: HeldLock[], log: Logger): Promise<void> {
    for (const lock of held) {
      if (!(await store.advanceFence(trx, lock.recurso, lock.token))) {
        log.warn(
          `Token de lock obsoleto (${lock.token}) para o recurso ${lock.recurso}; agendamento recusado`,
        );
        throw new AppError(
          'stale-token',
          `The lock on ${lock.recurso} was lost before the write (a newer holder exists); nothing was saved`,
          {
            extensions: { recurso: lock.recurso },
          },
        );
      }
    }
  }
}

export type BookingService = ReturnType<typeof createBookingService>;
