import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSepararRequest } from './request.js';

describe('validateSepararRequest', () => {
  test('when pedido_id and items are valid, then the request is accepted', () => {
    assert.deepEqual(validateSepararRequest({ pedido_id: 1, itens: [{ produto_id: 2, quantidade: 3 }] }), {
      ok: true,
      value: { pedido_id: 1, itens: [{ produto_id: 2, quantidade: 3 }] },
    });
  });

  test('when the same product appears on two lines, then it is accepted (the reservation sums them)', () => {
    const result = validateSepararRequest({
      pedido_id: 1,
      itens: [
        { produto_id: 2, quantidade: 3 },
        { produto_id: 2, quantidade: 1 },
      ],
    });
    assert.equal(result.ok, true);
  });

  test('when everything is wrong, then every problem is listed', () => {
    const result = validateSepararRequest({
      pedido_id: '1',
      itens: [{ produto_id: 0, quantidade: 1001 }, null],
    });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      ['pedido_id', 'itens[0].produto_id', 'itens[0].quantidade', 'itens[1]'],
    );
  });

  test('when itens is empty or missing, then it is refused', () => {
    assert.equal(validateSepararRequest({ pedido_id: 1, itens: [] }).ok, false);
    assert.equal(validateSepararRequest({ pedido_id: 1 }).ok, false);
    assert.equal(validateSepararRequest(null).ok, false);
  });
});
