import { auditRecordFromRow, GENESIS_HASH, hashRecord, type AuditRecord } from '@dslab/audit-log';
import { call } from '@dslab/testing';
import type { Kysely } from 'kysely';
import type { SchedulerTables } from '../servico-agendamento/src/index.js';

/** Violations by kind: the chaos run reports these counts, and all must be zero. */
export interface ViolationCounts {
  /** (telescope, slot) pairs held by more than one active booking. */
  doubleBookedSlots: number;
  /** Bookings answered 201 that are missing from the database or differ from the answer. */
  acknowledgedMissing: number;
  /** Cancellations answered 200 whose booking is not cancelled in the database. */
  acknowledgedCancelsLost: number;
  /** Audit entries that disagree with the database (missing, duplicated, naming ghosts, wrong fields). */
  auditDisagreements: number;
  /** Links of the hash chain that do not verify (every one, not only the first). */
  brokenChainLinks: number;
  /** Slot rows that do not match their booking. */
  slotRowMismatches: number;
}

export interface InvariantReport {
  bookings: number;
  activeBookings: number;
  auditEntries: number;
  counts: ViolationCounts;
  violations: string[];
}

const SLOT_MS = 300_000;

/**
 * Reads the database and the audit trail and lists every broken invariant of SCTEC. It
 * recomputes everything from the bookings themselves, so it does not trust the constraints
 * it is meant to check:
 * - no two active bookings of one telescope overlap, now or ever (replayed from the audit trail);
 * - slot rows match their booking (every slot present, active exactly when the booking is);
 * - the audit chain verifies from the first entry;
 * - every booking has exactly one AGENDAMENTO_CRIADO that agrees with it, every cancelled one
 *   exactly one AGENDAMENTO_CANCELADO, and no audit entry names a booking that does not exist;
 * - every booking acknowledged to a client (`acknowledged`, from 201 answers) exists as answered.
 */
export async function checkSchedulerInvariants(
  db: Kysely<SchedulerTables>,
  acknowledged: readonly { id: number; telescopio_id: string; horario_inicio_utc: string }[] = [],
  acknowledgedCancels: readonly number[] = [],
): Promise<InvariantReport> {
  const violations: string[] = [];
  const counts: ViolationCounts = {
    doubleBookedSlots: 0,
    acknowledgedMissing: 0,
    acknowledgedCancelsLost: 0,
    auditDisagreements: 0,
    brokenChainLinks: 0,
    slotRowMismatches: 0,
  };
  const report = (kind: keyof ViolationCounts, message: string) => {
    counts[kind] += 1;
    violations.push(message);
  };
  const bookings = await db.selectFrom('agendamentos').selectAll().orderBy('id').execute();
  const slots = await db.selectFrom('agendamento_slots').selectAll().execute();
  const audit = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();

  const active = bookings.filter((b) => b.status === 'ativo');
  const records: AuditRecord[] = audit.map(auditRecordFromRow);
  for (const [slot, ids] of doubleBookings(active, records)) {
    report('doubleBookedSlots', `double booking of ${slot}: bookings ${ids.join(', ')} were active at once`);
  }

  const slotsByBooking = new Map<number, typeof slots>();
  for (const s of slots)
    slotsByBooking.set(s.agendamento_id, [...(slotsByBooking.get(s.agendamento_id) ?? []), s]);
  for (const b of bookings) {
    const rows = slotsByBooking.get(b.id) ?? [];
    const expected = (b.fim_ms - b.inicio_ms) / SLOT_MS;
    if (rows.length !== expected)
      report('slotRowMismatches', `booking ${b.id} has ${rows.length} slot rows, expected ${expected}`);
    const wantActive = b.status === 'ativo' ? 1 : 0;
    if (rows.some((r) => r.ativo !== wantActive))
      report('slotRowMismatches', `booking ${b.id} (${b.status}) has slot rows with the wrong active flag`);
  }

  // Every link on its own (the verifier stops at the first break): each entry's seq follows,
  // its prev_hash is the previous entry's hash, and its own hash recomputes.
  records.forEach((record, i) => {
    const previous = records[i - 1];
    const expectedSeq = previous === undefined ? 1 : previous.seq + 1;
    const expectedPrev = previous === undefined ? GENESIS_HASH : previous.hash;
    if (record.seq !== expectedSeq)
      report('brokenChainLinks', `audit entry seq ${record.seq}: expected seq ${expectedSeq}`);
    else if (record.prev_hash !== expectedPrev)
      report(
        'brokenChainLinks',
        `audit entry seq ${record.seq}: prev_hash does not link to the entry before`,
      );
    else if (hashRecord(record) !== record.hash)
      report('brokenChainLinks', `audit entry seq ${record.seq}: hash does not match its content`);
  });

  const created = new Map<number, AuditRecord[]>();
  const cancelled = new Map<number, AuditRecord[]>();
  for (const record of records) {
    const id = record.details.agendamento_id;
    if (typeof id !== 'number') continue;
    const target =
      record.event_type === 'AGENDAMENTO_CRIADO'
        ? created
        : record.event_type === 'AGENDAMENTO_CANCELADO'
          ? cancelled
          : undefined;
    target?.set(id, [...(target.get(id) ?? []), record]);
  }
  const ids = new Set(bookings.map((b) => b.id));
  for (const id of [...created.keys(), ...cancelled.keys()]) {
    if (!ids.has(id)) report('auditDisagreements', `audit names booking ${id}, which is not in the database`);
  }
  for (const b of bookings) {
    const made = created.get(b.id) ?? [];
    if (made.length !== 1)
      report('auditDisagreements', `booking ${b.id} has ${made.length} AGENDAMENTO_CRIADO entries`);
    const entry = made[0];
    if (
      entry !== undefined &&
      (entry.details.horario_inicio_utc !== b.horario_inicio_utc ||
        entry.details.telescopio_id !== b.telescopio_id ||
        entry.details.cientista_id !== b.cientista_id)
    ) {
      report('auditDisagreements', `AGENDAMENTO_CRIADO for booking ${b.id} disagrees with the database`);
    }
    const cancels = cancelled.get(b.id) ?? [];
    const expectedCancels = b.status === 'cancelado' ? 1 : 0;
    if (cancels.length !== expectedCancels)
      report(
        'auditDisagreements',
        `booking ${b.id} (${b.status}) has ${cancels.length} AGENDAMENTO_CANCELADO entries`,
      );
  }

  const byId = new Map(bookings.map((b) => [b.id, b]));
  for (const ack of acknowledged) {
    const row = byId.get(ack.id);
    if (row === undefined)
      report('acknowledgedMissing', `booking ${ack.id} was acknowledged with 201 but is not in the database`);
    else if (row.telescopio_id !== ack.telescopio_id || row.horario_inicio_utc !== ack.horario_inicio_utc) {
      report('acknowledgedMissing', `booking ${ack.id} differs from what the client was told`);
    }
  }
  for (const id of acknowledgedCancels) {
    if (byId.get(id)?.status !== 'cancelado')
      report(
        'acknowledgedCancelsLost',
        `booking ${id} was cancelled with 200 but is not cancelled in the database`,
      );
  }

  return {
    bookings: bookings.length,
    activeBookings: active.length,
    auditEntries: audit.length,
    counts,
    violations,
  };
}

const slotKey = (telescope: string, slotMs: number) => `${telescope} ${new Date(slotMs).toISOString()}`;

/**
 * Slots that more than one active booking held, now or at any moment in the past: a double
 * booking later cancelled away still counts. The past is replayed from the audit trail in seq
 * order, which is commit order (every append takes the head row's lock until its transaction
 * commits), so no wall clock is trusted. The present is expanded from the bookings' own start
 * and end, not from the slot rows the constraint guards.
 */
function doubleBookings(
  active: readonly { id: number; telescopio_id: string; inicio_ms: number; fim_ms: number }[],
  records: readonly AuditRecord[],
): Map<string, number[]> {
  const found = new Map<string, Set<number>>();
  const note = (slot: string, ids: Iterable<number>) => {
    const set = found.get(slot) ?? new Set<number>();
    for (const id of ids) set.add(id);
    found.set(slot, set);
  };

  const holders = new Map<string, number[]>();
  for (const b of active) {
    for (let slot = b.inicio_ms; slot < b.fim_ms; slot += SLOT_MS) {
      const key = slotKey(b.telescopio_id, slot);
      holders.set(key, [...(holders.get(key) ?? []), b.id]);
    }
  }
  for (const [slot, ids] of holders) if (ids.length > 1) note(slot, ids);

  const heldBy = new Map<string, Set<number>>();
  const slotsOf = new Map<number, string[]>();
  for (const record of records) {
    const {
      agendamento_id: id,
      telescopio_id: telescope,
      horario_inicio_utc: start,
      horario_fim_utc: end,
    } = record.details;
    if (typeof id !== 'number') continue;
    if (record.event_type === 'AGENDAMENTO_CRIADO' && typeof telescope === 'string') {
      const from = Date.parse(String(start));
      const to = Date.parse(String(end));
      const keys: string[] = [];
      for (let slot = from; slot < to; slot += SLOT_MS) keys.push(slotKey(telescope, slot));
      slotsOf.set(id, keys);
      for (const key of keys) {
        const set = heldBy.get(key) ?? new Set<number>();
        set.add(id);
        heldBy.set(key, set);
        if (set.size > 1) note(key, set);
      }
    } else if (record.event_type === 'AGENDAMENTO_CANCELADO') {
      for (const key of slotsOf.get(id) ?? []) heldBy.get(key)?.delete(id);
    }
  }
  return new Map([...found].map(([slot, ids]) => [slot, [...ids].sort((a, b) => a - b)]));
}

/* ------------------------------------------------------------------------------------------------
 * Fair share (issue 9): quotas, the waitlist and its holds, demand counters.
 * ---------------------------------------------------------------------------------------------- */

/** Fair-share violations by kind: all must be zero. */
export interface FairShareViolationCounts {
  /** (scientist, period) pairs whose counted minutes exceed the allocation. */
  quotaOverdrawn: number;
  /** Refund flags that disagree with the booking's status or with the audit's reembolso_minutos. */
  refundMismatches: number;
  /** Waitlist rows that break a rule of their own (two holds, two open entries, a hold on a booked slot…). */
  waitlistStateViolations: number;
  /** Waitlist entries whose audit events are missing, duplicated or disagree with the database. */
  waitlistAuditDisagreements: number;
  /** Holds handed out of join order, two at once, on a booked slot, or bookings made under someone's hold. */
  holdOrderViolations: number;
  /** Slots whose attempt counter is below the booking decisions the audit records for them. */
  demandUndercounts: number;
}

export interface FairShareReport {
  esperas: number;
  counts: FairShareViolationCounts;
  violations: string[];
}

const SLOT_MINUTES = 5;

/** `YYYY-MM` of the UTC calendar month that holds `ms` (the quota period). */
export function quotaPeriodOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

const instantMs = (value: unknown): number => (typeof value === 'string' ? Date.parse(value) : Number.NaN);

/**
 * Reads the database and the audit trail and lists every broken fair-share invariant:
 * - quota: per scientist and period (the UTC month of each slot's start), 5 × counted slot rows
 *   never exceed the allocation (`cota_minutos`, or `defaultMinutes` when null) — skip with
 *   `checkAllocations: false` where an admin lowered an allocation below what was already used;
 * - refunds: only cancelled bookings have uncounted slot rows, a booking is refunded all or
 *   nothing, and its AGENDAMENTO_CANCELADO's `reembolso_minutos` is 5 × its uncounted rows;
 * - waitlist rows: at most one hold per slot and one open entry per scientist and slot, a hold has
 *   an expiry and sits on a slot no active booking covers, an accepted entry names a booking of its
 *   scientist on its slot;
 * - waitlist audit: every entry has one ESPERA_ENTROU, one closing event matching its status
 *   (ESPERA_ACEITA / ESPERA_EXPIRADA / ESPERA_SAIU, none while open), one ESPERA_OFERECIDA when it
 *   was offered, and the events name the entry's scientist, telescope and slot;
 * - hand-off, replayed from the audit in seq order: a hold goes to the first open entry by id,
 *   never while another stands or an active booking covers the slot, and while a hold stands
 *   nobody but the holder books the slot;
 * - demand: `slot_demanda.tentativas` of a slot is at least the booking decisions the audit records
 *   for it (AGENDAMENTO_RECUSADO, and AGENDAMENTO_CRIADO not made from a hold).
 */
export async function checkFairShareInvariants(
  db: Kysely<SchedulerTables>,
  options: { defaultMinutes: number; checkAllocations?: boolean },
): Promise<FairShareReport> {
  const violations: string[] = [];
  const counts: FairShareViolationCounts = {
    quotaOverdrawn: 0,
    refundMismatches: 0,
    waitlistStateViolations: 0,
    waitlistAuditDisagreements: 0,
    holdOrderViolations: 0,
    demandUndercounts: 0,
  };
  const report = (kind: keyof FairShareViolationCounts, message: string) => {
    counts[kind] += 1;
    violations.push(message);
  };
  const [scientists, bookingRows, slotRows, esperaRows, demandRows, auditRows] = await Promise.all([
    db.selectFrom('cientistas').select(['id', 'cota_minutos']).execute(),
    db.selectFrom('agendamentos').selectAll().orderBy('id').execute(),
    db.selectFrom('agendamento_slots').selectAll().execute(),
    db.selectFrom('esperas').selectAll().orderBy('id').execute(),
    db.selectFrom('slot_demanda').selectAll().execute(),
    db.selectFrom('audit_log').selectAll().orderBy('seq').execute(),
  ]);
  const bookings = bookingRows;
  const slots = slotRows;
  const esperas = esperaRows;
  const records: AuditRecord[] = auditRows.map(auditRecordFromRow);
  const bookingById = new Map(bookings.map((b) => [b.id, b]));

  // Quota: counted minutes per scientist and period.
  const allocation = new Map(scientists.map((s) => [s.id, s.cota_minutos ?? options.defaultMinutes]));
  const used = new Map<string, number>();
  for (const s of slots) {
    if (s.conta_cota !== 1) continue;
    const owner = bookingById.get(s.agendamento_id)?.cientista_id;
    if (owner === undefined) continue;
    const key = `${owner} ${quotaPeriodOf(s.slot_inicio_ms)}`;
    used.set(key, (used.get(key) ?? 0) + SLOT_MINUTES);
  }
  if (options.checkAllocations !== false) {
    for (const [key, minutes] of used) {
      const [owner = '', period = ''] = key.split(' ');
      const allowed = allocation.get(Number(owner)) ?? options.defaultMinutes;
      if (minutes > allowed)
        report(
          'quotaOverdrawn',
          `scientist ${owner} has ${minutes} minutes counted in ${period} but an allocation of ${allowed}`,
        );
    }
  }

  // Refunds: all or nothing, only for cancelled bookings, as the audit says.
  const rowsOf = new Map<number, typeof slots>();
  for (const s of slots) rowsOf.set(s.agendamento_id, [...(rowsOf.get(s.agendamento_id) ?? []), s]);
  const refundedMinutes = new Map<number, number>();
  for (const b of bookings) {
    const rows = rowsOf.get(b.id) ?? [];
    const uncounted = rows.filter((r) => r.conta_cota !== 1).length;
    refundedMinutes.set(b.id, uncounted * SLOT_MINUTES);
    if (uncounted > 0 && b.status !== 'cancelado')
      report(
        'refundMismatches',
        `active booking ${b.id} has ${uncounted} slot rows not counted against the quota`,
      );
    if (uncounted > 0 && uncounted !== rows.length)
      report('refundMismatches', `booking ${b.id} is refunded for ${uncounted} of its ${rows.length} slots`);
  }
  for (const record of records) {
    if (record.event_type !== 'AGENDAMENTO_CANCELADO') continue;
    const id = record.details.agendamento_id;
    if (typeof id !== 'number') continue;
    const refund = record.details.reembolso_minutos;
    if (typeof refund !== 'number')
      report('refundMismatches', `AGENDAMENTO_CANCELADO seq ${record.seq} has no numeric reembolso_minutos`);
    else if (refund !== (refundedMinutes.get(id) ?? 0))
      report(
        'refundMismatches',
        `AGENDAMENTO_CANCELADO seq ${record.seq} says ${refund} minutes were refunded for booking ${id}, the database ${refundedMinutes.get(id) ?? 0}`,
      );
  }

  // Waitlist rows on their own.
  const activeSlot = new Map<string, number>();
  for (const s of slots)
    if (s.ativo === 1) activeSlot.set(slotKey(s.telescopio_id, s.slot_inicio_ms), s.agendamento_id);
  const holdsBySlot = new Map<string, number[]>();
  const openByScientist = new Map<string, number[]>();
  for (const e of esperas) {
    const key = slotKey(e.telescopio_id, e.slot_inicio_ms);
    if (e.status === 'oferecida') {
      holdsBySlot.set(key, [...(holdsBySlot.get(key) ?? []), e.id]);
      if (e.oferta_expira_ms === null)
        report('waitlistStateViolations', `waitlist entry ${e.id} is offered without an expiry`);
      const booked = activeSlot.get(key);
      if (booked !== undefined)
        report(
          'waitlistStateViolations',
          `waitlist entry ${e.id} holds ${key}, which active booking ${booked} covers`,
        );
    }
    if (e.status === 'aguardando' || e.status === 'oferecida') {
      const who = `${key} ${e.cientista_id}`;
      openByScientist.set(who, [...(openByScientist.get(who) ?? []), e.id]);
      if (e.agendamento_id !== null)
        report(
          'waitlistStateViolations',
          `open waitlist entry ${e.id} already names booking ${e.agendamento_id}`,
        );
    }
    if (e.status === 'aceita') {
      const b = e.agendamento_id === null ? undefined : bookingById.get(e.agendamento_id);
      if (b === undefined)
        report('waitlistStateViolations', `accepted waitlist entry ${e.id} names no booking`);
      else if (
        b.cientista_id !== e.cientista_id ||
        b.telescopio_id !== e.telescopio_id ||
        e.slot_inicio_ms < b.inicio_ms ||
        e.slot_inicio_ms >= b.fim_ms
      )
        report(
          'waitlistStateViolations',
          `accepted waitlist entry ${e.id} names booking ${b.id} of another scientist or slot`,
        );
    }
  }
  for (const [key, ids] of holdsBySlot)
    if (ids.length > 1)
      report('waitlistStateViolations', `${key} is held for several entries at once: ${ids.join(', ')}`);
  for (const [who, ids] of openByScientist)
    if (ids.length > 1)
      report('waitlistStateViolations', `${who} has several open waitlist entries: ${ids.join(', ')}`);

  // Waitlist audit against the rows.
  const esperaEvents = new Map<number, AuditRecord[]>();
  for (const record of records) {
    if (!record.event_type.startsWith('ESPERA_')) continue;
    const id = record.details.espera_id;
    if (typeof id !== 'number') {
      report('waitlistAuditDisagreements', `${record.event_type} seq ${record.seq} has no numeric espera_id`);
      continue;
    }
    esperaEvents.set(id, [...(esperaEvents.get(id) ?? []), record]);
  }
  const esperaById = new Map(esperas.map((e) => [e.id, e]));
  for (const id of esperaEvents.keys())
    if (!esperaById.has(id))
      report('waitlistAuditDisagreements', `audit names waitlist entry ${id}, which is not in the database`);
  const closing: Record<string, string | undefined> = {
    aceita: 'ESPERA_ACEITA',
    expirada: 'ESPERA_EXPIRADA',
    saiu: 'ESPERA_SAIU',
  };
  for (const e of esperas) {
    const events = esperaEvents.get(e.id) ?? [];
    const count = (type: string) => events.filter((r) => r.event_type === type).length;
    if (count('ESPERA_ENTROU') !== 1)
      report(
        'waitlistAuditDisagreements',
        `waitlist entry ${e.id} has ${count('ESPERA_ENTROU')} ESPERA_ENTROU entries`,
      );
    for (const type of ['ESPERA_ACEITA', 'ESPERA_EXPIRADA', 'ESPERA_SAIU']) {
      const expected = closing[e.status] === type ? 1 : 0;
      if (count(type) !== expected)
        report(
          'waitlistAuditDisagreements',
          `waitlist entry ${e.id} (${e.status}) has ${count(type)} ${type} entries`,
        );
    }
    const offers = count('ESPERA_OFERECIDA');
    const offeredExpected =
      e.status === 'oferecida' || e.status === 'aceita' ? [1] : e.status === 'aguardando' ? [0] : [0, 1];
    if (!offeredExpected.includes(offers))
      report(
        'waitlistAuditDisagreements',
        `waitlist entry ${e.id} (${e.status}) has ${offers} ESPERA_OFERECIDA entries`,
      );
    for (const r of events) {
      if (
        r.details.cientista_id !== e.cientista_id ||
        r.details.telescopio_id !== e.telescopio_id ||
        instantMs(r.details.horario_inicio_utc) !== e.slot_inicio_ms
      )
        report(
          'waitlistAuditDisagreements',
          `${r.event_type} seq ${r.seq} disagrees with waitlist entry ${e.id}`,
        );
    }
    if (e.status === 'aceita') {
      const accepted = events.find((r) => r.event_type === 'ESPERA_ACEITA');
      if (accepted !== undefined && accepted.details.agendamento_id !== e.agendamento_id)
        report(
          'waitlistAuditDisagreements',
          `ESPERA_ACEITA seq ${accepted.seq} names another booking than entry ${e.id}`,
        );
    }
  }

  // Hand-off replayed from the audit, slot by slot, in commit order.
  const open = new Map<string, Set<number>>();
  const holder = new Map<string, { id: number; cientista: number }>();
  const booked = new Map<string, Set<number>>();
  const slotsOfBooking = new Map<number, string[]>();
  const decisions = new Map<string, number>();
  const noteDecision = (key: string) => decisions.set(key, (decisions.get(key) ?? 0) + 1);
  const keysOf = (details: Record<string, unknown>): string[] => {
    const telescope = details.telescopio_id;
    const from = instantMs(details.horario_inicio_utc);
    const toRaw = instantMs(details.horario_fim_utc);
    if (typeof telescope !== 'string' || !Number.isFinite(from)) return [];
    const to = Number.isFinite(toRaw) ? toRaw : from + SLOT_MS;
    const keys: string[] = [];
    for (let slot = from; slot < to; slot += SLOT_MS) keys.push(slotKey(telescope, slot));
    return keys;
  };
  for (const r of records) {
    const d = r.details;
    switch (r.event_type) {
      case 'AGENDAMENTO_CRIADO': {
        const id = d.agendamento_id;
        if (typeof id !== 'number') break;
        const keys = keysOf(d);
        slotsOfBooking.set(id, keys);
        for (const key of keys) {
          const hold = holder.get(key);
          if (hold !== undefined && d.espera_id !== hold.id && d.cientista_id !== hold.cientista)
            report(
              'holdOrderViolations',
              `booking ${id} (scientist ${String(d.cientista_id)}) was made on ${key} while it was held for waitlist entry ${hold.id}`,
            );
          booked.set(key, new Set([...(booked.get(key) ?? []), id]));
          if (d.espera_id === undefined) noteDecision(key);
        }
        break;
      }
      case 'AGENDAMENTO_CANCELADO': {
        const id = d.agendamento_id;
        if (typeof id !== 'number') break;
        for (const key of slotsOfBooking.get(id) ?? []) booked.get(key)?.delete(id);
        break;
      }
      case 'AGENDAMENTO_RECUSADO':
        for (const key of keysOf(d)) noteDecision(key);
        break;
      case 'ESPERA_ENTROU':
      case 'ESPERA_OFERECIDA':
      case 'ESPERA_ACEITA':
      case 'ESPERA_EXPIRADA':
      case 'ESPERA_SAIU': {
        const id = d.espera_id;
        const [key] = keysOf({ ...d, horario_fim_utc: undefined });
        if (typeof id !== 'number' || key === undefined) break;
        const list = open.get(key) ?? new Set<number>();
        open.set(key, list);
        if (r.event_type === 'ESPERA_ENTROU') {
          list.add(id);
        } else if (r.event_type === 'ESPERA_OFERECIDA') {
          const current = holder.get(key);
          if (current !== undefined)
            report(
              'holdOrderViolations',
              `${key} was offered to entry ${id} (seq ${r.seq}) while entry ${current.id} still held it`,
            );
          const first = Math.min(...list);
          if (!list.has(id))
            report(
              'holdOrderViolations',
              `${key} was offered to entry ${id} (seq ${r.seq}), which is not on its list`,
            );
          else if (first !== id)
            report(
              'holdOrderViolations',
              `${key} was offered to entry ${id} (seq ${r.seq}) before entry ${first}, which joined earlier`,
            );
          const covering = [...(booked.get(key) ?? [])];
          if (covering.length > 0)
            report(
              'holdOrderViolations',
              `${key} was offered to entry ${id} (seq ${r.seq}) while booking ${covering.join(', ')} was active`,
            );
          holder.set(key, { id, cientista: Number(d.cientista_id) });
        } else {
          list.delete(id);
          if (holder.get(key)?.id === id) holder.delete(key);
          else if (r.event_type === 'ESPERA_ACEITA')
            report('holdOrderViolations', `entry ${id} accepted ${key} (seq ${r.seq}) without holding it`);
        }
        break;
      }
      default:
        break;
    }
  }

  // Demand counters cover at least the decisions the audit records.
  const attempts = new Map(
    demandRows.map((row) => [slotKey(row.telescopio_id, row.slot_inicio_ms), row.tentativas]),
  );
  for (const [key, decided] of decisions) {
    const counted = attempts.get(key) ?? 0;
    if (counted < decided)
      report(
        'demandUndercounts',
        `${key} counts ${counted} attempts but the audit records ${decided} booking decisions`,
      );
  }

  return { esperas: esperas.length, counts, violations };
}

interface AuditPage {
  entradas: AuditRecord[];
  _links: { next?: { href: string } };
}

/**
 * The whole audit trail as an admin reads it over HTTP (GET /auditoria, following `next` links).
 */
export async function auditTrailOverHttp(url: string, adminToken: string): Promise<AuditRecord[]> {
  const entries: AuditRecord[] = [];
  let href: string | undefined = '/auditoria?apos=0&limite=500';
  while (href !== undefined) {
    const page: { status: number; text: string; body: AuditPage } = await call<AuditPage>(url, 'GET', href, {
      token: adminToken,
    });
    if (page.status !== 200) throw new Error(`GET ${href}: ${page.status} ${page.text}`);
    entries.push(...page.body.entradas);
    href = page.body._links.next?.href;
  }
  return entries;
}

/**
 * Everything a fair-share test checks at its end, in one list: the core invariants (with the
 * bookings acknowledged to clients), the fair-share invariants, and the scheduler's own chain
 * verification as an admin asks for it (GET /auditoria/verificacao).
 */
export async function fairShareViolations(target: {
  db: Kysely<SchedulerTables>;
  url: string;
  adminToken: string;
  defaultMinutes: number;
  acknowledged?: readonly { id: number; telescopio_id: string; horario_inicio_utc: string }[];
  checkAllocations?: boolean;
}): Promise<string[]> {
  const core = await checkSchedulerInvariants(target.db, target.acknowledged ?? []);
  const fair = await checkFairShareInvariants(target.db, {
    defaultMinutes: target.defaultMinutes,
    ...(target.checkAllocations === undefined ? {} : { checkAllocations: target.checkAllocations }),
  });
  const verification = await call<{ ok?: boolean }>(target.url, 'GET', '/auditoria/verificacao', {
    token: target.adminToken,
  });
  const chain =
    verification.status === 200 && verification.body.ok === true
      ? []
      : [`GET /auditoria/verificacao: ${verification.status} ${verification.text}`];
  return [...core.violations, ...fair.violations, ...chain];
}
