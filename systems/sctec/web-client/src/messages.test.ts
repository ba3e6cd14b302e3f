import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HOLD_EXPIRED, LOST_RACE, problemMessage, UNAVAILABLE } from './messages.js';

test('when another scientist got the slot first, then the loser reads that, whatever the detail', () => {
  const message = problemMessage('agendar', {
    status: 409,
    code: 'slot-taken',
    detail: 'The slot Hubble-Acad_2027-03-01T04:00:00Z is being booked or is booked by someone else',
  });
  assert.equal(message.text, LOST_RACE);
  assert.equal(message.tone, 'warning');
});

test('when the service is unreachable or unavailable, then "Serviço indisponível, tente novamente"', () => {
  for (const status of [0, 502, 503, 504]) {
    assert.equal(problemMessage('agendar', { status, code: 'unavailable' }).text, UNAVAILABLE);
  }
});

test('when the token is missing or expired, then the scientist is asked to log in', () => {
  const message = problemMessage('agendar', {
    status: 401,
    code: 'unauthenticated',
    detail: 'The token is not valid',
  });
  assert.equal(message.needsLogin, true);
  assert.match(message.text, /Entre com sua conta/);
  assert.equal(
    problemMessage('entrar', { status: 401, code: 'invalid-credentials' }).text,
    'E-mail ou senha incorretos.',
  );
});

test('when not allowed, then a 403 says so with its reason', () => {
  const message = problemMessage('cancelar', {
    status: 403,
    code: 'forbidden',
    detail: 'Only the owner of the booking or an admin may cancel it',
  });
  assert.match(message.text, /^Você não tem permissão/);
  assert.match(message.text, /Only the owner/);
});

test('when the request is invalid, then the problem detail is shown', () => {
  const detail = 'horario_inicio_utc: … is a slot already in progress';
  assert.equal(
    problemMessage('agendar', { status: 400, code: 'validation-failed', detail }).text,
    `Pedido inválido: ${detail}`,
  );
});

test('when the slot is held for the waitlist, then the message says until when', () => {
  const message = problemMessage('agendar', {
    status: 409,
    code: 'slot-held',
    detail: 'held',
    oferta_expira_em_utc: '2027-03-01T10:02:13.500Z',
  });
  assert.equal(
    message.text,
    'Este horário está reservado para quem está na fila de espera até 10:02:13 UTC.',
  );
});

test('when confirming a hold that is gone, then the scientist reads that it passed on', () => {
  assert.equal(problemMessage('confirmar', { status: 409, code: 'hold-expired' }).text, HOLD_EXPIRED);
  assert.match(
    problemMessage('entrar-fila', { status: 409, code: 'already-waiting' }).text,
    /já está na fila/,
  );
  assert.equal(
    problemMessage('entrar-fila', { status: 409, code: 'conflict', detail: 'The slot is free: book it' })
      .text,
    'Não é possível entrar na fila de espera: The slot is free: book it',
  );
});

test('when the quota is exceeded, then the message says how much is left, and shows the detail', () => {
  const detail = 'This booking needs 10 minutes in 2026-12 but only 5 of your 600 remain';
  const message = problemMessage('agendar', {
    status: 422,
    code: 'quota-exceeded',
    detail,
    periodo: '2026-12',
    alocados_minutos: 600,
    usados_minutos: 595,
    restantes_minutos: 5,
    pedidos_minutos: 10,
  });
  assert.equal(message.tone, 'error');
  assert.equal(
    message.text,
    `Cota de tempo insuficiente: o pedido precisa de 10 min em 2026-12, mas restam 5 de 600 min. (${detail})`,
  );
});
