import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SaldoValue, SeparacaoValue } from '@dslab/checkout-contracts';
import { testContext } from '@dslab/checkout-kit/testing';
import { call, countByStatus, ENGINES, race } from '@dslab/testing';
import {
  liberar,
  operacoes,
  operacoesDo,
  separar,
  startEstoque,
  stockOf,
  stocksOf,
  type Harness,
  type Problem,
} from './support.js';

for (const engine of ENGINES) {
  describe(`estoque liberar and consultar (${engine})`, () => {
    let h: Harness;

    before(async () => {
      h = await startEstoque(engine, { 1: 10, 2: 4, 3: 0, 5: 8, 6: 6, 7: 100 });
    });
    after(async () => {
      await h.close();
    });

    test('when an order is released twice, then its stock comes back once and the second release gives nothing', async () => {
      const itens = [
        { produto_id: 1, quantidade: 3 },
        { produto_id: 2, quantidade: 1 },
      ];
      const separado = await separar(h, 501, itens);
      assert.equal(separado.status, 201);
      assert.deepEqual(await stocksOf(h.database, [1, 2]), [7, 3]);

      const first = await liberar(h, 501, 'pagamento estornado');
      assert.equal(first.status, 200);
      assert.deepEqual(first.body, {
        pedido_id: 501,
        status: 'liberado',
        itens: [
          { produto_id: 1, quantidade: 3 },
          { produto_id: 2, quantidade: 1 },
        ],
        mensagem:
          'Estoque liberado para o pedido 501: 2 produto(s), 4 unidade(s) devolvida(s) (motivo: pagamento estornado)',
      });
      assert.deepEqual(await stocksOf(h.database, [1, 2]), [10, 4]);

      const second = await liberar(h, 501, 'de novo');
      assert.equal(second.status, 200);
      assert.equal(second.body.status, 'liberado');
      assert.deepEqual(second.body.itens, []);
      assert.deepEqual(await stocksOf(h.database, [1, 2]), [10, 4]);

      const linhas = await h.database.db
        .selectFrom('reserva_itens')
        .select(['produto_id', 'reservado', 'liberado'])
        .where('pedido_id', '=', 501)
        .orderBy('produto_id')
        .execute();
      assert.deepEqual(linhas, [
        { produto_id: 1, reservado: 3, liberado: 3 },
        { produto_id: 2, reservado: 1, liberado: 1 },
      ]);
      const reserva = await h.database.db
        .selectFrom('reservas')
        .select(['status', 'motivo'])
        .where('pedido_id', '=', 501)
        .executeTakeFirstOrThrow();
      assert.deepEqual(reserva, { status: 'liberado', motivo: 'pagamento estornado' });
      assert.deepEqual(await operacoesDo(h.database, 501), ['estoque_separado', 'estoque_liberado']);

      const again = await separar<Problem>(h, 501, itens);
      assert.equal(again.status, 409, 'a released order is never separated again');
      assert.equal(again.body.code, 'reservation-conflict');
      assert.match(again.body.detail, /já teve o estoque liberado/);
      assert.deepEqual(await stocksOf(h.database, [1, 2]), [10, 4]);
    });

    test('when 20 releases of one order race, then the stock comes back exactly once', async () => {
      await h.app.service.separar(
        { pedido_id: 502, itens: [{ produto_id: 5, quantidade: 5 }] },
        testContext(),
      );
      assert.equal(await stockOf(h.database, 5), 3);
      const responses = await race<SeparacaoValue>(
        h.httpUrl,
        Array.from({ length: 20 }, () => ({
          method: 'POST' as const,
          path: '/estoque/liberar',
          body: { pedido_id: 502, motivo: 'cancelado' },
        })),
      );
      assert.deepEqual(countByStatus(responses), { 200: 20 });
      assert.equal(
        responses.filter((r) => r.body.itens.length === 1).length,
        1,
        'one release gave the units back',
      );
      assert.equal(await stockOf(h.database, 5), 8);
      assert.deepEqual(await operacoesDo(h.database, 502), ['estoque_separado', 'estoque_liberado']);
    });

    test('when the separar and the release of the same 50 orders race, then no order ends holding stock and the stock is whole again', async () => {
      const pedidos = Array.from({ length: 50 }, (_, i) => 600 + i);
      const responses = await race<SeparacaoValue & Problem>(
        h.httpUrl,
        pedidos.flatMap((pedido_id) => [
          {
            method: 'POST' as const,
            path: '/estoque/separar',
            body: { pedido_id, itens: [{ produto_id: 7, quantidade: 1 + (pedido_id % 3) }] },
          },
          { method: 'POST' as const, path: '/estoque/liberar', body: { pedido_id, motivo: 'corrida' } },
        ]),
      );
      for (const r of responses)
        assert.ok(
          r.status === 200 ||
            r.status === 201 ||
            (r.status === 409 && r.body.code === 'reservation-conflict'),
          `${r.status} ${JSON.stringify(r.body)}`,
        );
      assert.equal(await stockOf(h.database, 7), 100);
      const reservas = await h.database.db
        .selectFrom('reservas')
        .select(['pedido_id', 'status'])
        .where('pedido_id', '>=', 600)
        .where('pedido_id', '<', 650)
        .execute();
      assert.equal(reservas.length, 50);
      assert.ok(reservas.every((r) => r.status === 'liberado'));
      const held = await h.database.db
        .selectFrom('reserva_itens')
        .select(['reservado', 'liberado'])
        .where('pedido_id', '>=', 600)
        .where('pedido_id', '<', 650)
        .execute();
      assert.ok(held.every((l) => l.liberado === l.reservado));
      const separados = responses.filter((r) => r.status === 201).length;
      assert.equal(held.length, separados, 'one reservation line per separar that won');
    });

    test('when an unknown order is released and its separar arrives late, then the separar is refused and the stock is untouched', async () => {
      const released = await liberar(h, 503, 'tempo esgotado no pedido');
      assert.equal(released.status, 200);
      assert.equal(released.body.status, 'liberado');
      assert.deepEqual(released.body.itens, []);

      const late = await separar<Problem>(h, 503, [{ produto_id: 6, quantidade: 2 }]);
      assert.equal(late.status, 409);
      assert.equal(late.body.code, 'reservation-conflict');
      assert.match(late.body.detail, /o pedido 503 já teve o estoque liberado/);
      assert.equal(await stockOf(h.database, 6), 6);
      const ops = (await operacoes(h.database)).filter((o) => o.pedido_id === 503);
      assert.deepEqual(
        ops.map((o) => o.operacao),
        ['estoque_liberado'],
      );
      assert.deepEqual(JSON.parse(ops[0]?.detalhes ?? '{}'), {
        itens: [],
        motivo: 'tempo esgotado no pedido',
        sem_reserva: true,
      });
    });

    test('when a release is malformed, then it is a 400 problem; a missing motivo is accepted', async () => {
      for (const body of [
        { pedido_id: 0, motivo: 'x' },
        { pedido_id: '7' },
        { pedido_id: 7, motivo: 'x'.repeat(501) },
        { motivo: 'x' },
      ]) {
        const res = await call<Problem>(h.httpUrl, 'POST', '/estoque/liberar', { body });
        assert.equal(res.status, 400, JSON.stringify(body).slice(0, 60));
        assert.equal(res.body.code, 'validation-failed');
      }
      const res = await call<SeparacaoValue>(h.httpUrl, 'POST', '/estoque/liberar', {
        body: { pedido_id: 504 },
      });
      assert.equal(res.status, 200);
    });

    test('when the stock is queried by ids or for everything, then the balances come back in ascending id; unknown ids are absent', async () => {
      const some = await call<SaldoValue[]>(h.httpUrl, 'GET', '/estoque?produto_ids=3,1,99,1');
      assert.equal(some.status, 200);
      assert.deepEqual(some.body, [
        { produto_id: 1, quantidade_disponivel: 10 },
        { produto_id: 3, quantidade_disponivel: 0 },
      ]);
      const all = await call<SaldoValue[]>(h.httpUrl, 'GET', '/estoque');
      assert.deepEqual(
        all.body.map((s) => s.produto_id),
        [1, 2, 3, 5, 6, 7],
      );
      assert.deepEqual(await h.app.service.consultar([], testContext()), all.body);
    });

    test('when the stock query is malformed, then it is a 400 problem naming the bad element', async () => {
      for (const [query, field] of [
        ['produto_ids=1,abc', 'querystring.produto_ids[1]'],
        ['produto_ids=0', 'querystring.produto_ids[0]'],
        ['produto_ids=1,,2', 'querystring.produto_ids[1]'],
        ['produto_ids=99999999999', 'querystring.produto_ids[0]'],
        [`produto_ids=${Array.from({ length: 1001 }, (_, i) => i + 1).join(',')}`, 'querystring.produto_ids'],
        ['ids=1', 'querystring.ids'],
      ] as const) {
        const res = await call<Problem>(h.httpUrl, 'GET', `/estoque?${query}`);
        assert.equal(res.status, 400, query.slice(0, 40));
        assert.equal(res.body.code, 'validation-failed');
        assert.ok(
          (res.body.errors ?? []).some((e) => e.field === field),
          `${query.slice(0, 40)}: ${JSON.stringify(res.body.errors)}`,
        );
      }
      await assert.rejects(h.app.service.consultar([0], testContext()), { code: 'validation-failed' });
    });

    test('when the deadline has already passed, then the call answers timeout and changes nothing', async () => {
      await assert.rejects(
        h.app.service.separar({ pedido_id: 505, itens: [{ produto_id: 6, quantidade: 1 }] }, testContext(-1)),
        { code: 'timeout' },
      );
      await assert.rejects(h.app.service.consultar([], testContext(-1)), { code: 'timeout' });
      assert.equal(await stockOf(h.database, 6), 6);
      assert.deepEqual(await operacoesDo(h.database, 505), []);
    });
  });
}
