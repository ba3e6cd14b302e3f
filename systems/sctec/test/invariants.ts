import { auditRecordFromRow, createChainVerifier, describeBreak, type AuditRecord } from '@dslab/audit-log';
import type { Kysely } from 'kysely';
import type { SchedulerTables } from '../servico-agendamento/src/index.js';

export interface InvariantReport {
  bookings: number;
  activeBookings: number;
  auditEntries: number;
  violations: string[];
}

const SLOT_MS = 300_000;

/**
 * Reads the database and the audit trail and lists every broken invariant of SCTEC. It
 * recomputes everything from the bookings themselves, so it does not trust the constraints
 * it is meant to check:
 * - no two active bookings of one telescope overlap;
 * - slot rows match their booking (every slot present, active exactly when the booking is);
 * - the audit chain verifies from the first entry;
 * - every booking has exactly one AGENDAMENTO_CRIADO that agrees with it, every cancelled one
 *   exactly one AGENDAMENTO_CANCELADO, and no audit entry names a booking that does not exist;
 * - every booking acknowledged to a client (`acknowledged`, from 201 answers) exists as answered.
 */
export async function checkSchedulerInvariants(
  db: Kysely<SchedulerTables>,
  acknowledged: { id: number; telescopio_id: string; horario_inicio_utc: string }[] = [],
): Promise<InvariantReport> {
  const violations: string[] = [];
  const bookings = await db.selectFrom('agendamentos').selectAll().orderBy('id').execute();
  const slots = await db.selectFrom('agendamento_slots').selectAll().execute();
  const audit = await db.selectFrom('audit_log').selectAll().orderBy('seq').execute();

  const active = bookings.filter((b) => b.status === 'ativo');
  const byTelescope = new Map<string, typeof active>();
  for (const b of active) byTelescope.set(b.telescopio_id, [...(byTelescope.get(b.telescopio_id) ?? []), b]);
  for (const [telescope, list] of byTelescope) {
    const sorted = [...list].sort((a, b) => a.inicio_ms - b.inicio_ms);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1];
      const cur = sorted[i];
      if (prev !== undefined && cur !== undefined && cur.inicio_ms < prev.fim_ms) {
        violations.push(
          `double booking on ${telescope}: bookings ${prev.id} and ${cur.id} overlap at ${cur.horario_inicio_utc}`,
        );
      }
    }
  }

  const slotsByBooking = new Map<number, typeof slots>();
  for (const s of slots)
    slotsByBooking.set(s.agendamento_id, [...(slotsByBooking.get(s.agendamento_id) ?? []), s]);
  for (const b of bookings) {
    const rows = slotsByBooking.get(b.id) ?? [];
    const expected = (b.fim_ms - b.inicio_ms) / SLOT_MS;
    if (rows.length !== expected)
      violations.push(`booking ${b.id} has ${rows.length} slot rows, expected ${expected}`);
    const wantActive = b.status === 'ativo' ? 1 : 0;
    if (rows.some((r) => r.ativo !== wantActive))
      violations.push(`booking ${b.id} (${b.status}) has slot rows with the wrong active flag`);
  }

  const verifier = createChainVerifier();
  const records: AuditRecord[] = audit.map(auditRecordFromRow);
  for (const record of records) verifier.push(record);
  const chain = verifier.result();
  if (!chain.ok) violations.push(`audit chain broken: ${describeBreak(chain.firstBroken)}`);

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
    if (!ids.has(id)) violations.push(`audit names booking ${id}, which is not in the database`);
  }
  for (const b of bookings) {
    const made = created.get(b.id) ?? [];
    if (made.length !== 1) violations.push(`booking ${b.id} has ${made.length} AGENDAMENTO_CRIADO entries`);
    const entry = made[0];
    if (
      entry !== undefined &&
      (entry.details.horario_inicio_utc !== b.horario_inicio_utc ||
        entry.details.telescopio_id !== b.telescopio_id ||
        entry.details.cientista_id !== b.cientista_id)
    ) {
      violations.push(`AGENDAMENTO_CRIADO for booking ${b.id} disagrees with the database`);
    }
    const cancels = cancelled.get(b.id) ?? [];
    const expectedCancels = b.status === 'cancelado' ? 1 : 0;
    if (cancels.length !== expectedCancels)
      violations.push(`booking ${b.id} (${b.status}) has ${cancels.length} AGENDAMENTO_CANCELADO entries`);
  }

  const byId = new Map(bookings.map((b) => [b.id, b]));
  for (const ack of acknowledged) {
    const row = byId.get(ack.id);
    if (row === undefined)
      violations.push(`booking ${ack.id} was acknowledged with 201 but is not in the database`);
    else if (row.telescopio_id !== ack.telescopio_id || row.horario_inicio_utc !== ack.horario_inicio_utc) {
      violations.push(`booking ${ack.id} differs from what the client was told`);
    }
  }

  return { bookings: bookings.length, activeBookings: active.length, auditEntries: audit.length, violations };
}
