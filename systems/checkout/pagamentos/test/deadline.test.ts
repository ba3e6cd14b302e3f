import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { StatusPagamento, type PagamentoValue } from '@dslab/checkout-contracts';
import { operationsOf } from '@dslab/checkout-kit';
import { call, ENGINES } from '@dslab/testing';
import { okResponse, paymentRows, startFreshPagamentos, type Running } from './harness.js';

/** A simulator slower than the request's budget. */
const SLOW = { minMs: 2000, maxMs: 2000, rejectionProbability: 0 };

for (const engine of ENGINES) {
  describe(`pagamentos and request deadlines (${engine})`, () => {
    let svc: Running;
    before(async () => {
      svc = await startFreshPagamentos(engine, { simulator: SLOW, seed: 5 });
    });
    after(() => svc.close());

    test('when the simulated processing (2 s) outlasts x-timeout-ms 300, then 504 comes before the processing ends, the payment stays recorded, and a retry gets it', async () => {
      const body = { pedido_id: 900, valor_centavos: 3000, metodo: 'pix' };
      const res = await call<{ code: string; pronto_em: string }>(svc.httpUrl, 'POST', '/pagamentos', {
        body,
        headers: { 'x-timeout-ms': '300' },
      });
      const answeredAt = Date.now();
      assert.equal(res.status, 504, res.text);
      assert.equal(res.body.code, 'timeout');
      const [row] = await paymentRows(svc.database, 900);
      assert.ok(row !== undefined, 'the decision is stored before the wait');
      assert.ok(answeredAt < Date.parse(row.pronto_em), 'answered before the simulated processing ended');
      assert.equal((await operationsOf(svc.database.db, 900)).length, 1);

      const retry = await call<PagamentoValue>(svc.httpUrl, 'POST', '/pagamentos', {
        body,
        headers: { 'x-timeout-ms': '5000' },
      });
      assert.ok(Date.now() >= Date.parse(row.pronto_em), 'the retry waited for the same instant');
      assert.equal(retry.status, 200, retry.text);
      assert.equal(retry.body.pagamento_id, row.id);
      assert.equal(retry.body.status, 'aprovado');
      assert.equal(retry.body.data_processamento, row.pronto_em);
      assert.equal((await paymentRows(svc.database, 900)).length, 1);
      assert.equal((await operationsOf(svc.database.db, 900)).length, 1);
    });

    test('when the gRPC deadline (300 ms) is shorter than the processing, then DEADLINE_EXCEEDED, and a later call answers the stored payment', async () => {
      const request = { pedido_id: 901, valor_centavos: 4000, idempotency_key: 'pedido-901' };
      const first = await svc.processar(request, 300);
      assert.equal(first.code, grpc.status.DEADLINE_EXCEEDED);
      const [row] = await paymentRows(svc.database, 901);
      assert.ok(row !== undefined);
      const later = await svc.processar(request, 5000);
      const answer = okResponse(later);
      assert.equal(answer.pagamento_id, row.id);
      assert.equal(answer.status, StatusPagamento.STATUS_PAGAMENTO_APROVADO);
      assert.equal((await paymentRows(svc.database, 901)).length, 1);
    });

    test('when a refund lands while the charge is still in its simulated processing, then the waiting charge answers estornado with sucesso false', async () => {
      const body = { pedido_id: 902, valor_centavos: 5000, metodo: 'boleto' };
      const charging = call<PagamentoValue>(svc.httpUrl, 'POST', '/pagamentos', { body });
      // Wait until the decision is stored, then refund before the processing ends.
      for (let i = 0; i < 200 && (await paymentRows(svc.database, 902)).length === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      const refund = await call<{ status: string }>(svc.httpUrl, 'POST', '/pagamentos/902/estorno', {
        body: { motivo: 'cliente desistiu' },
      });
      assert.equal(refund.body.status, 'estornado');
      const charged = await charging;
      assert.equal(charged.status, 201, charged.text);
      assert.equal(charged.body.status, 'estornado');
      assert.equal(charged.body.sucesso, false);
      assert.deepEqual(
        (await operationsOf(svc.database.db, 902)).map((o) => o.operacao),
        ['pagamento_aprovado', 'pagamento_estornado'],
      );
    });
  });
}
