import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CallContext } from '@dslab/checkout-contracts';
import type { Database } from '@dslab/db';
import { operationsOf, type CommandHandler } from '@dslab/checkout-kit';
import {
  commandOf,
  describeStepWorker,
  eventOfType,
  testStepScenarios,
} from '@dslab/checkout-kit/broker-testing';
import type { PagamentosTables } from '../src/adapters/schema.js';
import {
  createPagamentosService,
  pagamentosCommandHandler,
  pagamentosMigrations,
  type SimulatorConfig,
} from '../src/index.js';
import { FAST, paymentRows } from './harness.js';

/** Orders from 800 on are charged by a payment processor that takes longer than a step's deadline. */
const SLOW_FROM = 800;
/** Orders from 900 on are charged by a processor that rejects every payment. */
const REJECTED_FROM = 900;
const STEP_TIMEOUT_MS = 1_000;
const SLOW: SimulatorConfig = { minMs: 2_500, maxMs: 2_500, rejectionProbability: 0 };
const REJECTING: SimulatorConfig = { minMs: 0, maxMs: 5, rejectionProbability: 1 };

const ctx = (): CallContext => ({ deadline: Date.now() + 5_000, traceId: 'a'.repeat(32) });

describeStepWorker(
  {
    service: 'pagamentos',
    migrations: pagamentosMigrations,
    poolSize: 20,
    stepTimeoutMs: STEP_TIMEOUT_MS,
    build: (database: Database<PagamentosTables>, logger) => {
      const build = (simulator: SimulatorConfig) =>
        createPagamentosService({ database, logger, now: Date.now, simulator, random: Math.random });
      const service = build(FAST);
      const normal = pagamentosCommandHandler(service);
      const slow = pagamentosCommandHandler(build(SLOW));
      const rejecting = pagamentosCommandHandler(build(REJECTING));
      const handle: CommandHandler = (command, callCtx) =>
        (command.pedido_id >= REJECTED_FROM ? rejecting : command.pedido_id >= SLOW_FROM ? slow : normal)(
          command,
          callCtx,
        );
      return { handle, service };
    },
  },
  (s) => {
    test('when PROCESSAR_PAGAMENTO arrives, then the order is charged once and PAGAMENTO_PROCESSADO answers', async () => {
      const command = commandOf('PROCESSAR_PAGAMENTO', 11, { valor_centavos: 12_345, metodo: 'pix' });
      await s.h.send(command);
      const [answer] = await s.h.waitForAnswers(11, 1);
      assert.equal(answer?.messageId, 'pagamentos:11:PAGAMENTO_PROCESSADO');
      const event = eventOfType(answer, 'PAGAMENTO_PROCESSADO');
      assert.equal(event.trace_id, command.trace_id);
      assert.equal(event.dados.pagamento.sucesso, true);
      assert.equal(event.dados.pagamento.status, 'aprovado');
      assert.equal(event.dados.pagamento.valor_centavos, 12_345);
      const rows = await paymentRows(s.database, 11);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.idempotency_key, 'pedido-11');
    });

    test('when the payment is rejected, then PAGAMENTO_PROCESSADO answers it with sucesso false', async () => {
      await s.h.send(
        commandOf('PROCESSAR_PAGAMENTO', REJECTED_FROM + 1, { valor_centavos: 500, metodo: 'boleto' }),
      );
      const [answer] = await s.h.waitForAnswers(REJECTED_FROM + 1, 1);
      const event = eventOfType(answer, 'PAGAMENTO_PROCESSADO');
      assert.equal(event.dados.pagamento.sucesso, false);
      assert.equal(event.dados.pagamento.status, 'rejeitado');
    });

    test('when ESTORNAR_PAGAMENTO arrives, then the charge is refunded (or voided) and PAGAMENTO_ESTORNADO answers', async () => {
      const { h } = s;
      await h.send(commandOf('PROCESSAR_PAGAMENTO', 21, { valor_centavos: 700, metodo: 'cartao_credito' }));
      await h.waitForAnswers(21, 1);
      await h.send(commandOf('ESTORNAR_PAGAMENTO', 21, { motivo: 'estoque insuficiente' }));
      const [, refund] = await h.waitForAnswers(21, 2);
      assert.equal(refund?.messageId, 'pagamentos:21:PAGAMENTO_ESTORNADO');
      assert.equal(eventOfType(refund, 'PAGAMENTO_ESTORNADO').dados.estorno.status, 'estornado');

      await h.send(commandOf('ESTORNAR_PAGAMENTO', 22, { motivo: 'cancelado' }));
      const [voided] = await h.waitForAnswers(22, 1);
      assert.equal(eventOfType(voided, 'PAGAMENTO_ESTORNADO').dados.estorno.status, 'rejeitado');
    });

    testStepScenarios(s, {
      redelivered: () => commandOf('PROCESSAR_PAGAMENTO', 31, { valor_centavos: 999, metodo: 'pix' }),
      retried: () => commandOf('PROCESSAR_PAGAMENTO', 41, { valor_centavos: 100, metodo: 'pix' }),
      answer: 'PAGAMENTO_PROCESSADO',
      operacao: 'pagamento_aprovado',
      expectOneEffect: async (database, command) =>
        assert.equal((await paymentRows(database, command.pedido_id)).length, 1),
      foreign: () => commandOf('LIBERAR_ESTOQUE', 61, { motivo: 'x' }),
    });

    test('when processing outlasts the step deadline, then the timeout is retried and the stored decision answers', async () => {
      const { h, step } = s;
      const pedidoId = SLOW_FROM + 1;
      await h.send(commandOf('PROCESSAR_PAGAMENTO', pedidoId, { valor_centavos: 4_200, metodo: 'pix' }));
      const [answer] = await h.waitForAnswers(pedidoId, 1, 20_000);
      assert.equal(eventOfType(answer, 'PAGAMENTO_PROCESSADO').dados.pagamento.valor_centavos, 4_200);
      assert.ok(step.runs(pedidoId) >= 2, `runs: ${step.runs(pedidoId)}`);
      assert.equal((await paymentRows(s.database, pedidoId)).length, 1);
      assert.equal((await operationsOf(s.database.db, pedidoId)).length, 1);
      assert.ok(
        h.lines.some((l) =>
          l.includes(`PROCESSAR_PAGAMENTO do pedido ${pedidoId} (tentativa 1 de ${h.maxAttempts}): timeout`),
        ),
      );
    });

    test('when the order was charged with other values, then ETAPA_RECUSADA answers idempotency-key-reused', async () => {
      const { h } = s;
      await s.subject.service.processar(
        { pedido_id: 51, valor_centavos: 1_000, metodo: 'pix', idempotency_key: 'pedido-51' },
        ctx(),
      );
      await h.send(commandOf('PROCESSAR_PAGAMENTO', 51, { valor_centavos: 2_000, metodo: 'pix' }));
      const [answer] = await h.waitForAnswers(51, 1);
      assert.equal(answer?.messageId, 'pagamentos:51:ETAPA_RECUSADA:PROCESSAR_PAGAMENTO');
      const refusal = eventOfType(answer, 'ETAPA_RECUSADA');
      assert.equal(refusal.dados.codigo, 'idempotency-key-reused');
      assert.equal(refusal.dados.comando, 'PROCESSAR_PAGAMENTO');
      assert.equal((await paymentRows(s.database, 51)).length, 1);
    });
  },
);
