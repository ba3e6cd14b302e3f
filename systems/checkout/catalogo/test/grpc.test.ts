import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CatalogoClient,
  type ListaProdutosResponse,
  type ListarProdutosRequest,
  type ObterProdutosResponse,
} from '@dslab/checkout-contracts';
import { callArgs } from '@dslab/checkout-kit/testing';
import { ENGINES } from '@dslab/testing';
import {
  operacoes,
  seedListing,
  smallDataset,
  startCatalogoOverStock,
  type HarnessOverStock,
  unary,
} from './support.js';

for (const engine of ENGINES) {
  describe(`catalogo over gRPC (${engine})`, () => {
    const dataset = smallDataset();
    let h: HarnessOverStock;
    let client: CatalogoClient;

    const listar = (request: ListarProdutosRequest) =>
      unary<ListaProdutosResponse>((cb) => client.listarProdutos(request, ...callArgs(), cb));
    const obter = (ids: number[]) =>
      unary<ObterProdutosResponse>((cb) => client.obterProdutos({ ids }, ...callArgs(), cb));

    before(async () => {
      h = await startCatalogoOverStock(engine, dataset);
      client = h.connect(CatalogoClient);
    });
    after(() => h.close());

    test('when ListarProdutos has the proto3 defaults, then every product comes back with the total', async () => {
      const res = await listar({ somente_em_estoque: false, limit: 0, offset: 0 });
      assert.equal(res.total, 12);
      assert.deepEqual(res.produtos, seedListing(dataset));
    });

    test('when somente_em_estoque is true and a page is asked, then only products in stock, paged, with the filtered total', async () => {
      const res = await listar({ somente_em_estoque: true, limit: 3, offset: 1 });
      assert.equal(res.total, 11);
      assert.deepEqual(
        res.produtos.map((p) => p.id),
        [3, 4, 5],
      );
      const ops = (await operacoes(h.database)).filter((o) => o.operacao === 'produtos_listados');
      assert.deepEqual(ops.at(-1)?.detalhes, {
        filtro: { disponivel: true, limit: 3, offset: 1 },
        total: 11,
      });
    });

    test('when the page is out of bounds, then INVALID_ARGUMENT (validation-failed) names the field', async () => {
      for (const [request, field] of [
        [{ somente_em_estoque: false, limit: 1001, offset: 0 }, 'limit'],
        [{ somente_em_estoque: false, limit: -1, offset: 0 }, 'limit'],
        [{ somente_em_estoque: false, limit: 10, offset: -5 }, 'offset'],
      ] as const)
        await assert.rejects(listar(request), (error: unknown) => {
          const e = error as { code: string; extensions: { errors?: { field: string }[] } };
          assert.equal(e.code, 'validation-failed');
          assert.deepEqual(
            e.extensions.errors?.map((x) => x.field),
            [field],
          );
          return true;
        });
    });

    test('when ObterProdutos names some ids, then the known ones come back priced in id order; no ids is INVALID_ARGUMENT', async () => {
      const res = await obter([5, 2, 404]);
      const listing = seedListing(dataset);
      assert.deepEqual(
        res.produtos,
        [listing[1], listing[4]].map((p) => ({
          id: p?.id,
          nome: p?.nome,
          preco_centavos: p?.preco_centavos,
        })),
      );
      await assert.rejects(obter([]), {
        code: 'validation-failed',
      });
      await assert.rejects(obter([0]), {
        code: 'validation-failed',
      });
    });
  });
}
