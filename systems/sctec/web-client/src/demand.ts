/**
 * Demand of one telescope over one UTC day (GET /telescopios/{id}/demanda, anonymised), as the
 * heat map shows it: 288 five-minute cells, each coloured by attempts + waiters. Pure, unit-tested.
 */
import { hhmm, isoWithMs, SLOT_MS, SLOTS_PER_DAY } from './slots.js';

/** One slot of the demand answer (only slots with attempts or waiters are listed). */
export interface DemandSlot {
  readonly horario_inicio_utc: string;
  readonly tentativas: number;
  readonly aguardando: number;
  readonly ocupado: boolean;
}

export interface DemandAnswer {
  readonly telescopio_id: string;
  readonly de: string;
  readonly ate: string;
  readonly slot_minutos?: number;
  readonly slots: readonly DemandSlot[];
}

export interface DemandCell {
  readonly startMs: number;
  readonly iso: string;
  /** "10:00" */
  readonly label: string;
  readonly tentativas: number;
  readonly aguardando: number;
  readonly ocupado: boolean;
  /** tentativas + aguardando: what the colour shows. */
  readonly value: number;
  /** 0 (no demand) … 5 (10 or more). */
  readonly level: number;
  /** Tooltip and accessible name: "10:00 UTC: 2 tentativas, 1 na fila de espera, ocupado". */
  readonly title: string;
}

/** The colour scale: level i covers values from LEVELS[i].min up to LEVELS[i + 1].min − 1. */
export const DEMAND_LEVELS: readonly {
  readonly level: number;
  readonly min: number;
  readonly label: string;
}[] = [
  { level: 0, min: 0, label: '0' },
  { level: 1, min: 1, label: '1' },
  { level: 2, min: 2, label: '2' },
  { level: 3, min: 3, label: '3–4' },
  { level: 4, min: 5, label: '5–9' },
  { level: 5, min: 10, label: '10+' },
];

export function demandLevel(value: number): number {
  let level = 0;
  for (const step of DEMAND_LEVELS) if (value >= step.min) level = step.level;
  return level;
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function cellTitle(cell: Pick<DemandCell, 'label' | 'tentativas' | 'aguardando' | 'ocupado'>): string {
  const parts = [count(cell.tentativas, 'tentativa', 'tentativas'), `${cell.aguardando} na fila de espera`];
  if (cell.ocupado) parts.push('ocupado');
  return `${cell.label} UTC: ${parts.join(', ')}`;
}

const nonNegative = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0);

/** The 288 cells of the UTC day starting at `dayStart`; slots outside the day are ignored. */
export function buildDemandDay(dayStart: number, slots: readonly DemandSlot[]): DemandCell[] {
  const bySlot = new Map<number, DemandSlot>();
  for (const slot of slots) {
    const start = Date.parse(slot.horario_inicio_utc);
    if (Number.isFinite(start)) bySlot.set(Math.floor(start / SLOT_MS) * SLOT_MS, slot);
  }
  const cells: DemandCell[] = [];
  for (let i = 0; i < SLOTS_PER_DAY; i++) {
    const startMs = dayStart + i * SLOT_MS;
    const slot = bySlot.get(startMs);
    const tentativas = nonNegative(slot?.tentativas);
    const aguardando = nonNegative(slot?.aguardando);
    const ocupado = slot?.ocupado === true;
    const label = hhmm(startMs);
    const value = tentativas + aguardando;
    cells.push({
      startMs,
      iso: isoWithMs(startMs),
      label,
      tentativas,
      aguardando,
      ocupado,
      value,
      level: demandLevel(value),
      title: cellTitle({ label, tentativas, aguardando, ocupado }),
    });
  }
  return cells;
}

/** A sentence for everyone (and screen readers): how contested the day is, and where. */
export function demandSummary(cells: readonly DemandCell[]): string {
  const contested = cells.filter((c) => c.value > 0);
  if (contested.length === 0) return 'Nenhuma tentativa de reserva nem fila de espera neste dia.';
  const attempts = contested.reduce((sum, c) => sum + c.tentativas, 0);
  const waiting = contested.reduce((sum, c) => sum + c.aguardando, 0);
  const top = [...contested]
    .sort((a, b) => b.value - a.value || a.startMs - b.startMs)
    .slice(0, 3)
    .map((c) => `${c.label} (${c.value})`);
  return (
    `${count(contested.length, 'horário procurado', 'horários procurados')}: ` +
    `${count(attempts, 'tentativa', 'tentativas')} e ${waiting} na fila de espera. ` +
    `Mais disputados: ${top.join(', ')}.`
  );
}
