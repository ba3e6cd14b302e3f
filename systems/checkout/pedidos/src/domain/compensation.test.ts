import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FALHAS, planCompensation, planCompensationAt } from './compensation.js';
import { PEDIDO_STATUSES, transitionPedido } from './status.js';

describe('planCompensation', () => {
  test('when the payment is rejected, then only the order is cancelled', () => {
    assert.deepEqual(planCompensation('payment-rejected').undo, ['cancel-order']);
    assert.equal(planCompensation('payment-rejected').finalStatus, 'cancelado');
  });

  test('when the payment outcome is unknown, then a refund is requested before cancelling', () => {
    assert.deepEqual(planCompensation('payment-unknown').undo, ['refund-payment', 'cancel-order']);
  });

  test('when stock is unavailable, then the payment is refunded and the order cancelled', () => {
    assert.deepEqual(planCompensation('stock-unavailable'), {
      statusAtFailure: 'pagamento_aprovado',
      undo: ['refund-payment', 'cancel-order'],
      finalStatus: 'cancelado',
      retry: false,
    });
  });

  test('when the stock outcome is unknown, then the reservation is released too, before the refund', () => {
    assert.deepEqual(planCompensation('stock-unknown').undo, [
      'release-stock',
      'refund-payment',
      'cancel-order',
    ]);
    assert.equal(planCompensation('stock-unknown').statusAtFailure, 'pagamento_aprovado');
  });

  test('when the invoice fails, then stock is released, the payment refunded and the order cancelled, in that order', () => {
    assert.deepEqual(planCompensation('invoice-failed').undo, [
      'release-stock',
      'refund-payment',
      'cancel-order',
    ]);
  });

  test('when the dispatch fails, then nothing is undone and the dispatch is retried (the NF is issued)', () => {
    assert.deepEqual(planCompensation('dispatch-failed'), {
      statusAtFailure: 'nf_emitida',
      undo: [],
      finalStatus: 'nf_emitida',
      retry: true,
    });
  });

  test('every plan that cancels starts from a status the state machine lets us cancel', () => {
    for (const falha of FALHAS) {
      const plan = planCompensation(falha);
      if (plan.undo.includes('cancel-order')) {
        assert.equal(transitionPedido(plan.statusAtFailure, 'cancelado').ok, true, falha);
        assert.equal(plan.undo.at(-1), 'cancel-order', `${falha}: the order is cancelled last`);
      } else assert.equal(plan.finalStatus, plan.statusAtFailure);
    }
  });

  test('no plan undoes an action twice', () => {
    for (const falha of FALHAS)
      assert.equal(new Set(planCompensation(falha).undo).size, planCompensation(falha).undo.length);
  });
});

describe('planCompensationAt', () => {
  test('when the failure matches the order’s status, then the plan is returned', () => {
    const result = planCompensationAt('stock-unavailable', 'pagamento_aprovado');
    assert.ok(result.ok);
    assert.deepEqual(result.plan.undo, ['refund-payment', 'cancel-order']);
  });

  test('when a late payment rejection arrives for an order already em_separacao, then nothing is planned', () => {
    assert.deepEqual(planCompensationAt('payment-rejected', 'em_separacao'), {
      ok: false,
      reason: 'payment-rejected is handled while the order is pendente, but it is em_separacao',
    });
  });

  test('for every failure, exactly one status accepts it', () => {
    for (const falha of FALHAS)
      assert.equal(PEDIDO_STATUSES.filter((s) => planCompensationAt(falha, s).ok).length, 1, falha);
  });
});
