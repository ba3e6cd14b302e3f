import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ENVIO_INICIAL, ENVIO_STATUSES, isEnvioStatus, pedidoStatusFor, transitionEnvio } from './envio.js';

describe('shipment statuses', () => {
  test('are the seed’s aguardando_envio, enviado, entregue; a shipment starts aguardando_envio', () => {
    assert.deepEqual(ENVIO_STATUSES, ['aguardando_envio', 'enviado', 'entregue']);
    assert.equal(ENVIO_INICIAL, 'aguardando_envio');
    assert.equal(isEnvioStatus('entregue'), true);
    assert.equal(isEnvioStatus('cancelado'), false);
  });

  test('the only transitions are aguardando_envio → enviado → entregue', () => {
    const legal = ENVIO_STATUSES.flatMap((from) =>
      ENVIO_STATUSES.filter((to) => transitionEnvio(from, to).ok).map((to) => `${from}>${to}`),
    );
    assert.deepEqual(legal, ['aguardando_envio>enviado', 'enviado>entregue']);
  });

  test('when a waiting shipment is marked delivered, then it is refused: it must be sent first', () => {
    assert.deepEqual(transitionEnvio('aguardando_envio', 'entregue'), {
      ok: false,
      refusal: 'not-allowed',
      reason: 'a shipment that is aguardando_envio can only become enviado, not entregue',
    });
  });

  test('when a delivered shipment is touched, then it is final', () => {
    assert.equal(transitionEnvio('entregue', 'enviado').ok, false);
  });

  test('when enviado is repeated (a retry), then the refusal is same-status', () => {
    const result = transitionEnvio('enviado', 'enviado');
    assert.ok(!result.ok);
    assert.equal(result.refusal, 'same-status');
  });

  test('the order follows the shipment once it has left', () => {
    assert.equal(pedidoStatusFor('aguardando_envio'), undefined);
    assert.equal(pedidoStatusFor('enviado'), 'enviado');
    assert.equal(pedidoStatusFor('entregue'), 'entregue');
  });
});
