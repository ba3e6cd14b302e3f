import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  EstoqueClient,
  StatusSeparacao,
  type ConsultarEstoqueResponse,
  type LiberarEstoqueResponse,
  type SepararEstoqueRequest,
  type SepararEstoqueResponse,
} from '@dslab/checkout-contracts';
import { callArgs, expectInvalidArgument, grpcOutcome } from '@dslab/checkout-kit/testing';
import { ENGINES } from '@dslab/testing';
import { operacoesDo, startEstoque, stockOf, stocksOf, unary, type Harness } from './support.js';

for (const engine of ENGINES) {
  describe(`estoque over gRPC (${engine})`, () => {
    let h: Harness;
    let client: EstoqueClient;

    const separar = (request: SepararEstoqueRequest) =>
      unary<SepararEstoqueResponse>((cb) => client.separarEstoque(request, ...callArgs(), cb));
    const rawSeparar = (request: SepararEstoqueRequest) =>
      grpcOutcome<SepararEstoqueResponse>((cb) => client.separarEstoque(request, ...callArgs(), cb));
    const liberar = (pedido_id: number, motivo: string) =>
      unary<LiberarEstoqueResponse>((cb) => client.liberarEstoque({ pedido_id, motivo }, ...callArgs(), cb));

    before(async () => {
      h = await startEstoque(engine, { 1: 5, 2: 2 });
      client = h.connect(EstoqueClient);
    });
    after(() => h.close());

    test('when an order fits, then SepararEstoque reserves it, a retry answers the same, and LiberarEstoque gives it back', async () => {
      const request = {
        pedido_id: 900,
        itens: [
          { produto_id: 2, quantidade: 1 },
          { produto_id: 1, quantidade: 2 },
        ],
      };
      const first = await separar(request);
      assert.deepEqual(first, {
        pedido_id: 900,
        status: StatusSeparacao.STATUS_SEPARACAO_SEPARADO,
        mensagem: 'Estoque separado para o pedido 900: 2 produto(s), 3 unidade(s)',
        itens: [
          { produto_id: 1, quantidade: 2 },
          { produto_id: 2, quantidade: 1 },
        ],
      });
      assert.deepEqual(await separar(request), first);
      assert.deepEqual(await stocksOf(h.database, [1, 2]), [3, 1]);

      const saldos = await unary<ConsultarEstoqueResponse>((cb) =>
        client.consultarEstoque({ produto_ids: [2, 1] }, ...callArgs(), cb),
      );
      assert.deepEqual(saldos.saldos, [
        { produto_id: 1, quantidade_disponivel: 3 },
        { produto_id: 2, quantidade_disponivel: 1 },
      ]);

      const released = await liberar(900, 'nota fiscal recusada');
      assert.equal(released.status, StatusSeparacao.STATUS_SEPARACAO_LIBERADO);
      assert.deepEqual(released.itens, first.itens);
      assert.deepEqual(await stocksOf(h.database, [1, 2]), [5, 2]);
      assert.deepEqual(await operacoesDo(h.database, 900), ['estoque_separado', 'estoque_liberado']);
    });

    test('when the stock is short, then FAILED_PRECONDITION carries the insufficient-stock problem with its faltas', async () => {
      const request = { pedido_id: 901, itens: [{ produto_id: 2, quantidade: 3 }] };
      const { code, problem } = await rawSeparar(request);
      assert.equal(code, grpc.status.FAILED_PRECONDITION);
      assert.equal(problem?.code, 'insufficient-stock');
      assert.deepEqual(problem.faltas, [{ produto_id: 2, solicitado: 3, disponivel: 2 }]);
      await assert.rejects(separar(request), (e: unknown) => {
        const appError = e as { code: string; extensions: Record<string, unknown> };
        assert.equal(appError.code, 'insufficient-stock');
        assert.deepEqual(appError.extensions.faltas, [{ produto_id: 2, solicitado: 3, disponivel: 2 }]);
        return true;
      });
      assert.equal(await stockOf(h.database, 2), 2);
    });

    test('when a request has proto3 defaults (pedido_id 0, no items), then INVALID_ARGUMENT names the fields', async () => {
      expectInvalidArgument(await rawSeparar({ pedido_id: 0, itens: [] }), ['pedido_id', 'itens']);
      const zeroQty = await rawSeparar({ pedido_id: 902, itens: [{ produto_id: 1, quantidade: 0 }] });
      assert.equal(zeroQty.code, grpc.status.INVALID_ARGUMENT);
      const release = await grpcOutcome<LiberarEstoqueResponse>((cb) =>
        client.liberarEstoque({ pedido_id: 0, motivo: '' }, ...callArgs(), cb),
      );
      assert.equal(release.code, grpc.status.INVALID_ARGUMENT);
      const query = await grpcOutcome<ConsultarEstoqueResponse>((cb) =>
        client.consultarEstoque({ produto_ids: [-1] }, ...callArgs(), cb),
      );
      assert.equal(query.code, grpc.status.INVALID_ARGUMENT);
    });

    test('when an unknown order is released over gRPC, then a late SepararEstoque is refused with reservation-conflict', async () => {
      const released = await liberar(903, '');
      assert.equal(released.status, StatusSeparacao.STATUS_SEPARACAO_LIBERADO);
      const { code, problem } = await rawSeparar({
        pedido_id: 903,
        itens: [{ produto_id: 1, quantidade: 1 }],
      });
      assert.equal(code, grpc.status.FAILED_PRECONDITION);
      assert.equal(problem?.code, 'reservation-conflict');
      assert.equal(await stockOf(h.database, 1), 5);
    });
  });
}
