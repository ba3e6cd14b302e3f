/**
 * The demand heat map: 24 hour rows × 12 five-minute cells, created once and updated in place, with
 * the same geometry as the board. A cell's colour is `data-level` (0–5, styled in styles.css: no
 * inline style under the CSP); each cell carries `data-slot`, `data-tentativas`, `data-aguardando`,
 * a `title` and an accessible name. The grid is an ARIA table (rows = hours).
 */
import { DEMAND_LEVELS, type DemandCell } from './demand.js';
import { h, setAttr, setText } from './dom.js';
import { SLOTS_PER_HOUR } from './slots.js';

export class HeatMap {
  private readonly cells: HTMLSpanElement[] = [];

  constructor(
    private readonly container: HTMLElement,
    legend: HTMLElement,
  ) {
    setAttr(container, 'role', 'table');
    for (let hour = 0; hour < 24; hour++) {
      const name = `${String(hour).padStart(2, '0')}h`;
      const row = h(
        'div',
        { class: 'heat-row', role: 'row' },
        h('span', { class: 'hour-label', role: 'rowheader', 'aria-label': `${name} UTC` }, name),
      );
      for (let i = 0; i < SLOTS_PER_HOUR; i++) {
        const cell = h('span', { class: 'heat-cell', role: 'cell', 'data-level': '0' });
        this.cells.push(cell);
        row.append(cell);
      }
      container.append(row);
    }
    legend.replaceChildren(
      ...DEMAND_LEVELS.map((step) =>
        h(
          'li',
          {},
          h('span', { class: 'heat-swatch', 'data-level': String(step.level), 'aria-hidden': 'true' }),
          step.label,
        ),
      ),
    );
  }

  render(cells: readonly DemandCell[], options: { busy: boolean; label: string }): void {
    setAttr(this.container, 'aria-busy', options.busy ? 'true' : 'false');
    setAttr(this.container, 'aria-label', options.label);
    cells.forEach((cell, i) => {
      const element = this.cells[i];
      if (element === undefined) return;
      setAttr(element, 'data-slot', cell.iso);
      setAttr(element, 'data-level', String(cell.level));
      setAttr(element, 'data-tentativas', String(cell.tentativas));
      setAttr(element, 'data-aguardando', String(cell.aguardando));
      setAttr(element, 'data-ocupado', cell.ocupado ? 'true' : undefined);
      setAttr(element, 'title', cell.title);
      setAttr(element, 'aria-label', cell.title);
      setText(element, cell.value === 0 ? '' : String(cell.value));
    });
  }
}
