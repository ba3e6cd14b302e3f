import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildDemandDay, demandLevel, demandSummary, DEMAND_LEVELS } from './demand.js';
import { SLOTS_PER_DAY } from './slots.js';

const DAY = Date.UTC(2027, 2, 1);

test('the heat map has one cell per five-minute slot of the UTC day, coloured by attempts + waiters', () => {
  const cells = buildDemandDay(DAY, [
    { horario_inicio_utc: '2027-03-01T10:00:00.000Z', tentativas: 2, aguardando: 1, ocupado: true },
    { horario_inicio_utc: '2027-03-01T23:55:00.000Z', tentativas: 12, aguardando: 0, ocupado: false },
    { horario_inicio_utc: '2027-03-02T00:00:00.000Z', tentativas: 9, aguardando: 9, ocupado: true },
  ]);
  assert.equal(cells.length, SLOTS_PER_DAY);
  const [first, ten, last] = [cells[0], cells[120], cells[287]];
  assert.ok(first && ten && last);
  assert.equal(ten.iso, '2027-03-01T10:00:00.000Z');
  assert.equal(ten.value, 3);
  assert.equal(ten.level, 3);
  assert.equal(ten.title, '10:00 UTC: 2 tentativas, 1 na fila de espera, ocupado');
  assert.equal(last.level, 5);
  assert.equal(first.value, 0);
  assert.equal(first.title, '00:00 UTC: 0 tentativas, 0 na fila de espera');
  assert.equal(
    cells.reduce((n, c) => n + c.value, 0),
    15,
    'a slot of the next day is not drawn',
  );
});

test('the colour levels cover every count with no gap, as the legend says', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9, 10, 500].map(demandLevel), [0, 1, 2, 3, 3, 4, 4, 5, 5]);
  assert.deepEqual(
    DEMAND_LEVELS.map((l) => l.label),
    ['0', '1', '2', '3–4', '5–9', '10+'],
  );
});

test('the summary names the most contested slots', () => {
  assert.equal(
    demandSummary(buildDemandDay(DAY, [])),
    'Nenhuma tentativa de reserva nem fila de espera neste dia.',
  );
  const summary = demandSummary(
    buildDemandDay(DAY, [
      { horario_inicio_utc: '2027-03-01T10:00:00.000Z', tentativas: 2, aguardando: 1, ocupado: true },
      { horario_inicio_utc: '2027-03-01T11:00:00.000Z', tentativas: 1, aguardando: 0, ocupado: true },
    ]),
  );
  assert.equal(
    summary,
    '2 horários procurados: 3 tentativas e 1 na fila de espera. Mais disputados: 10:00 (3), 11:00 (1).',
  );
});
