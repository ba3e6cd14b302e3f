import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_MOTIVO_LENGTH, validateEstornoRequest, validatePagamentoRequest } from './request.js';

describe('validatePagamentoRequest', () => {
  test('when pedido_id and valor_centavos are valid and metodo is absent, then metodo is cartao_credito', () => {
    assert.deepEqual(validatePagamentoRequest({ pedido_id: 42, valor_centavos: 52_199 }), {
      ok: true,
      value: { pedido_id: 42, valor_centavos: 52_199, metodo: 'cartao_credito' },
    });
  });

  test('when metodo is pix, then it is kept', () => {
    const result = validatePagamentoRequest({ pedido_id: 1, valor_centavos: 1, metodo: 'pix' });
    assert.ok(result.ok);
    assert.equal(result.value.metodo, 'pix');
  });

  test('when the value is in float reais as in the seed (10.5), then it is refused: centavos only', () => {
    const result = validatePagamentoRequest({ pedido_id: 1, valor_centavos: 10.5 });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      ['valor_centavos'],
    );
  });

  test('when every field is wrong, then all three are reported', () => {
    const result = validatePagamentoRequest({ pedido_id: 0, valor_centavos: 0, metodo: 'cheque' });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      ['pedido_id', 'valor_centavos', 'metodo'],
    );
  });

  test('when the body is not an object, then one error for the whole request', () => {
    assert.deepEqual(validatePagamentoRequest([]), {
      ok: false,
      errors: [{ field: '', reason: 'the request must be an object (got an array)' }],
    });
  });
});

describe('validateEstornoRequest', () => {
  test('when pedido_id and motivo are valid, then motivo is trimmed', () => {
    assert.deepEqual(validateEstornoRequest({ pedido_id: 7, motivo: '  estoque insuficiente ' }), {
      ok: true,
      value: { pedido_id: 7, motivo: 'estoque insuficiente' },
    });
  });

  test('when pedido_id is 0 and motivo is blank, then both are reported', () => {
    const result = validateEstornoRequest({ pedido_id: 0, motivo: '   ' });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      ['pedido_id', 'motivo'],
    );
  });

  test('when motivo is missing, not a string or longer than 1000 characters, then it is refused', () => {
    for (const motivo of [undefined, 5, 'x'.repeat(MAX_MOTIVO_LENGTH + 1)]) {
      const result = validateEstornoRequest({ pedido_id: 1, motivo });
      assert.ok(!result.ok);
      assert.deepEqual(
        result.errors.map((e) => e.field),
        ['motivo'],
      );
    }
    assert.equal(validateEstornoRequest({ pedido_id: 1, motivo: 'x'.repeat(MAX_MOTIVO_LENGTH) }).ok, true);
  });

  test('when the body is not an object, then one error for the whole request', () => {
    assert.equal(validateEstornoRequest(null).ok, false);
  });
});
