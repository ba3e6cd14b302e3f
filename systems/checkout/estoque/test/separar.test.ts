import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SeparacaoValue } from '@dslab/checkout-contracts';
import { raceReplays } from '@dslab/checkout-kit/testing';
import { call, countByStatus, ENGINES, race } from '@dslab/testing';
import {
  operacoes,
  operacoesDo,
  separar,
  startEstoque,
  stockOf,
  stocksOf,
  type Harness,
  type Problem,
} from './support.js';

/** Generous budget: 1,000 requests queue for ten database connections on a 2-core machine. */
const SLOW = { 'x-timeout-ms': '50000' };

for (const engine of ENGINES) {
  describe(`estoque separar (${engine})`, () => {
    let h: Harness;

    before(async () => {
      h = await startEstoque(engine, {
        100: 10,
        200: 5,
        201: 1,
        202: 3,
        300: 20,
        400: 7,
      });
    });
    after(async () => {
      await h.close();
    });

    test('when 1,000 buyers race for 10 units, then exactly 10 are sold, 990 are refused and the stock ends at 0', async () => {
      const first = 10_000;
      const responses = await race<SeparacaoValue & Problem>(
        h.httpUrl,
        Array.from({ length: 1000 }, (_, i) => ({
          method: 'POST' as const,
          path: '/estoque/separar',
          headers: SLOW,
          body: { pedido_id: first + i, itens: [{ produto_id: 100, quantidade: 1 }] },
        })),
      );
      assert.deepEqual(countByStatus(responses), { 201: 10, 409: 990 });
      const winners = responses.filter((r) => r.status === 201).map((r) => first + r.index);
      for (const r of responses) {
        if (r.status === 201) {
          assert.equal(r.body.status, 'separado');
          assert.deepEqual(r.body.itens, [{ produto_id: 100, quantidade: 1 }]);
        } else {
          assert.equal(r.body.code, 'insufficient-stock');
          assert.deepEqual(r.body.faltas, [{ produto_id: 100, solicitado: 1, disponivel: 0 }]);
          assert.match(String(r.headers['content-type']), /application\/problem\+json/);
        }
      }

      assert.equal(await stockOf(h.database, 100), 0);
      const reservas = await h.database.db
        .selectFrom('reservas')
        .select(['pedido_id', 'status'])
        .where('pedido_id', '>=', first)
        .where('pedido_id', '<', first + 1000)
        .orderBy('pedido_id')
        .execute();
      assert.deepEqual(
        reservas.map((r) => r.pedido_id),
        winners.sort((a, b) => a - b),
      );
      assert.ok(reservas.every((r) => r.status === 'separado'));
      const reserved = await h.database.db
        .selectFrom('reserva_itens')
        .select((eb) => eb.fn.sum<number>('reservado').as('total'))
        .where('produto_id', '=', 100)
        .executeTakeFirstOrThrow();
      assert.equal(reserved.total, 10);

      const ops = (await operacoes(h.database)).filter(
        (o) => o.pedido_id !== null && o.pedido_id >= first && o.pedido_id < first + 1000,
      );
      const separados = ops.filter((o) => o.operacao === 'estoque_separado');
      const insuficientes = ops.filter((o) => o.operacao === 'estoque_insuficiente');
      assert.equal(ops.length, 1000);
      assert.deepEqual(
        separados.map((o) => o.pedido_id).sort((a, b) => (a ?? 0) - (b ?? 0)),
        winners,
      );
      assert.equal(insuficientes.length, 990);
      assert.equal(new Set(insuficientes.map((o) => o.pedido_id)).size, 990);
      assert.equal(
        insuficientes[0]?.mensagem,
        `Estoque insuficiente para o pedido ${insuficientes[0]?.pedido_id}: produto 100 (solicitado 1, disponível 0)`,
      );
      assert.equal(
        h.lines.filter((l) => l.startsWith('WARNING:') && l.includes('Estoque insuficiente')).length,
        990,
      );
    });

    test('when one line of a multi-line order is short, then nothing is taken from the other lines and every short line is named', async () => {
      const res = await separar<Problem>(h, 20_001, [
        { produto_id: 200, quantidade: 2 },
        { produto_id: 201, quantidade: 2 },
        { produto_id: 202, quantidade: 1 },
        { produto_id: 999, quantidade: 1 },
      ]);
      assert.equal(res.status, 409);
      assert.equal(res.body.code, 'insufficient-stock');
      assert.deepEqual(res.body.faltas, [
        { produto_id: 201, solicitado: 2, disponivel: 1 },
        { produto_id: 999, solicitado: 1, disponivel: 0 },
      ]);
      assert.match(res.body.detail, /produto 201 \(solicitado 2, disponível 1\); produto 999/);
      assert.deepEqual(await stocksOf(h.database, [200, 201, 202]), [5, 1, 3]);
      const reserva = await h.database.db
        .selectFrom('reservas')
        .selectAll()
        .where('pedido_id', '=', 20_001)
        .executeTakeFirst();
      assert.equal(reserva, undefined);
      const ops = (await operacoes(h.database)).filter((o) => o.pedido_id === 20_001);
      assert.deepEqual(
        ops.map((o) => [o.operacao, o.mensagem]),
        [
          [
            'estoque_insuficiente',
            'Estoque insuficiente para o pedido 20001: produto 201 (solicitado 2, disponível 1); produto 999 (solicitado 1, disponível 0)',
          ],
        ],
      );
    });

    test('when the order fits, then every line is taken, lines of one product are summed, and the operation is recorded', async () => {
      const res = await separar(h, 20_002, [
        { produto_id: 202, quantidade: 1 },
        { produto_id: 200, quantidade: 1 },
        { produto_id: 202, quantidade: 1 },
      ]);
      assert.equal(res.status, 201);
      assert.deepEqual(res.body, {
        pedido_id: 20_002,
        status: 'separado',
        itens: [
          { produto_id: 200, quantidade: 1 },
          { produto_id: 202, quantidade: 2 },
        ],
        mensagem: 'Estoque separado para o pedido 20002: 2 produto(s), 3 unidade(s)',
      });
      assert.deepEqual(await stocksOf(h.database, [200, 202]), [4, 1]);
      assert.deepEqual(await operacoesDo(h.database, 20_002), ['estoque_separado']);
      assert.ok(h.lines.some((l) => l.startsWith('INFO:') && l.includes(res.body.mensagem)));

      const again = await separar(h, 20_002, [
        { produto_id: 200, quantidade: 1 },
        { produto_id: 202, quantidade: 2 },
      ]);
      assert.equal(again.status, 200, 'the same items, written differently, are a replay');
      assert.deepEqual(again.body, res.body);

      const other = await separar<Problem>(h, 20_002, [{ produto_id: 200, quantidade: 2 }]);
      assert.equal(other.status, 409);
      assert.equal(other.body.code, 'reservation-conflict');
      assert.deepEqual(await stocksOf(h.database, [200, 202]), [4, 1]);
      assert.equal((await operacoesDo(h.database, 20_002)).length, 1);
    });

    test('when one order is retried 30 times at once, then it holds one reservation and every answer is the same', async () => {
      const body = { pedido_id: 30_000, itens: [{ produto_id: 300, quantidade: 4 }] };
      await raceReplays<SeparacaoValue>(
        h.httpUrl,
        { method: 'POST', path: '/estoque/separar', headers: SLOW, body },
        30,
      );
      assert.equal(await stockOf(h.database, 300), 16);
      const lines = await h.database.db
        .selectFrom('reserva_itens')
        .selectAll()
        .where('pedido_id', '=', 30_000)
        .execute();
      assert.deepEqual(lines, [{ pedido_id: 30_000, produto_id: 300, reservado: 4, liberado: 0 }]);
      assert.deepEqual(await operacoesDo(h.database, 30_000), ['estoque_separado']);
    });

    test('when the body is malformed, mistyped, huge or incomplete, then the answer is a 400 problem naming the field, never a 500', async () => {
      const cases: { body?: unknown; rawBody?: string; field?: string; code?: string }[] = [
        { rawBody: '{"pedido_id": 1, "itens": [', code: 'malformed-json' },
        { body: { pedido_id: '1', itens: [{ produto_id: 400, quantidade: 1 }] }, field: 'pedido_id' },
        { body: { pedido_id: 1e20, itens: [{ produto_id: 400, quantidade: 1 }] }, field: 'pedido_id' },
        { body: { pedido_id: 0, itens: [{ produto_id: 400, quantidade: 1 }] }, field: 'pedido_id' },
        {
          body: { pedido_id: 1, itens: [{ produto_id: 400, quantidade: 1_000_000 }] },
          field: 'itens[0].quantidade',
        },
        { body: { pedido_id: 1, itens: [{ produto_id: 400, quantidade: 0 }] }, field: 'itens[0].quantidade' },
        { body: { pedido_id: 1, itens: [{ produto_id: 400, quantidade: 1.5 }] }, field: 'quantidade' },
        { body: { pedido_id: 1, itens: [] }, field: 'itens' },
        { body: { pedido_id: 1 }, field: 'itens' },
        { body: { pedido_id: 1, itens: [{ produto_id: 400, quantidade: 1 }], extra: true }, field: 'extra' },
        {
          body: {
            pedido_id: 1,
            itens: Array.from({ length: 51 }, (_, i) => ({ produto_id: i + 1, quantidade: 1 })),
          },
          field: 'itens',
        },
      ];
      for (const c of cases) {
        const res = await call<Problem>(h.httpUrl, 'POST', '/estoque/separar', {
          ...(c.rawBody === undefined ? { body: c.body } : { rawBody: c.rawBody }),
          headers: { 'content-type': 'application/json' },
        });
        const label = c.rawBody ?? JSON.stringify(c.body).slice(0, 80);
        assert.equal(res.status, 400, label);
        assert.match(String(res.headers['content-type']), /application\/problem\+json/, label);
        assert.equal(res.body.code, c.code ?? 'validation-failed', label);
        if (c.field !== undefined)
          assert.ok(
            (res.body.errors ?? []).some((e) => e.field.includes(c.field ?? '')),
            `${label}: ${JSON.stringify(res.body.errors)}`,
          );
      }
      const bad = await separar<Problem>(h, 1, [{ produto_id: 400, quantidade: 1 }], {
        'x-timeout-ms': 'soon',
      });
      assert.equal(bad.status, 400);
      assert.equal(await stockOf(h.database, 400), 7);
      assert.deepEqual(await operacoesDo(h.database, 1), []);
    });
  });
}
