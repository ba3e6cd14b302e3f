import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PAGAMENTO_STATUSES,
  isMetodoPagamento,
  isPagamentoStatus,
  planEstorno,
  transitionPagamento,
} from './status.js';

describe('payment statuses', () => {
  test('are exactly aprovado, rejeitado and estornado', () => {
    assert.deepEqual(PAGAMENTO_STATUSES, ['aprovado', 'rejeitado', 'estornado']);
    assert.equal(isPagamentoStatus('estornado'), true);
    assert.equal(isPagamentoStatus('pendente'), false);
    assert.equal(isMetodoPagamento('pix'), true);
    assert.equal(isMetodoPagamento('cheque'), false);
  });

  test('the only legal transition is aprovado → estornado', () => {
    const legal = PAGAMENTO_STATUSES.flatMap((from) =>
      PAGAMENTO_STATUSES.filter((to) => transitionPagamento(from, to).ok).map((to) => `${from}>${to}`),
    );
    assert.deepEqual(legal, ['aprovado>estornado']);
  });

  test('when a rejected payment is to be refunded, then it is refused with a reason', () => {
    assert.deepEqual(transitionPagamento('rejeitado', 'estornado'), {
      ok: false,
      reason: 'a payment that is rejeitado cannot become estornado (only aprovado → estornado)',
    });
  });
});

describe('planEstorno (a compensation that converges on retries)', () => {
  test('when the payment is approved, then it is refunded', () => {
    assert.equal(planEstorno('aprovado'), 'refund');
  });

  test('when the refund is retried, then it is already refunded and nothing changes', () => {
    assert.equal(planEstorno('estornado'), 'already-refunded');
  });

  test('when the payment was rejected or never recorded, then there is nothing to refund', () => {
    assert.equal(planEstorno('rejeitado'), 'nothing-to-refund');
    assert.equal(planEstorno(undefined), 'nothing-to-refund');
  });
});
