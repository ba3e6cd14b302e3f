import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { operationsOf } from '@dslab/checkout-kit';
import type { TestServiceDatabase } from '@dslab/checkout-kit/testing';
import { ENGINES } from '@dslab/testing';
import {
  BUS_KINDS,
  capturedLog,
  commandOf,
  eventOfType,
  expectDeadLetteredAtOnce,
  startStepHarness,
  steerable,
  type StepHarness,
  type SteerableHandler,
} from '@dslab/checkout-kit/broker-testing';
import type { EstoqueTables } from '../src/adapters/schema.js';
import { createEstoqueService, estoqueCommandHandler } from '../src/index.js';
import { openTestDatabase, stockOf, stocksOf } from './support.js';

const STOCK: Record<number, number> = { 1: 10, 2: 5, 3: 0, 4: 50, 5: 50, 6: 50, 7: 50, 8: 50 };

async function reservasOf(opened: TestServiceDatabase<EstoqueTables>, pedidoId: number): Promise<number> {
  const rows = await opened.database.db
    .selectFrom('reservas')
    .select('pedido_id')
    .where('pedido_id', '=', pedidoId)
    .execute();
  return rows.length;
}

for (const engine of ENGINES)
  for (const busKind of BUS_KINDS)
    describe(`estoque command worker (${engine}, ${busKind} bus)`, () => {
      let opened: TestServiceDatabase<EstoqueTables>;
      let step: SteerableHandler;
      let h: StepHarness;

      before(async () => {
        opened = await openTestDatabase(engine);
        const at = new Date().toISOString();
        await opened.database.db
          .insertInto('estoque')
          .values(
            Object.entries(STOCK).map(([id, quantidade]) => ({
              produto_id: Number(id),
              quantidade,
              atualizado_em: at,
            })),
          )
          .execute();
        const log = capturedLog('estoque');
        step = steerable(
          estoqueCommandHandler(createEstoqueService({ database: opened.database, logger: log.logger })),
        );
        h = await startStepHarness({
          service: 'estoque',
          bus: busKind,
          database: opened.database,
          handle: step.handle,
          log,
        });
      });
      after(async () => {
        await h.close();
        await opened.dispose();
      });

      test('when VERIFICAR_ESTOQUE arrives, then ESTOQUE_VERIFICADO lists the short products (lines summed) and nothing is held', async () => {
        await h.send(commandOf('VERIFICAR_ESTOQUE', 11, { itens: [{ produto_id: 1, quantidade: 10 }] }));
        const [ok] = await h.waitForAnswers(11, 1);
        assert.equal(ok?.messageId, 'estoque:11:ESTOQUE_VERIFICADO');
        assert.deepEqual(eventOfType(ok, 'ESTOQUE_VERIFICADO').dados, { disponivel: true, faltas: [] });

        await h.send(
          commandOf('VERIFICAR_ESTOQUE', 12, {
            itens: [
              { produto_id: 2, quantidade: 3 },
              { produto_id: 1, quantidade: 1 },
              { produto_id: 2, quantidade: 3 },
              { produto_id: 999, quantidade: 1 },
            ],
          }),
        );
        const [short] = await h.waitForAnswers(12, 1);
        assert.deepEqual(eventOfType(short, 'ESTOQUE_VERIFICADO').dados, {
          disponivel: false,
          faltas: [
            { produto_id: 2, solicitado: 6, disponivel: 5 },
            { produto_id: 999, solicitado: 1, disponivel: 0 },
          ],
        });
        assert.deepEqual(await stocksOf(opened.database, [1, 2]), [10, 5]);
        assert.deepEqual(await operationsOf(opened.database.db, 12), []);
      });

      test('when SEPARAR_ESTOQUE arrives, then the items are held and ESTOQUE_SEPARADO answers; LIBERAR_ESTOQUE gives them back', async () => {
        const command = commandOf('SEPARAR_ESTOQUE', 21, { itens: [{ produto_id: 4, quantidade: 3 }] });
        await h.send(command);
        const [separado] = await h.waitForAnswers(21, 1);
        assert.equal(separado?.messageId, 'estoque:21:ESTOQUE_SEPARADO');
        const event = eventOfType(separado, 'ESTOQUE_SEPARADO');
        assert.equal(event.trace_id, command.trace_id);
        assert.deepEqual(event.dados.separacao.itens, [{ produto_id: 4, quantidade: 3 }]);
        assert.equal(event.dados.separacao.status, 'separado');
        assert.equal(await stockOf(opened.database, 4), 47);

        await h.send(commandOf('LIBERAR_ESTOQUE', 21, { motivo: 'pagamento estornado' }));
        const [, liberado] = await h.waitForAnswers(21, 2);
        assert.equal(liberado?.messageId, 'estoque:21:ESTOQUE_LIBERADO');
        const released = eventOfType(liberado, 'ESTOQUE_LIBERADO');
        assert.deepEqual(released.dados.separacao.itens, [{ produto_id: 4, quantidade: 3 }]);
        assert.equal(await stockOf(opened.database, 4), 50);
      });

      test('when SEPARAR_ESTOQUE asks for more than there is, then ESTOQUE_INSUFICIENTE carries the shortages and nothing is held', async () => {
        await h.send(
          commandOf('SEPARAR_ESTOQUE', 31, {
            itens: [
              { produto_id: 1, quantidade: 1 },
              { produto_id: 3, quantidade: 2 },
            ],
          }),
        );
        const [answer] = await h.waitForAnswers(31, 1);
        assert.equal(answer?.messageId, 'estoque:31:ESTOQUE_INSUFICIENTE');
        assert.deepEqual(eventOfType(answer, 'ESTOQUE_INSUFICIENTE').dados, {
          faltas: [{ produto_id: 3, solicitado: 2, disponivel: 0 }],
        });
        assert.deepEqual(await stocksOf(opened.database, [1, 3]), [10, 0]);
        assert.equal(await reservasOf(opened, 31), 0);
      });

      test('when one command is delivered twice at once and again later, then the stock is held once and answered once', async () => {
        const command = commandOf('SEPARAR_ESTOQUE', 41, {
          itens: [
            { produto_id: 5, quantidade: 2 },
            { produto_id: 6, quantidade: 1 },
          ],
        });
        step.overlap(41, 2);
        await Promise.all([h.send(command), h.send(command)]);
        await h.waitForDeliveries(41, 2);
        assert.equal(step.runs(41), 2, 'both deliveries ran the step');
        const operacoes = await operationsOf(opened.database.db, 41);
        assert.deepEqual(
          operacoes.map((o) => o.operacao),
          ['estoque_separado'],
        );

        await h.send(command);
        await h.waitForDeliveries(41, 3);
        assert.equal(step.runs(41), 2, 'the late redelivery was skipped');
        assert.deepEqual(await stocksOf(opened.database, [5, 6]), [48, 49]);
        assert.equal(await reservasOf(opened, 41), 1);
        assert.deepEqual(await operationsOf(opened.database.db, 41), operacoes);
        const answers = h.answersOf(41);
        assert.equal(answers.length, 1);
        assert.equal(answers[0]?.event.tipo, 'ESTOQUE_SEPARADO');
      });

      test('when the step fails transiently, then the command is retried and then answered', async () => {
        step.failNext(51);
        await h.send(commandOf('SEPARAR_ESTOQUE', 51, { itens: [{ produto_id: 7, quantidade: 4 }] }));
        const [answer] = await h.waitForAnswers(51, 1);
        eventOfType(answer, 'ESTOQUE_SEPARADO');
        assert.equal(step.runs(51), 2);
        assert.equal(await stockOf(opened.database, 7), 46);
        assert.ok(h.lines.some((l) => l.includes('SEPARAR_ESTOQUE do pedido 51 (tentativa 1 de 8)')));
      });

      test('when an order already released is asked to separate, then ETAPA_RECUSADA answers reservation-conflict', async () => {
        await h.send(commandOf('LIBERAR_ESTOQUE', 61, { motivo: 'cancelado antes de separar' }));
        await h.waitForAnswers(61, 1);
        await h.send(commandOf('SEPARAR_ESTOQUE', 61, { itens: [{ produto_id: 8, quantidade: 1 }] }));
        const [, answer] = await h.waitForAnswers(61, 2);
        assert.equal(answer?.messageId, 'estoque:61:ETAPA_RECUSADA:SEPARAR_ESTOQUE');
        const refusal = eventOfType(answer, 'ETAPA_RECUSADA');
        assert.equal(refusal.dados.comando, 'SEPARAR_ESTOQUE');
        assert.equal(refusal.dados.codigo, 'reservation-conflict');
        assert.equal(await stockOf(opened.database, 8), 50);
      });

      test('when a message is malformed or a command for another service, then it is dead-lettered at once', async () => {
        await expectDeadLetteredAtOnce(
          h,
          commandOf('PROCESSAR_PAGAMENTO', 71, { valor_centavos: 100, metodo: 'pix' }),
        );
      });
    });
