/**
 * The day board, without the DOM: 288 five-minute UTC slots and what each one is for the viewer.
 * Pure functions of (day, bookings, viewer, server time) so they are unit-tested in Node.
 */

export const SLOT_MS = 300_000;
export const DAY_MS = 86_400_000;
export const SLOTS_PER_HOUR = 12;
export const SLOTS_PER_DAY = 288;

/** free: bookable; taken: someone else's; mine: the viewer's; past: already started. */
export type SlotState = 'free' | 'taken' | 'mine' | 'past';

export interface Link {
  readonly href: string;
  readonly method?: string;
  readonly title?: string;
  readonly templated?: boolean;
}

/** A booking as the board needs it (from GET /agendamentos or from a live event). */
export interface BoardBooking {
  readonly id: number;
  readonly telescopio_id: string;
  readonly cientista_id: number;
  readonly horario_inicio_utc: string;
  readonly horario_fim_utc: string;
  readonly status: string;
  /** Absent when the booking came from a live event (the next reload brings the links). */
  readonly _links?: Readonly<Record<string, Link | undefined>>;
}

export interface SlotView {
  readonly startMs: number;
  /** Start as ISO-8601 with milliseconds: the `data-slot` attribute. */
  readonly iso: string;
  /** "03:05" */
  readonly label: string;
  readonly state: SlotState;
  /** For a past slot: whose booking it held, if any. */
  readonly heldBy: 'mine' | 'taken' | undefined;
  readonly booking: BoardBooking | undefined;
}

/** "YYYY-MM-DD" (the value of an <input type=date>) → epoch ms of 00:00 UTC that day. */
export function dayStartMs(date: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) {
    return undefined;
  }
  return ms;
}

/** Epoch ms → "YYYY-MM-DD" of its UTC day. */
export function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The UTC date after the one `nowMs` falls in. */
export function tomorrowUtc(nowMs: number): string {
  return utcDate(Math.floor(nowMs / DAY_MS) * DAY_MS + DAY_MS);
}

export function isoWithMs(ms: number): string {
  return new Date(Math.floor(ms)).toISOString();
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** "03:05" (UTC). */
export function hhmm(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** "14:03:22.123" (UTC). */
export function clockText(ms: number): string {
  const d = new Date(Math.floor(ms));
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

const decimal = (digits: number, sign: boolean) =>
  new Intl.NumberFormat('pt-BR', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
    signDisplay: sign ? 'always' : 'auto',
  });

/** "+12,3 ± 0,8 ms": the estimated offset of this machine's clock and the bound on its error. */
export function offsetText(offsetMs: number, boundMs: number): string {
  return `${decimal(1, true).format(offsetMs)} ± ${decimal(1, false).format(boundMs)} ms`;
}

/** The instants a booking covers, as slot starts (whole slots; partial overlaps count). */
export function slotsOf(booking: BoardBooking): number[] {
  const start = Date.parse(booking.horario_inicio_utc);
  const end = Date.parse(booking.horario_fim_utc);
  if (!Number.isFinite(start) || !Number.isFinite(end)) return [];
  const out: number[] = [];
  for (let t = Math.floor(start / SLOT_MS) * SLOT_MS; t < end; t += SLOT_MS) out.push(t);
  return out;
}

/** Active bookings by the slot starts they hold. */
export function indexBySlot(bookings: Iterable<BoardBooking>): Map<number, BoardBooking> {
  const bySlot = new Map<number, BoardBooking>();
  for (const booking of bookings) {
    if (booking.status !== 'ativo') continue;
    for (const slot of slotsOf(booking)) bySlot.set(slot, booking);
  }
  return bySlot;
}

/**
 * The 288 slots of the UTC day starting at `dayStart`, as `viewerId` sees them at server time
 * `nowMs`. A slot that has started is `past` (it can be neither booked nor cancelled any more),
 * whoever held it; `heldBy` keeps that for the picture.
 */
export function buildDay(
  dayStart: number,
  bookings: Iterable<BoardBooking>,
  viewerId: number | undefined,
  nowMs: number,
): SlotView[] {
  const bySlot = indexBySlot(bookings);
  const slots: SlotView[] = [];
  for (let i = 0; i < SLOTS_PER_DAY; i++) {
    const startMs = dayStart + i * SLOT_MS;
    const booking = bySlot.get(startMs);
    const heldBy =
      booking === undefined
        ? undefined
        : viewerId !== undefined && booking.cientista_id === viewerId
          ? 'mine'
          : 'taken';
    const state: SlotState = startMs <= nowMs ? 'past' : (heldBy ?? 'free');
    slots.push({ startMs, iso: isoWithMs(startMs), label: hhmm(startMs), state, heldBy, booking });
  }
  return slots;
}

const STATE_WORDS: Record<SlotState, string> = {
  free: 'livre',
  taken: 'ocupado',
  mine: 'seu agendamento',
  past: 'encerrado',
};

/** Accessible name of a slot button: "03:05 livre". */
export function slotAriaLabel(slot: Pick<SlotView, 'label' | 'state' | 'heldBy'>): string {
  const base = `${slot.label} ${STATE_WORDS[slot.state]}`;
  if (slot.state !== 'past' || slot.heldBy === undefined) return base;
  return `${base} (${slot.heldBy === 'mine' ? 'foi seu' : 'foi ocupado'})`;
}

/** Does a booking (e.g. from a live event) touch the UTC day starting at `dayStart`? */
export function touchesDay(
  booking: Pick<BoardBooking, 'horario_inicio_utc' | 'horario_fim_utc'>,
  dayStart: number,
) {
  const start = Date.parse(booking.horario_inicio_utc);
  const end = Date.parse(booking.horario_fim_utc);
  return start < dayStart + DAY_MS && end > dayStart;
}
