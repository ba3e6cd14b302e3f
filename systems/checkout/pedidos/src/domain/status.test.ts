import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PEDIDO_STATUSES,
  canCancelPedido,
  isPedidoStatus,
  isTerminal,
  nextStatuses,
  transitionPedido,
  type PedidoStatus,
} from './status.js';

const HAPPY_PATH: readonly PedidoStatus[] = [
  'pendente',
  'pagamento_aprovado',
  'em_separacao',
  'nf_emitida',
  'enviado',
  'entregue',
];

describe('order statuses are the seed’s Portuguese wire values', () => {
  test('the statuses are exactly the seed’s, plus entregue which its generator writes', () => {
    assert.deepEqual(PEDIDO_STATUSES, [...HAPPY_PATH, 'cancelado']);
    assert.equal(isPedidoStatus('nf_emitida'), true);
    assert.equal(isPedidoStatus('NF_EMITIDA'), false);
    assert.equal(isPedidoStatus(3), false);
  });
});

describe('transitionPedido', () => {
  test('when each happy-path step moves one place forward, then it is allowed', () => {
    for (let i = 0; i + 1 < HAPPY_PATH.length; i++) {
      const from = HAPPY_PATH[i] as PedidoStatus;
      const to = HAPPY_PATH[i + 1] as PedidoStatus;
      assert.deepEqual(transitionPedido(from, to), { ok: true, from, to });
    }
  });

  test('cancelado is reachable exactly from pendente, pagamento_aprovado and em_separacao', () => {
    const cancellable = PEDIDO_STATUSES.filter((s) => transitionPedido(s, 'cancelado').ok);
    assert.deepEqual(cancellable, ['pendente', 'pagamento_aprovado', 'em_separacao']);
    assert.deepEqual(PEDIDO_STATUSES.filter(canCancelPedido), cancellable);
  });

  test('when the nota fiscal is issued, then the order can no longer be cancelled', () => {
    const result = transitionPedido('nf_emitida', 'cancelado');
    assert.deepEqual(result, {
      ok: false,
      refusal: 'not-allowed',
      reason: 'an order that is nf_emitida cannot become cancelado (allowed: enviado)',
    });
  });

  test('when a step is skipped or goes back, then it is refused', () => {
    assert.equal(transitionPedido('pendente', 'em_separacao').ok, false);
    assert.equal(transitionPedido('enviado', 'nf_emitida').ok, false);
    assert.equal(transitionPedido('pagamento_aprovado', 'pendente').ok, false);
  });

  test('when the order is already in the target status, then the refusal is same-status (a retry)', () => {
    for (const s of PEDIDO_STATUSES) {
      const result = transitionPedido(s, s);
      assert.ok(!result.ok);
      assert.equal(result.refusal, 'same-status');
    }
  });

  test('when the order is cancelado or entregue, then nothing leaves it', () => {
    for (const from of ['cancelado', 'entregue'] as const) {
      assert.equal(isTerminal(from), true);
      for (const to of PEDIDO_STATUSES) {
        const result = transitionPedido(from, to);
        assert.ok(!result.ok);
        if (from !== to) assert.equal(result.refusal, 'terminal');
      }
    }
  });

  test('the allowed transitions are exactly the 8 edges of the diagram', () => {
    const edges = PEDIDO_STATUSES.flatMap((from) =>
      PEDIDO_STATUSES.filter((to) => transitionPedido(from, to).ok).map((to) => `${from}>${to}`),
    );
    assert.equal(edges.length, 8);
    for (const from of PEDIDO_STATUSES)
      assert.deepEqual(
        nextStatuses(from),
        PEDIDO_STATUSES.filter((to) => transitionPedido(from, to).ok),
      );
  });
});
