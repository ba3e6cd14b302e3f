import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { CallContext } from '@dslab/checkout-contracts';
import { operationsOf } from '@dslab/checkout-kit';
import { openTestServiceDatabase } from '@dslab/checkout-kit/testing';
import { AppError } from '@dslab/errors';
import { createLogger } from '@dslab/logging';
import { ENGINES } from '@dslab/testing';
import { pedidosMigrations } from '../src/adapters/migrations.js';
import type { PedidosTables } from '../src/adapters/schema.js';
import { createPedidosStore } from '../src/adapters/store.js';
import { createPedidosService } from '../src/application/pedidos-service.js';
import { createNeighbours } from './neighbours.js';

const logger = createLogger({ service: 'pedidos', level: 'silent' });

const ctx = (budgetMs = 5000): CallContext => ({ deadline: Date.now() + budgetMs, traceId: '0'.repeat(32) });

for (const engine of ENGINES) {
  describe(`pedidos orchestrator (${engine})`, () => {
    const disposers: (() => Promise<void>)[] = [];
    after(async () => {
      for (const dispose of disposers) await dispose();
    });

    async function setup(options: { estoque?: Record<number, number>; reserveMs?: number } = {}) {
      const { database, dispose } = await openTestServiceDatabase<PedidosTables>(
        engine,
        'pedidos',
        pedidosMigrations,
      );
      disposers.push(dispose);
      await database.db
        .insertInto('clientes')
        .values({ id: 1, nome: 'Ana', email: 'ana@exemplo.com' })
        .execute();
      const fake = createNeighbours({
        precos: { 1: 1000, 2: 2550 },
        estoque: options.estoque ?? { 1: 10, 2: 10 },
      });
      let offset = 0;
      const service = createPedidosService({
        store: createPedidosStore(database.db),
        neighbours: fake.neighbours,
        logger,
        now: () => Date.now() + offset,
        compensationReserveMs: options.reserveMs ?? 300,
        recoveryBudgetMs: 2000,
      });
      return {
        database,
        fake,
        service,
        /** Moves the service's clock past every back-off. */
        later: () => {
          offset += 120_000;
        },
      };
    }

    const pedido = {
      cliente_id: 1,
      itens: [
        { produto_id: 1, quantidade: 2 },
        { produto_id: 2, quantidade: 1 },
      ],
    };

    test('when every step succeeds, then the order walks to enviado and each step is recorded', async () => {
      const { service, database, fake } = await setup();
      const { pedido: result, replayed } = await service.create(pedido, ctx());
      assert.equal(replayed, false);
      assert.equal(result.status, 'enviado');
      assert.equal(result.valor_total_centavos, 2 * 1000 + 2550);
      assert.match(result.numero_nota_fiscal ?? '', /^NF1-/);
      assert.match(result.codigo_rastreamento ?? '', /^BR\d{9}PY$/);
      assert.equal(result.motivo, undefined);
      assert.deepEqual(fake.calls, ['obterProdutos', 'processar', 'separar', 'emitir', 'agendarEnvio']);
      assert.deepEqual(
        (await operationsOf(database.db, result.id)).map((o) => o.operacao),
        ['pedido_criado', 'pagamento_aprovado', 'estoque_separado', 'nota_fiscal_emitida', 'pedido_enviado'],
      );
    });

    test('when the payment is rejected, then the order is cancelled and no stock is touched', async () => {
      const { service, fake } = await setup();
      fake.rejectPayments(true);
      const { pedido: result } = await service.create(pedido, ctx());
      assert.equal(result.status, 'cancelado');
      assert.match(result.motivo ?? '', /rejeitado/);
      assert.deepEqual(fake.calls, ['obterProdutos', 'processar']);
    });

    test('when stock is short, then the payment is refunded and the order cancelled', async () => {
      const { service, fake } = await setup({ estoque: { 1: 1, 2: 10 } });
      const { pedido: result } = await service.create(pedido, ctx());
      assert.equal(result.status, 'cancelado');
      assert.match(result.motivo ?? '', /estoque insuficiente/);
      assert.equal(fake.pagamentos.get(result.id)?.status, 'estornado');
      assert.equal(fake.stock.get(2), 10, 'the line that was available was not taken either');
      assert.ok(!fake.calls.includes('liberar'), 'nothing was reserved, so nothing is released');
    });

    test('when estoque is down, then the payment is refunded and the order cancelled without a release', async () => {
      const { service, fake } = await setup();
      fake.fail('separar', 'down');
      const { pedido: result } = await service.create(pedido, ctx());
      assert.equal(result.status, 'cancelado');
      assert.equal(fake.pagamentos.get(result.id)?.status, 'estornado');
      assert.ok(!fake.calls.includes('liberar'));
    });

    test('when estoque reserved but the answer was lost, then the reservation is released, the payment refunded and the order cancelled', async () => {
      const { service, fake } = await setup();
      fake.loseAnswer('separar', new AppError('unavailable', 'connection reset'));
      const { pedido: result } = await service.create(pedido, ctx());
      assert.equal(result.status, 'cancelado');
      assert.equal(fake.reservas.get(result.id)?.status, 'liberado');
      assert.equal(fake.stock.get(1), 10);
      assert.equal(fake.pagamentos.get(result.id)?.status, 'estornado');
    });

    test('when pagamentos never answers, then within the deadline the payment is voided and the order cancelled', async () => {
      const { service, fake } = await setup({ reserveMs: 500 });
      fake.loseAnswer('processar');
      const started = Date.now();
      const { pedido: result } = await service.create(pedido, ctx(1500));
      assert.ok(Date.now() - started < 3000, 'answered around the deadline, not after a hang');
      assert.equal(result.status, 'cancelado');
      assert.match(result.motivo ?? '', /pagamento sem resposta/);
      assert.equal(
        fake.pagamentos.get(result.id)?.status,
        'estornado',
        'the charge that did happen was refunded',
      );
    });

    test('when the refund fails too, then the client gets a clear 503 and the recovery loop finishes the cancellation', async () => {
      const { service, fake, later } = await setup();
      fake.loseAnswer('processar', new AppError('unavailable', 'connection reset'));
      fake.fail('estornar', 'down');
      const error = await service.create(pedido, ctx()).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e as AppError,
      );
      assert.equal(error.code, 'unavailable');
      const pedidoId = error.extensions['pedido_id'] as number;
      assert.equal(error.extensions['status'], 'pendente');
      assert.match(String(error.extensions['motivo']), /cancelamento pendente/);
      assert.equal(fake.pagamentos.get(pedidoId)?.status, 'aprovado', 'still charged: the refund is owed');

      fake.heal('processar');
      fake.heal('estornar');
      assert.equal(await service.recoverOnce(), 0, 'not before its back-off');
      later();
      assert.equal(await service.recoverOnce(), 1);
      const final = await service.obterPedido(pedidoId, ctx());
      assert.equal(final.status, 'cancelado');
      assert.equal(fake.pagamentos.get(pedidoId)?.status, 'estornado');
      assert.equal(
        fake.calls.filter((c) => c === 'processar').length,
        1,
        'the recovery does not charge again',
      );
    });

    test('when fiscal is down, then stock is released, the payment refunded and the order cancelled', async () => {
      const { service, fake } = await setup();
      fake.fail('emitir', 'down');
      const { pedido: result } = await service.create(pedido, ctx());
      assert.equal(result.status, 'cancelado');
      assert.equal(fake.reservas.get(result.id)?.status, 'liberado');
      assert.equal(fake.stock.get(1), 10);
      assert.equal(fake.pagamentos.get(result.id)?.status, 'estornado');
    });

    test('when fiscal times out, then the order waits in em_separacao and the retry returns the same invoice', async () => {
      const { service, fake, later } = await setup();
      fake.loseAnswer('emitir');
      const error = await service.create(pedido, ctx(1200)).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e as AppError,
      );
      assert.equal(error.code, 'timeout');
      const pedidoId = error.extensions['pedido_id'] as number;
      assert.equal((await service.obterPedido(pedidoId, ctx())).status, 'em_separacao');
      fake.heal('emitir');
      later();
      await service.recoverOnce();
      const final = await service.obterPedido(pedidoId, ctx());
      assert.equal(final.status, 'enviado');
      assert.equal(fake.notas.size, 1, 'one invoice for the order');
      assert.equal(final.numero_nota_fiscal, fake.notas.get(pedidoId)?.numero);
    });

    test('when logistica is down, then the order stays nf_emitida with its reason and is dispatched once it is back', async () => {
      const { service, fake, later } = await setup();
      fake.fail('agendarEnvio', 'down');
      const { pedido: result } = await service.create(pedido, ctx());
      assert.equal(result.status, 'nf_emitida');
      assert.match(result.motivo ?? '', /envio pendente/);
      fake.heal('agendarEnvio');
      later();
      await service.recoverOnce();
      const final = await service.obterPedido(result.id, ctx());
      assert.equal(final.status, 'enviado');
      assert.equal(final.motivo, undefined);
    });

    test('when the runner died mid-chain, then the recovery loop drives the order from its stored status', async () => {
      const { service, fake, database, later } = await setup();
      fake.fail('separar', 'hang');
      await service.create(pedido, ctx(800)).catch(() => undefined);
      const [row] = await database.db.selectFrom('pedidos').selectAll().execute();
      assert.ok(row !== undefined);
      // The hang left the order cancelled (stock unknown → compensated); a fresh order is left
      // "in flight" by hand instead, as a crashed process would leave it.
      await database.db
        .updateTable('pedidos')
        .set({ status: 'pagamento_aprovado', compensacao: null, em_execucao_ate: 0 })
        .where('id', '=', row.id)
        .execute();
      fake.heal('separar');
      fake.reservas.delete(row.id);
      fake.pagamentos.set(row.id, { status: 'aprovado', anulado: false });
      later();
      await service.recoverOnce();
      assert.equal((await service.obterPedido(row.id, ctx())).status, 'enviado');
    });

    test('when a request is retried with the same Idempotency-Key, then it answers the same order without charging again', async () => {
      const { service, fake } = await setup();
      const first = await service.create({ ...pedido, idempotency_key: 'k-1' }, ctx());
      const again = await service.create({ ...pedido, idempotency_key: 'k-1' }, ctx());
      assert.equal(again.replayed, true);
      assert.deepEqual(again.pedido, first.pedido);
      assert.equal(fake.calls.filter((c) => c === 'processar').length, 1);
      await assert.rejects(
        service.create(
          { ...pedido, itens: [{ produto_id: 1, quantidade: 1 }], idempotency_key: 'k-1' },
          ctx(),
        ),
        (e: AppError) => e.code === 'idempotency-key-reused',
      );
    });

    test('when 20 copies of one request race with the same key, then exactly one order exists', async () => {
      const { service, database, fake } = await setup();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => service.create({ ...pedido, idempotency_key: 'race' }, ctx())),
      );
      assert.equal(new Set(answers.map((a) => a.pedido.id)).size, 1);
      assert.ok(answers.every((a) => a.pedido.status === 'enviado'));
      const count = await database.db
        .selectFrom('pedidos')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 1);
      assert.equal(fake.calls.filter((c) => c === 'processar').length, 1);
    });

    test('when the input is bad, then nothing is written and the error names every field', async () => {
      const { service, database, fake } = await setup();
      await assert.rejects(
        service.create(
          { cliente_id: 0, itens: [{ produto_id: 1, quantidade: 0 }], metodo_pagamento: 'cheque' },
          ctx(),
        ),
        (e: AppError) =>
          e.code === 'validation-failed' &&
          JSON.stringify(e.extensions['errors']).includes('cliente_id') &&
          JSON.stringify(e.extensions['errors']).includes('quantidade') &&
          JSON.stringify(e.extensions['errors']).includes('metodo_pagamento'),
      );
      await assert.rejects(
        service.create({ ...pedido, cliente_id: 999 }, ctx()),
        (e: AppError) => e.code === 'unknown-customer',
      );
      await assert.rejects(
        service.create({ cliente_id: 1, itens: [{ produto_id: 77, quantidade: 1 }] }, ctx()),
        (e: AppError) =>
          e.code === 'unknown-product' && JSON.stringify(e.extensions['produto_ids']) === '[77]',
      );
      fake.fail('obterProdutos', 'down');
      await assert.rejects(service.create(pedido, ctx()), (e: AppError) => e.code === 'unavailable');
      const count = await database.db
        .selectFrom('pedidos')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count.n), 0);
    });
  });
}
