import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { MetodoPagamento, type PagamentoValue } from '@dslab/checkout-contracts';
import { operationsOf } from '@dslab/checkout-kit';
import { raceReplays } from '@dslab/checkout-kit/testing';
import { ENGINES, race } from '@dslab/testing';
import { FAST, paymentRows, startFreshPagamentos, type Running } from './harness.js';

const N = 50;

for (const engine of ENGINES) {
  describe(`pagamentos under racing requests (${engine})`, () => {
    let svc: Running;
    before(async () => {
      // Half the payments rejected: the race must not depend on the outcome.
      svc = await startFreshPagamentos(engine, {
        simulator: { ...FAST, rejectionProbability: 0.5 },
        seed: 11,
      });
    });
    after(() => svc.close());

    test(`when ${N} identical POST /pagamentos race for one order, then exactly one payment exists, one is 201 and all ${N} answers are equal`, async () => {
      const [first] = await raceReplays<PagamentoValue>(
        svc.httpUrl,
        {
          method: 'POST',
          path: '/pagamentos',
          body: { pedido_id: 700, valor_centavos: 4_990, metodo: 'pix' },
          headers: { 'idempotency-key': 'pedido-700' },
        },
        N,
      );
      const rows = await paymentRows(svc.database, 700);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.id, first?.body.pagamento_id);
      assert.equal((await operationsOf(svc.database.db, 700)).length, 1);
    });

    test(`when ${N} identical ProcessarPagamento calls race for one order, then exactly one payment exists and all ${N} answers are equal`, async () => {
      const answers = await Promise.all(
        Array.from({ length: N }, () =>
          svc.processar({
            pedido_id: 701,
            valor_centavos: 12_000,
            metodo: MetodoPagamento.METODO_PAGAMENTO_BOLETO,
            idempotency_key: 'pedido-701',
          }),
        ),
      );
      for (const a of answers) {
        assert.equal(a.code, grpc.status.OK);
        assert.deepEqual(a.response, answers[0]?.response);
      }
      assert.equal((await paymentRows(svc.database, 701)).length, 1);
      assert.equal((await operationsOf(svc.database.db, 701)).length, 1);
    });

    test('when charges, refunds and retries of many orders interleave, then every order has at most one payment, refunds happen once, and every change has its operation', async () => {
      const orders = Array.from({ length: 20 }, (_, i) => 800 + i);
      const requests = orders.flatMap((id) => [
        {
          method: 'POST' as const,
          path: '/pagamentos',
          body: { pedido_id: id, valor_centavos: 100 + id, metodo: 'pix' },
        },
        {
          method: 'POST' as const,
          path: '/pagamentos',
          body: { pedido_id: id, valor_centavos: 100 + id, metodo: 'pix' },
        },
        { method: 'POST' as const, path: `/pagamentos/${id}/estorno`, body: { motivo: 'compensação' } },
        { method: 'POST' as const, path: `/pagamentos/${id}/estorno`, body: { motivo: 'compensação' } },
      ]);
      const responses = await race(svc.httpUrl, requests);
      for (const r of responses) assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.body));
      for (const id of orders) {
        const rows = await paymentRows(svc.database, id);
        assert.equal(rows.length, 1, `order ${id}`);
        const row = rows[0];
        assert.ok(row !== undefined);
        const ops = (await operationsOf(svc.database.db, id)).map((o) => o.operacao);
        // The refund either voided the order first, or found the charge and refunded it if approved.
        if (row.anulado === 1) assert.deepEqual(ops, ['pagamento_anulado'], `order ${id}`);
        else if (row.status === 'estornado')
          assert.deepEqual(ops, ['pagamento_aprovado', 'pagamento_estornado']);
        else {
          assert.equal(row.status, 'rejeitado', `order ${id}`);
          assert.deepEqual(ops, ['pagamento_rejeitado'], `order ${id}`);
        }
      }
    });
  });
}
