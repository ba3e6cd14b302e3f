import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOST_RACE, problemMessage, UNAVAILABLE } from './messages.js';

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
