import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBookingEvent } from './live.js';

const data = {
  agendamento_id: 12,
  telescopio_id: 'Hubble-Acad',
  cientista_id: 7,
  horario_inicio_utc: '2027-03-01T03:00:00.000Z',
  horario_fim_utc: '2027-03-01T03:05:00.000Z',
  status: 'ativo',
  audit_seq: 40,
  tipo: 'AGENDAMENTO_CRIADO',
  emitido_em_utc: '2026-11-23T13:12:40.300Z',
};

test('a booking event is read from its data, whatever the SSE event name', () => {
  assert.deepEqual(parseBookingEvent('message', JSON.stringify(data)), {
    tipo: 'AGENDAMENTO_CRIADO',
    agendamento_id: 12,
    telescopio_id: 'Hubble-Acad',
    cientista_id: 7,
    horario_inicio_utc: '2027-03-01T03:00:00.000Z',
    horario_fim_utc: '2027-03-01T03:05:00.000Z',
    status: 'ativo',
  });
  const { tipo: _tipo, status: _status, ...untyped } = data;
  assert.equal(parseBookingEvent('AGENDAMENTO_CANCELADO', JSON.stringify(untyped))?.status, 'cancelado');
});

test('anything else is ignored rather than thrown', () => {
  assert.equal(parseBookingEvent('message', 'not json'), undefined);
  assert.equal(parseBookingEvent('message', JSON.stringify({ ...data, tipo: 'OUTRO' })), undefined);
  assert.equal(parseBookingEvent('message', JSON.stringify({ ...data, agendamento_id: '12' })), undefined);
  assert.equal(parseBookingEvent('message', 'null'), undefined);
});
