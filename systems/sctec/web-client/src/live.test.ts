import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBookingEvent, parseBookingEvent, parseLiveEvent } from './live.js';

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

test('a waitlist event (a hold offered or expired) is read with its entry id and deadline', () => {
  const offered = {
    tipo: 'ESPERA_OFERECIDA',
    espera_id: 5,
    telescopio_id: 'Hubble-Acad',
    cientista_id: 8,
    horario_inicio_utc: '2027-03-01T03:00:00.000Z',
    horario_fim_utc: '2027-03-01T03:05:00.000Z',
    status: 'oferecida',
    oferta_expira_em_utc: '2027-02-28T10:02:00.000Z',
    audit_seq: 41,
    emitido_em_utc: '2027-02-28T10:00:00.010Z',
  };
  const event = parseLiveEvent('ESPERA_OFERECIDA', JSON.stringify(offered));
  assert.ok(event !== undefined && !isBookingEvent(event));
  assert.deepEqual(event, {
    tipo: 'ESPERA_OFERECIDA',
    espera_id: 5,
    telescopio_id: 'Hubble-Acad',
    cientista_id: 8,
    horario_inicio_utc: '2027-03-01T03:00:00.000Z',
    horario_fim_utc: '2027-03-01T03:05:00.000Z',
    status: 'oferecida',
    oferta_expira_em_utc: '2027-02-28T10:02:00.000Z',
  });
  const { tipo: _tipo, ...untyped } = offered;
  const expired = parseLiveEvent(
    'ESPERA_EXPIRADA',
    JSON.stringify({ ...untyped, status: undefined, oferta_expira_em_utc: null }),
  );
  assert.ok(expired);
  assert.equal(expired.tipo, 'ESPERA_EXPIRADA');
  assert.equal(expired.status, 'expirada');
  assert.equal(parseLiveEvent('message', JSON.stringify({ ...offered, espera_id: '5' })), undefined);
  assert.equal(parseBookingEvent('ESPERA_OFERECIDA', JSON.stringify(offered)), undefined, 'not a booking');
  const booking = parseLiveEvent('message', JSON.stringify(data));
  assert.ok(booking !== undefined && isBookingEvent(booking));
});
