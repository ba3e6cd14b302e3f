import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@dslab/testing';
import { listarProdutos, reaisToCentavos, toProdutoInfo, type Produto } from './produtos.js';

const produtos: Produto[] = [
  { id: 12, nome: 'Produto C', preco_centavos: 5000, quantidade_estoque: 5 },
  { id: 1, nome: 'Produto A', preco_centavos: 1050, quantidade_estoque: 10 },
  { id: 5, nome: 'Produto B', preco_centavos: 50099, quantidade_estoque: 0 },
];

describe('listarProdutos', () => {
  test('when no filter is given, then the seed’s example listing comes back in id order', () => {
    const { produtos: page, total } = listarProdutos(produtos, { limit: 100, offset: 0 });
    assert.deepEqual(
      page.map(({ id, nome, estoque }) => ({ id, nome, estoque })),
      [
        { id: 1, nome: 'Produto A', estoque: 10 },
        { id: 5, nome: 'Produto B', estoque: 0 },
        { id: 12, nome: 'Produto C', estoque: 5 },
      ],
    );
    assert.equal(total, 3);
  });

  test('each listed product carries exactly id, nome, estoque and preco_centavos', () => {
    assert.deepEqual(toProdutoInfo(produtos[1] as Produto), {
      id: 1,
      nome: 'Produto A',
      estoque: 10,
      preco_centavos: 1050,
    });
  });

  test('when disponivel=true, then products with estoque 0 are left out', () => {
    const list = listarProdutos(produtos, { disponivel: true, limit: 100, offset: 0 });
    assert.deepEqual(
      list.produtos.map((p) => p.id),
      [1, 12],
    );
    assert.equal(list.total, 2);
  });

  test('when disponivel=false, then only products with estoque 0 are listed', () => {
    assert.deepEqual(
      listarProdutos(produtos, { disponivel: false, limit: 100, offset: 0 }).produtos.map((p) => p.id),
      [5],
    );
  });

  test('when limit is 1 and offset 1, then the second product is the page and total still counts all', () => {
    const list = listarProdutos(produtos, { limit: 1, offset: 1 });
    assert.deepEqual(
      list.produtos.map((p) => p.id),
      [5],
    );
    assert.equal(list.total, 3);
  });

  test('when offset is past the end, then the page is empty', () => {
    assert.deepEqual(listarProdutos(produtos, { limit: 10, offset: 3 }).produtos, []);
  });

  test('for random catalogues (seed 31), walking the pages lists every match exactly once, in id order', () => {
    const random = seededRandom(31);
    for (let n = 0; n < 300; n++) {
      const ids = new Set<number>();
      while (ids.size < 40) ids.add(1 + Math.floor(random() * 1000));
      const all: Produto[] = [...ids].map((id) => ({
        id,
        nome: `P${id}`,
        preco_centavos: id,
        quantidade_estoque: random() < 0.3 ? 0 : 1 + Math.floor(random() * 100),
      }));
      const limit = 1 + Math.floor(random() * 15);
      const seen: number[] = [];
      for (let offset = 0; ; offset += limit) {
        const page = listarProdutos(all, { disponivel: true, limit, offset });
        if (page.produtos.length === 0) break;
        seen.push(...page.produtos.map((p) => p.id));
      }
      const expected = all
        .filter((p) => p.quantidade_estoque > 0)
        .map((p) => p.id)
        .sort((a, b) => a - b);
      assert.deepEqual(seen, expected);
    }
  });
});

describe('reaisToCentavos (for the seed’s REAL prices)', () => {
  test('when the seed’s price is 10.5 or 500.99, then it is 1050 or 50099 centavos', () => {
    assert.deepEqual(reaisToCentavos(10.5), { ok: true, value: 1050 });
    assert.deepEqual(reaisToCentavos(500.99), { ok: true, value: 50099 });
    assert.deepEqual(reaisToCentavos(0.1 + 0.2), { ok: true, value: 30 });
  });

  test('when the price has fractions of a centavo, is negative or not finite, then it is refused', () => {
    for (const bad of [19.999, -1, Number.NaN, Infinity])
      assert.equal(reaisToCentavos(bad).ok, false, String(bad));
  });

  test('for every price the seed can generate, round(x, 2) in 10.50..500.99 (seed 13), the conversion is exact', () => {
    const random = seededRandom(13);
    for (let n = 0; n < 20_000; n++) {
      const centavos = 1050 + Math.floor(random() * (50099 - 1050 + 1));
      const reais = Number((centavos / 100).toFixed(2));
      assert.deepEqual(reaisToCentavos(reais), { ok: true, value: centavos });
    }
  });
});
