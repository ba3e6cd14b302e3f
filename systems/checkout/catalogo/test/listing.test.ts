import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ProdutoInfoValue, ProdutoPrecoValue } from '@dslab/checkout-contracts';
import { expectProblems, testContext, type Problem } from '@dslab/checkout-kit/testing';
import { call, ENGINES } from '@dslab/testing';
import {
  operacoes,
  seedListing,
  smallDataset,
  startCatalogoOverStock,
  type HarnessOverStock,
} from './support.js';

for (const engine of ENGINES) {
  describe(`catalogo REST (${engine})`, () => {
    const dataset = smallDataset();
    let h: HarnessOverStock;

    before(async () => {
      h = await startCatalogoOverStock(engine, dataset);
    });
    after(() => h.close());

    test("when the catalogue is listed, then the answer is the seed's array with live stock and prices in centavos, and X-Total-Count", async () => {
      const res = await call<ProdutoInfoValue[]>(h.httpUrl, 'GET', '/produtos');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /application\/json/);
      assert.equal(res.headers['x-total-count'], '12');
      assert.deepEqual(res.body, seedListing(dataset));
      const ops = (await operacoes(h.database)).filter((o) => o.operacao === 'produtos_listados');
      assert.deepEqual(ops.at(-1), {
        operacao: 'produtos_listados',
        pedido_id: null,
        mensagem: 'Catálogo listado: 12 produto(s)',
        detalhes: { filtro: { disponivel: null, limit: 100, offset: 0 }, total: 12 },
      });
      assert.ok(h.lines.some((l) => l.startsWith('INFO:') && l.includes('Catálogo listado: 12 produto(s)')));
    });

    test('when estoque separates the last unit of a product, then the disponivel filter follows the live stock', async () => {
      const before = await call<ProdutoInfoValue[]>(h.httpUrl, 'GET', '/produtos?disponivel=true');
      assert.ok(before.body.some((p) => p.id === 3 && p.estoque === 1));
      assert.ok(!before.body.some((p) => p.id === 2));
      assert.ok(before.body.every((p) => p.estoque > 0));

      await h.stock.service.separar(
        { pedido_id: 77, itens: [{ produto_id: 3, quantidade: 1 }] },
        testContext(),
      );

      const inStock = await call<ProdutoInfoValue[]>(h.httpUrl, 'GET', '/produtos?disponivel=true');
      assert.deepEqual(
        inStock.body.map((p) => p.id),
        [1, 4, 5, 6, 7, 8, 9, 10, 11, 12],
      );
      assert.equal(inStock.headers['x-total-count'], '10');
      const outOfStock = await call<ProdutoInfoValue[]>(h.httpUrl, 'GET', '/produtos?disponivel=false');
      assert.deepEqual(
        outOfStock.body.map((p) => [p.id, p.estoque]),
        [
          [2, 0],
          [3, 0],
        ],
      );
      const one = await call<ProdutoInfoValue>(h.httpUrl, 'GET', '/produtos/3');
      assert.equal(one.status, 200);
      assert.equal(one.body.estoque, 0);

      await h.stock.service.liberar({ pedido_id: 77, motivo: 'teste' }, testContext());
      const back = await call<ProdutoInfoValue>(h.httpUrl, 'GET', '/produtos/3');
      assert.equal(back.body.estoque, 1);
    });

    test('when pages are read with limit and offset, then they tile the listing and X-Total-Count stays the total', async () => {
      const pages: ProdutoInfoValue[] = [];
      for (const offset of [0, 5, 10, 15]) {
        const res = await call<ProdutoInfoValue[]>(h.httpUrl, 'GET', `/produtos?limit=5&offset=${offset}`);
        assert.equal(res.status, 200);
        assert.equal(res.headers['x-total-count'], '12');
        pages.push(...res.body);
      }
      assert.deepEqual(
        pages.map((p) => p.id),
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      const filtered = await call<ProdutoInfoValue[]>(
        h.httpUrl,
        'GET',
        '/produtos?disponivel=true&limit=2&offset=1',
      );
      assert.deepEqual(
        filtered.body.map((p) => p.id),
        [3, 4],
      );
      assert.equal(filtered.headers['x-total-count'], '11');
    });

    test('when the query is wrong (unknown parameter, limit=0, limit=abc, repeated or loose values), then a 400 problem names each parameter', async () => {
      const cases: [string, string[]][] = [
        ['ordem=nome', ['querystring.ordem']],
        ['limit=0', ['querystring.limit']],
        ['limit=abc', ['querystring.limit']],
        ['limit=1001', ['querystring.limit']],
        ['limit=1e2', ['querystring.limit']],
        ['offset=-1', ['querystring.offset']],
        ['disponivel=sim', ['querystring.disponivel']],
        ['disponivel=sim&limit=0&x=1', ['querystring.x', 'querystring.disponivel', 'querystring.limit']],
      ];
      await expectProblems(
        h.httpUrl,
        cases.map(([query, fields]) => ({
          name: query,
          method: 'GET',
          path: `/produtos?${query}`,
          status: 400,
          code: 'validation-failed',
          fields,
        })),
      );
      const repeated = await call<Problem>(h.httpUrl, 'GET', '/produtos?limit=1&limit=2');
      assert.equal(repeated.status, 400);
    });

    test('when one product is asked by id, then it comes with its stock; an unknown id is 404 and a bad id 400', async () => {
      const [expected] = seedListing(dataset);
      const one = await call<ProdutoInfoValue>(h.httpUrl, 'GET', '/produtos/1');
      assert.equal(one.status, 200);
      assert.deepEqual(one.body, expected);
      const missing = await call<Problem>(h.httpUrl, 'GET', '/produtos/999');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.code, 'not-found');
      for (const id of ['abc', '0', '-1', '99999999999']) {
        const bad = await call<Problem>(h.httpUrl, 'GET', `/produtos/${id}`);
        assert.equal(bad.status, 400, id);
        assert.equal(bad.body.code, 'validation-failed', id);
      }
    });

    test('when prices are asked for some ids, then the known ones come back in id order and the call is recorded', async () => {
      const res = await call<ProdutoPrecoValue[]>(h.httpUrl, 'POST', '/produtos/consulta', {
        body: { ids: [3, 1, 999, 1] },
      });
      assert.equal(res.status, 200);
      const listing = seedListing(dataset);
      assert.deepEqual(
        res.body,
        [listing[0], listing[2]].map((p) => ({
          id: p?.id,
          nome: p?.nome,
          preco_centavos: p?.preco_centavos,
        })),
      );
      const ops = (await operacoes(h.database)).filter((o) => o.operacao === 'produtos_consultados');
      assert.deepEqual(ops.at(-1)?.detalhes, { ids: [1, 3, 999] });
      assert.equal(ops.at(-1)?.pedido_id, null);

      const none = await call<ProdutoPrecoValue[]>(h.httpUrl, 'POST', '/produtos/consulta', {
        body: { ids: [500, 501] },
      });
      assert.equal(none.status, 200);
      assert.deepEqual(none.body, []);
    });

    test('when the pricing query is malformed, then it is a 400 problem, never a 500', async () => {
      const cases: { body?: unknown; rawBody?: string }[] = [
        { body: { ids: [] } },
        { body: { ids: [0] } },
        { body: { ids: [1.5] } },
        { body: { ids: ['1'] } },
        { body: { ids: [1e20] } },
        { body: { ids: '1,2' } },
        { body: { ids: [1], extra: 1 } },
        { body: {} },
        { body: { ids: Array.from({ length: 1001 }, (_, i) => i + 1) } },
        { rawBody: '{"ids": [1,' },
      ];
      for (const c of cases) {
        const res = await call<Problem>(h.httpUrl, 'POST', '/produtos/consulta', {
          ...(c.rawBody === undefined ? { body: c.body } : { rawBody: c.rawBody }),
          headers: { 'content-type': 'application/json' },
        });
        const label = c.rawBody ?? JSON.stringify(c.body).slice(0, 60);
        assert.equal(res.status, 400, label);
        assert.match(String(res.headers['content-type']), /application\/problem\+json/, label);
      }
    });
  });
}
