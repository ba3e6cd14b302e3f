import { auditRecordFromRow, GENESIS_HASH, hashRecord, type AuditRecord } from '@dslab/audit-log';
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
