import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_ID, MAX_ITENS, totalCentavos, validateEmissaoRequest } from './emissao.js';

const ITENS = [
  { produto_id: 1, quantidade: 2, preco_unitario_centavos: 1050 },
  { produto_id: 7, quantidade: 1, preco_unitario_centavos: 10245 },
];

function fields(input: unknown): string[] {
  const result = validateEmissaoRequest(input);
  assert.ok(!result.ok, 'expected a refusal');
  return result.errors.map((e) => e.field);
}

describe('validateEmissaoRequest', () => {
  test('when the total is the sum of quantidade × preço of the lines, then the request is accepted with only its known fields', () => {
    const result = validateEmissaoRequest({ pedido_id: 42, valor_centavos: 12345, itens: ITENS, extra: 1 });
    assert.deepEqual(result, { ok: true, value: { pedido_id: 42, valor_centavos: 12345, itens: ITENS } });
  });

  test('when the total differs from the lines by one centavo, then valor_centavos is refused and names the sum', () => {
    const result = validateEmissaoRequest({ pedido_id: 42, valor_centavos: 12346, itens: ITENS });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      ['valor_centavos'],
    );
    assert.match(result.errors[0]?.reason ?? '', /\(12345\)/);
  });

  test('a free order (every price 0, total 0) is a valid invoice', () => {
    assert.equal(
      validateEmissaoRequest({
        pedido_id: 1,
        valor_centavos: 0,
        itens: [{ produto_id: 1, quantidade: 3, preco_unitario_centavos: 0 }],
      }).ok,
      true,
    );
  });

  test('when the ids are 0, negative, fractional, too big or text, then each is refused by name', () => {
    for (const bad of [0, -1, 1.5, MAX_ID + 1, '42', null])
      assert.deepEqual(
        fields({ pedido_id: bad, valor_centavos: 12345, itens: ITENS }),
        ['pedido_id'],
        String(bad),
      );
    assert.deepEqual(
      fields({
        pedido_id: 1,
        valor_centavos: 0,
        itens: [{ produto_id: 0, quantidade: 1, preco_unitario_centavos: 0 }],
      }),
      ['itens[0].produto_id'],
    );
  });

  test('when valor_centavos is negative, fractional or past 2^53 − 1, then it is refused', () => {
    for (const bad of [-1, 0.5, 2 ** 53, Number.NaN, '12345'])
      assert.ok(
        fields({ pedido_id: 1, valor_centavos: bad, itens: ITENS }).includes('valor_centavos'),
        String(bad),
      );
  });

  test('when there are no lines or more than 50, then itens is refused without inspecting each line', () => {
    assert.deepEqual(fields({ pedido_id: 1, valor_centavos: 0, itens: [] }), ['itens']);
    const many = Array.from({ length: MAX_ITENS + 1 }, () => ({ produto_id: 0 }));
    assert.deepEqual(fields({ pedido_id: 1, valor_centavos: 0, itens: many }), ['itens']);
    assert.deepEqual(fields({ pedido_id: 1, valor_centavos: 0, itens: 'x' }), ['itens']);
  });

  test('when every line is wrong, then every problem is reported under its path', () => {
    assert.deepEqual(
      fields({
        pedido_id: 1,
        valor_centavos: 0,
        itens: [{ produto_id: 1, quantidade: 0, preco_unitario_centavos: -1 }, 'x'],
      }),
      ['itens[0].quantidade', 'itens[0].preco_unitario_centavos', 'itens[1]'],
    );
  });

  test('when the lines add up past 2^53 − 1, then the total is refused instead of rounded', () => {
    const big = { produto_id: 1, quantidade: 1_000_000, preco_unitario_centavos: 2 ** 50 };
    assert.deepEqual(fields({ pedido_id: 1, valor_centavos: 0, itens: [big] }), ['itens']);
    assert.equal(totalCentavos([big]), undefined);
  });

  test('when the input is not an object, then it is refused as a whole', () => {
    for (const bad of [null, [], 'x', 3]) assert.deepEqual(fields(bad), ['']);
  });
});
