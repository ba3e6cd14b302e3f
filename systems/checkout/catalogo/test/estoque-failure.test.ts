import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGrpcEstoqueClient, createRestEstoqueClient } from '@dslab/checkout-clients';
import type { EstoquePort, ProdutoInfoValue } from '@dslab/checkout-contracts';
import { buildApp as buildEstoque, type EstoqueApp } from '@dslab/checkout-estoque';
import type { Dataset } from '@dslab/checkout-datagen';
import { startTestService, type Problem, type TestService } from '@dslab/checkout-kit/testing';
import { AppError } from '@dslab/errors';
import { call, ENGINES } from '@dslab/testing';
import {
  operacoes,
  seedListing,
  smallDataset,
  startCatalogo,
  startStock,
  type Harness,
  type Stock,
} from './support.js';

/** An estoque that always fails with `error`. */
function failingEstoque(error: () => Error): EstoquePort {
  const fail = () => Promise.reject(error());
  return { separar: fail, liberar: fail, consultar: fail };
}

for (const engine of ENGINES) {
  describe(`catalogo when estoque fails (${engine})`, () => {
    const dataset: Dataset = smallDataset();

    for (const [name, error, status, code] of [
      [
        'unavailable',
        () => new AppError('unavailable', 'estoque is unavailable: connect ECONNREFUSED'),
        503,
        'unavailable',
      ],
      [
        'timeout',
        () => new AppError('timeout', 'estoque did not answer before the deadline'),
        504,
        'timeout',
      ],
      ['broken', () => new TypeError('boom'), 503, 'unavailable'],
      ['refusing', () => new AppError('validation-failed', 'produto_ids[0] is bad'), 503, 'unavailable'],
    ] as const)
      test(`when estoque is ${name}, then the listing answers ${status} problem+json with a clear message, never a 500`, async () => {
        const h = await startCatalogo(engine, dataset, failingEstoque(error));
        try {
          for (const path of ['/produtos', '/produtos?disponivel=true', '/produtos/1']) {
            const res = await call<Problem>(h.httpUrl, 'GET', path);
            assert.equal(res.status, status, path);
            assert.match(String(res.headers['content-type']), /application\/problem\+json/);
            assert.equal(res.body.code, code);
            assert.match(res.body.detail, /estoque/);
          }
          assert.equal(
            (await operacoes(h.database)).filter((o) => o.operacao === 'produtos_listados').length,
            0,
            'a failed listing is not recorded as done',
          );
          const prices = await call(h.httpUrl, 'POST', '/produtos/consulta', { body: { ids: [1] } });
          assert.equal(prices.status, 200, 'pricing does not need estoque');
        } finally {
          await h.close();
        }
      });
  });

  describe(`catalogo over estoque's real clients (${engine})`, () => {
    const dataset: Dataset = smallDataset();
    let stock: Stock;
    let estoque: TestService<EstoqueApp>;

    before(async () => {
      stock = await startStock(engine, dataset);
      estoque = await startTestService('estoque', (logger) =>
        buildEstoque({ database: stock.database, logger }),
      );
    });
    after(async () => {
      await stock.dispose();
    });

    test('when estoque is reached over REST and gRPC, then the listing is the same; when it stops, then 503', async () => {
      const rest = createRestEstoqueClient(estoque.httpUrl);
      const grpc = createGrpcEstoqueClient(estoque.grpcAddress);
      const viaRest: Harness = await startCatalogo(engine, dataset, rest);
      const viaGrpc: Harness = await startCatalogo(engine, dataset, grpc);
      try {
        for (const h of [viaRest, viaGrpc]) {
          const res = await call<ProdutoInfoValue[]>(h.httpUrl, 'GET', '/produtos');
          assert.equal(res.status, 200);
          assert.deepEqual(res.body, seedListing(dataset));
        }
        await estoque.close();
        for (const h of [viaRest, viaGrpc]) {
          const res = await call<Problem>(h.httpUrl, 'GET', '/produtos');
          assert.equal(res.status, 503);
          assert.equal(res.body.code, 'unavailable');
          assert.match(res.body.detail, /estoque/);
        }
      } finally {
        await viaRest.close();
        await viaGrpc.close();
        await rest.close();
        await grpc.close();
      }
    });
  });
}
