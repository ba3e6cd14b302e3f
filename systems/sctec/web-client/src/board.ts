/**
 * The slot board: 24 hour rows of 12 five-minute buttons, created once and updated in place.
 * Each button carries `data-slot` (ISO start with ms), `data-state` (free|taken|mine|past) and an
 * accessible name such as "03:05 livre".
 */
import { h, setAttr, setText } from './dom.js';
import { SLOTS_PER_HOUR, slotAriaLabel, type SlotView } from './slots.js';

export interface BoardView {
  readonly slots: readonly SlotView[];
  /** Slots whose booking request is in flight. */
  readonly pending: ReadonlySet<string>;
  /** The booking shown in the details panel, if any. */
  readonly selectedBookingId: number | undefined;
  readonly busy: boolean;
}

export class Board {
  private readonly buttons: HTMLButtonElement[] = [];
  private view: readonly SlotView[] = [];

  constructor(
    private readonly container: HTMLElement,
    onPick: (slot: SlotView) => void,
  ) {
    for (let hour = 0; hour < 24; hour++) {
      const label = h(
        'span',
        { class: 'hour-label', 'aria-hidden': 'true' },
        `${String(hour).padStart(2, '0')}h`,
      );
      const row = h(
        'div',
        { class: 'hour', role: 'group', 'aria-label': `${String(hour).padStart(2, '0')}h UTC` },
        label,
      );
      for (let i = 0; i < SLOTS_PER_HOUR; i++) {
        const button = h('button', { type: 'button', class: 'slot' });
        this.buttons.push(button);
        row.append(button);
      }
      container.append(row);
    }
    container.addEventListener('click', (event) => {
      const target = event.target instanceof Element ? event.target.closest('button.slot') : null;
      if (target === null) return;
      const slot = this.view[this.buttons.indexOf(target as HTMLButtonElement)];
      if (slot !== undefined) onPick(slot);
    });
  }

  render(view: BoardView): void {
    this.view = view.slots;
    setAttr(this.container, 'aria-busy', view.busy ? 'true' : 'false');
    view.slots.forEach((slot, i) => {
      const button = this.buttons[i];
      if (button === undefined) return;
      const pending = view.pending.has(slot.iso);
      setAttr(button, 'data-slot', slot.iso);
      setAttr(button, 'data-state', slot.state);
      setAttr(button, 'data-held', slot.state === 'past' ? slot.heldBy : undefined);
      setAttr(button, 'data-pending', pending ? 'true' : undefined);
      setAttr(button, 'aria-busy', pending ? 'true' : undefined);
      setAttr(
        button,
        'data-selected',
        slot.booking !== undefined && slot.booking.id === view.selectedBookingId ? 'true' : undefined,
      );
      setAttr(button, 'aria-label', pending ? `${slot.label} reservando…` : slotAriaLabel(slot));
      setAttr(
        button,
        'aria-disabled',
        slot.state === 'past' && slot.heldBy === undefined ? 'true' : undefined,
      );
      setText(button, slot.label);
    });
  }
}
