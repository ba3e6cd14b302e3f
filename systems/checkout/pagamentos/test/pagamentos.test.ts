import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { MetodoPagamento, StatusPagamento, type PagamentoValue } from '@dslab/checkout-contracts';
import { operationsOf } from '@dslab/checkout-kit';
import { expectInvalidArgument, expectProblems } from '@dslab/checkout-kit/testing';
import { call, ENGINES } from '@dslab/testing';
import { seededRandom } from '@dslab/random';
import { decidePayment, type SimulatorConfig } from '../src/domain/simulator.js';
import { FAST, okResponse, paymentRows, startFreshPagamentos, type Running } from './harness.js';

const PROBLEM = /^application\/problem\+json/;

for (const engine of ENGINES) {
  describe(`pagamentos over REST and gRPC (${engine})`, () => {
    const running: Running[] = [];
    let svc: Running;

    async function start(simulator: SimulatorConfig, seed: number): Promise<Running> {
      const started = await startFreshPagamentos(engine, { simulator, seed });
      running.push(started);
      return started;
    }

    before(async () => {
      svc = await start(FAST, 7);
    });
    after(async () => {
      for (const r of running) await r.close();
    });

    test('when an order is charged over REST, then 201 answers the approved payment and one operation is recorded', async () => {
      const res = await call<PagamentoValue>(svc.httpUrl, 'POST', '/pagamentos', {
        body: { pedido_id: 42, valor_centavos: 12_345, metodo: 'pix' },
        headers: { 'idempotency-key': 'pedido-42' },
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.headers.location, '/pagamentos/42');
      const { pagamento_id, data_processamento, ...rest } = res.body;
      assert.ok(Number.isInteger(pagamento_id) && pagamento_id > 0);
      assert.match(data_processamento, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.deepEqual(rest, {
        pedido_id: 42,
        sucesso: true,
        status: 'aprovado',
        mensagem: 'Pagamento aprovado para o pedido 42 (R$ 123,45, pix)',
        valor_centavos: 12_345,
        metodo: 'pix',
      });
      const ops = await operationsOf(svc.database.db, 42);
      assert.equal(ops.length, 1);
      const [op] = ops;
      assert.ok(op !== undefined);
      assert.equal(op.operacao, 'pagamento_aprovado');
      assert.equal(op.mensagem, 'Pagamento aprovado para o pedido 42 (R$ 123,45, pix)');
      assert.deepEqual(
        { ...(op.detalhes as Record<string, unknown>), latencia_ms: 0, pronto_em: '' },
        {
          valor_centavos: 12_345,
          metodo: 'pix',
          latencia_ms: 0,
          pronto_em: '',
          idempotency_key: 'pedido-42',
        },
      );
      assert.ok(svc.lines.some((l) => l.includes('Pagamento aprovado para o pedido 42 (R$ 123,45, pix)')));

      const read = await call<PagamentoValue>(svc.httpUrl, 'GET', '/pagamentos/42');
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, res.body);
    });

    test('when the same charge is retried (same values, with or without the key), then 200 answers the stored payment and nothing is recorded again', async () => {
      const body = { pedido_id: 43, valor_centavos: 500, metodo: 'boleto' };
      const first = await call<PagamentoValue>(svc.httpUrl, 'POST', '/pagamentos', {
        body,
        headers: { 'idempotency-key': 'k-43' },
      });
      assert.equal(first.status, 201);
      const again = await call<PagamentoValue>(svc.httpUrl, 'POST', '/pagamentos', {
        body,
        headers: { 'idempotency-key': 'k-43' },
      });
      const withoutKey = await call<PagamentoValue>(svc.httpUrl, 'POST', '/pagamentos', { body });
      for (const replay of [again, withoutKey]) {
        assert.equal(replay.status, 200, replay.text);
        assert.deepEqual(replay.body, first.body);
      }
      const grpcReplay = await svc.processar({
        pedido_id: 43,
        valor_centavos: 500,
        metodo: MetodoPagamento.METODO_PAGAMENTO_BOLETO,
      });
      const replayed = okResponse(grpcReplay);
      assert.equal(replayed.pagamento_id, first.body.pagamento_id);
      assert.equal(replayed.status, StatusPagamento.STATUS_PAGAMENTO_APROVADO);
      assert.equal((await operationsOf(svc.database.db, 43)).length, 1);
      assert.equal((await paymentRows(svc.database, 43)).length, 1);
    });

    test('when the same order comes with another valor or metodo, then 422 idempotency-key-reused and the payment is unchanged', async () => {
      const first = await call<PagamentoValue>(svc.httpUrl, 'POST', '/pagamentos', {
        body: { pedido_id: 44, valor_centavos: 1000, metodo: 'pix' },
      });
      assert.equal(first.status, 201);
      for (const body of [
        { pedido_id: 44, valor_centavos: 1001, metodo: 'pix' },
        { pedido_id: 44, valor_centavos: 1000, metodo: 'boleto' },
      ]) {
        const res = await call<{ code: string }>(svc.httpUrl, 'POST', '/pagamentos', { body });
        assert.equal(res.status, 422, res.text);
        assert.match(String(res.headers['content-type']), PROBLEM);
        assert.equal(res.body.code, 'idempotency-key-reused');
      }
      const grpcAnswer = await svc.processar({ pedido_id: 44, valor_centavos: 999 });
      assert.equal(grpcAnswer.code, grpc.status.FAILED_PRECONDITION);
      assert.equal(grpcAnswer.problem?.code, 'idempotency-key-reused');
      const rows = await paymentRows(svc.database, 44);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.valor_centavos, 1000);
    });

    test('when an Idempotency-Key already used by another order comes back, then 422 idempotency-key-reused and no payment is made', async () => {
      const first = await call(svc.httpUrl, 'POST', '/pagamentos', {
        body: { pedido_id: 45, valor_centavos: 700, metodo: 'pix' },
        headers: { 'idempotency-key': 'shared-key' },
      });
      assert.equal(first.status, 201);
      const reused = await call<{ code: string }>(svc.httpUrl, 'POST', '/pagamentos', {
        body: { pedido_id: 46, valor_centavos: 700, metodo: 'pix' },
        headers: { 'idempotency-key': 'shared-key' },
      });
      assert.equal(reused.status, 422);
      assert.equal(reused.body.code, 'idempotency-key-reused');
      const overGrpc = await svc.processar({
        pedido_id: 46,
        valor_centavos: 700,
        idempotency_key: 'shared-key',
      });
      assert.equal(overGrpc.problem?.code, 'idempotency-key-reused');
      assert.deepEqual(await paymentRows(svc.database, 46), []);
      const missing = await call<{ code: string }>(svc.httpUrl, 'GET', '/pagamentos/46');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.code, 'not-found');
    });

    test('when an order is charged over gRPC, then the answer is the seed’s PagamentoResponse with status and centavos', async () => {
      const res = await svc.processar({
        pedido_id: 47,
        valor_centavos: 52_199,
        metodo: MetodoPagamento.METODO_PAGAMENTO_CARTAO_CREDITO,
        idempotency_key: 'pedido-47',
      });
      const { pagamento_id, data_processamento, ...rest } = okResponse(res);
      assert.ok(pagamento_id > 0);
      assert.ok(data_processamento !== undefined);
      assert.deepEqual(rest, {
        pedido_id: 47,
        sucesso: true,
        status: StatusPagamento.STATUS_PAGAMENTO_APROVADO,
        valor_centavos: 52_199,
        metodo: MetodoPagamento.METODO_PAGAMENTO_CARTAO_CREDITO,
        mensagem: 'Pagamento aprovado para o pedido 47 (R$ 521,99, cartao_credito)',
      });
      const [row] = await paymentRows(svc.database, 47);
      assert.equal(row?.idempotency_key, 'pedido-47');
    });

    test('when metodo is UNSPECIFIED over gRPC, then it is charged as cartao_credito', async () => {
      const res = await svc.processar({
        pedido_id: 48,
        valor_centavos: 100,
        metodo: MetodoPagamento.METODO_PAGAMENTO_UNSPECIFIED,
      });
      assert.equal(res.code, grpc.status.OK);
      assert.equal(res.response?.metodo, MetodoPagamento.METODO_PAGAMENTO_CARTAO_CREDITO);
      const rest = await call<PagamentoValue>(svc.httpUrl, 'POST', '/pagamentos', {
        body: { pedido_id: 49, valor_centavos: 100 },
      });
      assert.equal(rest.status, 201);
      assert.equal(rest.body.metodo, 'cartao_credito');
    });

    test('when an approved payment is refunded twice, then it is estornado once, with one operation, and a later charge retry answers estornado', async () => {
      await call(svc.httpUrl, 'POST', '/pagamentos', {
        body: { pedido_id: 50, valor_centavos: 2500, metodo: 'pix' },
      });
      const first = await call<{ pedido_id: number; status: string; mensagem: string }>(
        svc.httpUrl,
        'POST',
        '/pagamentos/50/estorno',
        { body: { motivo: 'estoque insuficiente' } },
      );
      assert.equal(first.status, 200, first.text);
      assert.deepEqual(first.body, {
        pedido_id: 50,
        status: 'estornado',
        mensagem: 'Pagamento do pedido 50 estornado (R$ 25,00, pix): estoque insuficiente',
      });
      const second = await call(svc.httpUrl, 'POST', '/pagamentos/50/estorno', {
        body: { motivo: 'estoque insuficiente' },
      });
      assert.equal(second.status, 200);
      assert.deepEqual(second.body, first.body);
      const overGrpc = await svc.estornar({ pedido_id: 50, motivo: 'de novo' });
      assert.deepEqual(okResponse(overGrpc), {
        pedido_id: 50,
        status: StatusPagamento.STATUS_PAGAMENTO_ESTORNADO,
        mensagem: first.body.mensagem,
      });

      const ops = (await operationsOf(svc.database.db, 50)).map((o) => o.operacao);
      assert.deepEqual(ops, ['pagamento_aprovado', 'pagamento_estornado']);
      const [row] = await paymentRows(svc.database, 50);
      assert.ok(row !== undefined);
      assert.equal(row.status, 'estornado');
      assert.equal(row.motivo_estorno, 'estoque insuficiente');
      assert.ok(row.estornado_em !== null);

      const retry = await call<PagamentoValue>(svc.httpUrl, 'POST', '/pagamentos', {
        body: { pedido_id: 50, valor_centavos: 2500, metodo: 'pix' },
      });
      assert.equal(retry.status, 200);
      assert.equal(retry.body.status, 'estornado');
      assert.equal(retry.body.sucesso, false);
    });

    test('when a refund arrives before any charge, then a void is recorded and the later charge answers sucesso false without charging', async () => {
      const voided = await svc.estornar({ pedido_id: 51, motivo: 'pedido cancelado' });
      assert.deepEqual(okResponse(voided), {
        pedido_id: 51,
        status: StatusPagamento.STATUS_PAGAMENTO_REJEITADO,
        mensagem: 'pagamento anulado antes do processamento',
      });

      const late = await call<PagamentoValue>(svc.httpUrl, 'POST', '/pagamentos', {
        body: { pedido_id: 51, valor_centavos: 9_900, metodo: 'pix' },
        headers: { 'idempotency-key': 'pedido-51' },
      });
      assert.equal(late.status, 200, late.text);
      assert.equal(late.body.sucesso, false);
      assert.equal(late.body.status, 'rejeitado');
      assert.equal(late.body.mensagem, 'pagamento anulado antes do processamento');
      assert.equal(late.body.valor_centavos, 0);
      const lateGrpc = await svc.processar({ pedido_id: 51, valor_centavos: 9_900 });
      assert.equal(okResponse(lateGrpc).sucesso, false);

      const rows = await paymentRows(svc.database, 51);
      assert.deepEqual(
        rows.map((r) => [r.anulado, r.status, r.valor_centavos]),
        [[1, 'rejeitado', 0]],
      );
      assert.deepEqual(
        (await operationsOf(svc.database.db, 51)).map((o) => o.operacao),
        ['pagamento_anulado'],
      );
      const refundAgain = await call<{ status: string }>(svc.httpUrl, 'POST', '/pagamentos/51/estorno', {
        body: { motivo: 'pedido cancelado' },
      });
      assert.equal(refundAgain.status, 200);
      assert.equal(refundAgain.body.status, 'rejeitado');
      assert.equal((await operationsOf(svc.database.db, 51)).length, 1);
    });

    test('when the rejection rate is 1, then every payment is rejected (sucesso false, not an error), and refunding one has nothing to do', async () => {
      const rejecting = await start({ ...FAST, rejectionProbability: 1 }, 3);
      for (let id = 1; id <= 10; id++) {
        const res = await call<PagamentoValue>(rejecting.httpUrl, 'POST', '/pagamentos', {
          body: { pedido_id: id, valor_centavos: 1000, metodo: 'pix' },
        });
        assert.equal(res.status, 201);
        assert.equal(res.body.sucesso, false);
        assert.equal(res.body.status, 'rejeitado');
        assert.equal(res.body.mensagem, `Pagamento rejeitado para o pedido ${id} (R$ 10,00, pix)`);
        assert.deepEqual(
          (await operationsOf(rejecting.database.db, id)).map((o) => o.operacao),
          ['pagamento_rejeitado'],
        );
      }
      const refund = await call<{ status: string }>(rejecting.httpUrl, 'POST', '/pagamentos/1/estorno', {
        body: { motivo: 'teste' },
      });
      assert.equal(refund.body.status, 'rejeitado');
      assert.equal((await operationsOf(rejecting.database.db, 1)).length, 1);
    });

    test('when the rejection rate is 0, then every payment is approved', async () => {
      for (let id = 100; id < 110; id++) {
        const res = await svc.processar({ pedido_id: id, valor_centavos: 1 });
        assert.equal(res.response?.sucesso, true);
      }
    });

    test('when two services run with the same PAGAMENTO_SEED, then they decide the same sequence (the domain’s decisions from that seed); another seed decides differently', async () => {
      const simulator: SimulatorConfig = { minMs: 0, maxMs: 5, rejectionProbability: 0.5 };
      const a = await start(simulator, 2025);
      const b = await start(simulator, 2025);
      const c = await start(simulator, 2026);
      const run = async (s: Running) => {
        const decisions: { status: string; latencia_ms: number | null }[] = [];
        for (let id = 1; id <= 30; id++) {
          const res = await s.processar({ pedido_id: id, valor_centavos: 100 });
          assert.equal(res.code, grpc.status.OK);
          // A replay draws nothing: the sequence stays the seed's.
          await s.processar({ pedido_id: id, valor_centavos: 100 });
          const [row] = await paymentRows(s.database, id);
          decisions.push({ status: row?.status ?? '', latencia_ms: row?.latencia_ms ?? null });
        }
        return decisions;
      };
      const fromA = await run(a);
      assert.deepEqual(await run(b), fromA);
      assert.notDeepEqual(await run(c), fromA);
      const random = seededRandom(2025);
      const expected = Array.from({ length: 30 }, () => {
        const d = decidePayment(simulator, random);
        return { status: d.status, latencia_ms: d.latencyMs };
      });
      assert.deepEqual(fromA, expected);
    });

    test('when the input is bad, then REST answers a 4xx problem+json naming the field, never a 500', async () => {
      const cases: {
        name: string;
        body?: unknown;
        rawBody?: string;
        headers?: Record<string, string>;
        status: number;
        code: string;
      }[] = [
        { name: 'malformed JSON', rawBody: '{"pedido_id": 1,', status: 400, code: 'malformed-json' },
        {
          name: 'negative valor',
          body: { pedido_id: 1, valor_centavos: -1, metodo: 'pix' },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'zero valor',
          body: { pedido_id: 1, valor_centavos: 0, metodo: 'pix' },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'fractional valor',
          body: { pedido_id: 1, valor_centavos: 1.5, metodo: 'pix' },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'valor as a string',
          body: { pedido_id: 1, valor_centavos: '100', metodo: 'pix' },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'huge valor',
          body: { pedido_id: 1, valor_centavos: 1e30, metodo: 'pix' },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'huge pedido_id',
          body: { pedido_id: 2 ** 31, valor_centavos: 1, metodo: 'pix' },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'unknown metodo',
          body: { pedido_id: 1, valor_centavos: 1, metodo: 'cheque' },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'unknown field',
          body: { pedido_id: 1, valor_centavos: 1, metodo: 'pix', desconto: 5 },
          status: 400,
          code: 'validation-failed',
        },
        { name: 'missing pedido_id', body: { valor_centavos: 1 }, status: 400, code: 'validation-failed' },
        { name: 'an array', body: [1, 2], status: 400, code: 'validation-failed' },
        {
          name: 'bad Idempotency-Key',
          body: { pedido_id: 1, valor_centavos: 1 },
          headers: { 'idempotency-key': 'a b' },
          status: 400,
          code: 'validation-failed',
        },
        {
          name: 'huge body',
          body: { pedido_id: 1, valor_centavos: 1, metodo: 'x'.repeat(100_000) },
          status: 413,
          code: 'payload-too-large',
        },
        {
          name: 'not JSON',
          rawBody: 'pedido_id=1',
          headers: { 'content-type': 'text/plain' },
          status: 415,
          code: 'unsupported-media-type',
        },
      ];
      await expectProblems(
        svc.httpUrl,
        cases.map((c) => ({
          name: c.name,
          method: 'POST',
          path: '/pagamentos',
          options: {
            ...(c.body === undefined ? {} : { body: c.body }),
            ...(c.rawBody === undefined ? {} : { rawBody: c.rawBody }),
            headers: { 'content-type': 'application/json', ...c.headers },
          },
          status: c.status,
          code: c.code,
          ...(c.code === 'validation-failed' ? { fields: 'some' as const } : {}),
        })),
      );
      for (const [path, body] of [
        ['/pagamentos/0/estorno', { motivo: 'x' }],
        ['/pagamentos/abc/estorno', { motivo: 'x' }],
        ['/pagamentos/1/estorno', { motivo: '' }],
        ['/pagamentos/1/estorno', { motivo: '   ' }],
        ['/pagamentos/1/estorno', {}],
      ] as const) {
        const res = await call<{ code: string }>(svc.httpUrl, 'POST', path, { body });
        assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}: ${res.text}`);
        assert.equal(res.body.code, 'validation-failed');
      }
      const badGet = await call<{ code: string }>(svc.httpUrl, 'GET', '/pagamentos/-3');
      assert.equal(badGet.status, 400);
      assert.deepEqual(await paymentRows(svc.database, 1), []);
    });

    test('when the input is bad over gRPC (pedido_id 0, valor 0, blank motivo), then INVALID_ARGUMENT names the field', async () => {
      expectInvalidArgument(await svc.processar({ pedido_id: 0, valor_centavos: 100 }), ['pedido_id']);
      const zeroValor = await svc.processar({ pedido_id: 5, valor_centavos: 0 });
      assert.equal(zeroValor.code, grpc.status.INVALID_ARGUMENT);
      const badMetodo = await svc.processar({
        pedido_id: 5,
        valor_centavos: 1,
        metodo: 99 as unknown as MetodoPagamento.METODO_PAGAMENTO_PIX,
      });
      assert.equal(badMetodo.code, grpc.status.INVALID_ARGUMENT);
      const badKey = await svc.processar({ pedido_id: 5, valor_centavos: 1, idempotency_key: 'com espaço' });
      assert.equal(badKey.code, grpc.status.INVALID_ARGUMENT);
      expectInvalidArgument(await svc.estornar({ pedido_id: 0, motivo: '' }), ['pedido_id', 'motivo']);
      assert.deepEqual(await paymentRows(svc.database, 5), []);
    });
  });
}
