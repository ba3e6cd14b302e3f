import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@dslab/testing';
import { computeTotal, type TotalResult } from './total.js';

const precos = new Map([
  [1, 1050], // R$ 10,50
  [2, 50099], // R$ 500,99
  [3, 0],
]);

function total(result: TotalResult): number {
  if (!result.ok) assert.fail(JSON.stringify(result.errors));
  return result.value.valor_total_centavos;
}

describe('computeTotal', () => {
  test('when 2 × R$ 10,50 and 1 × R$ 500,99 are ordered, then the total is 52 199 centavos', () => {
    const result = computeTotal(
      [
        { produto_id: 1, quantidade: 2 },
        { produto_id: 2, quantidade: 1 },
      ],
      precos,
    );
    assert.deepEqual(result, {
      ok: true,
      value: {
        itens: [
          { produto_id: 1, quantidade: 2, preco_unitario_centavos: 1050, subtotal_centavos: 2100 },
          { produto_id: 2, quantidade: 1, preco_unitario_centavos: 50099, subtotal_centavos: 50099 },
        ],
        valor_total_centavos: 52199,
      },
    });
  });

  test('when a product is free, then it adds nothing and is still a line', () => {
    const result = computeTotal([{ produto_id: 3, quantidade: 5 }], precos);
    assert.equal(total(result), 0);
  });

  test('when products are not in the catalogue, then every unknown product is reported', () => {
    const result = computeTotal(
      [
        { produto_id: 9, quantidade: 1 },
        { produto_id: 1, quantidade: 1 },
        { produto_id: 10, quantidade: 1 },
      ],
      precos,
    );
    assert.deepEqual(result, {
      ok: false,
      errors: [
        { field: 'itens[0].produto_id', reason: 'produto_id 9 is not in the catalogue' },
        { field: 'itens[2].produto_id', reason: 'produto_id 10 is not in the catalogue' },
      ],
    });
  });

  test('when a stored price is fractional, negative or not finite, then it is refused, not rounded', () => {
    for (const bad of [10.5, -1, Number.NaN, Infinity, 2 ** 53]) {
      const result = computeTotal([{ produto_id: 1, quantidade: 1 }], new Map([[1, bad]]));
      assert.equal(result.ok, false, String(bad));
    }
  });

  test('when the total would pass Number.MAX_SAFE_INTEGER, then it is refused once, naming the line', () => {
    const big = Math.floor(Number.MAX_SAFE_INTEGER / 2);
    const result = computeTotal(
      [
        { produto_id: 1, quantidade: 1 },
        { produto_id: 1, quantidade: 1 },
        { produto_id: 1, quantidade: 1 },
        { produto_id: 1, quantidade: 1 },
      ],
      new Map([[1, big]]),
    );
    assert.deepEqual(result, {
      ok: false,
      errors: [{ field: 'itens', reason: 'the order total exceeds 9007199254740991 centavos at itens[2]' }],
    });
  });

  test('when the total is exactly Number.MAX_SAFE_INTEGER, then it is accepted', () => {
    const result = computeTotal([{ produto_id: 1, quantidade: 1 }], new Map([[1, Number.MAX_SAFE_INTEGER]]));
    assert.equal(total(result), Number.MAX_SAFE_INTEGER);
  });

  test('when one line alone overflows (quantidade × price), then it is refused', () => {
    const result = computeTotal([{ produto_id: 1, quantidade: 1000 }], new Map([[1, 2 ** 44]]));
    assert.equal(result.ok, false);
  });

  test('for random orders with prices near the limit (seed 11), the result agrees with BigInt arithmetic', () => {
    const random = seededRandom(11);
    for (let n = 0; n < 5_000; n++) {
      const scale = [1e3, 1e6, 1e12, 2 ** 43, 2 ** 50][Math.floor(random() * 5)] ?? 1;
      const count = 1 + Math.floor(random() * 50);
      const prices = new Map<number, number>();
      const itens = Array.from({ length: count }, (_, i) => {
        prices.set(i + 1, Math.floor(random() * scale));
        return { produto_id: i + 1, quantidade: 1 + Math.floor(random() * 1000) };
      });
      const exact = itens.reduce(
        (s, i) => s + BigInt(i.quantidade) * BigInt(prices.get(i.produto_id) ?? 0),
        0n,
      );
      const result = computeTotal(itens, prices);
      if (exact <= BigInt(Number.MAX_SAFE_INTEGER)) assert.equal(total(result), Number(exact));
      else assert.equal(result.ok, false, `exact total ${exact} must be refused`);
    }
  });
});
