import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { operationsOf } from '@dslab/checkout-kit';
import { openTestServiceDatabase, type TestServiceDatabase } from '@dslab/checkout-kit/testing';
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
import type { LogisticaTables } from '../src/adapters/schema.js';
import { buildApp, logisticaCommandHandler, logisticaMigrations, type LogisticaApp } from '../src/index.js';

async function enviosOf(opened: TestServiceDatabase<LogisticaTables>, pedidoId: number): Promise<number> {
  const rows = await opened.database.db
    .selectFrom('envios')
    .select('id')
    .where('pedido_id', '=', pedidoId)
    .execute();
  return rows.length;
}

/** AGENDAR_ENVIO of an order with its invoice `NF<notaId>-<pedidoId>`. */
function agendar(pedidoId: number, notaId: number, numero = `NF${notaId}-${pedidoId}`) {
  return commandOf('AGENDAR_ENVIO', pedidoId, { nota_fiscal_id: notaId, numero_nota_fiscal: numero });
}

for (const engine of ENGINES)
  for (const busKind of BUS_KINDS)
    describe(`logistica command worker (${engine}, ${busKind} bus)`, () => {
      let opened: TestServiceDatabase<LogisticaTables>;
      let app: LogisticaApp;
      let step: SteerableHandler;
      let h: StepHarness;

      before(async () => {
        opened = await openTestServiceDatabase<LogisticaTables>(engine, 'logistica', logisticaMigrations, {
          poolSize: 10,
        });
        const log = capturedLog('logistica');
        app = await buildApp({ database: opened.database, logger: log.logger, seed: 7 });
        step = steerable(logisticaCommandHandler(app.service));
        h = await startStepHarness({
          service: 'logistica',
          bus: busKind,
          database: opened.database,
          handle: step.handle,
          log,
        });
      });
      after(async () => {
        await h.close();
        await app.http.close();
        await opened.dispose();
      });

      test('when AGENDAR_ENVIO arrives, then the order is dispatched and ENVIO_AGENDADO answers', async () => {
        const command = agendar(11, 1011);
        await h.send(command);
        const [answer] = await h.waitForAnswers(11, 1);
        assert.equal(answer?.messageId, 'logistica:11:ENVIO_AGENDADO');
        const event = eventOfType(answer, 'ENVIO_AGENDADO');
        assert.equal(event.trace_id, command.trace_id);
        assert.equal(event.dados.envio.pedido_id, 11);
        assert.equal(event.dados.envio.nota_fiscal_id, 1011);
        assert.equal(event.dados.envio.status, 'enviado');
        assert.match(event.dados.envio.codigo_rastreamento, /^BR\d{9}PY$/);
      });

      test('when one command is delivered twice at once and again later, then one dispatch and one answer', async () => {
        const command = agendar(21, 1021);
        step.overlap(21, 2);
        await Promise.all([h.send(command), h.send(command)]);
        await h.waitForDeliveries(21, 2);
        assert.equal(step.runs(21), 2, 'both deliveries ran the step');
        const operacoes = await operationsOf(opened.database.db, 21);
        assert.deepEqual(
          operacoes.map((o) => o.operacao),
          ['envio_agendado'],
        );

        await h.send(command);
        await h.waitForDeliveries(21, 3);
        assert.equal(step.runs(21), 2, 'the late redelivery was skipped');
        assert.equal(await enviosOf(opened, 21), 1);
        assert.deepEqual(await operationsOf(opened.database.db, 21), operacoes);
        assert.equal(h.answersOf(21).length, 1);
      });

      test('when the step fails transiently, then the command is retried and then answered', async () => {
        step.failNext(31);
        await h.send(agendar(31, 1031));
        const [answer] = await h.waitForAnswers(31, 1);
        eventOfType(answer, 'ENVIO_AGENDADO');
        assert.equal(step.runs(31), 2);
        assert.equal(await enviosOf(opened, 31), 1);
        assert.ok(h.lines.some((l) => l.includes('AGENDAR_ENVIO do pedido 31 (tentativa 1 de 8)')));
      });

      test('when the invoice number is not the order one, or the invoice was dispatched for another order, then ETAPA_RECUSADA answers', async () => {
        await h.send(agendar(41, 1041, 'NF1041-999'));
        const [badNumber] = await h.waitForAnswers(41, 1);
        assert.equal(badNumber?.messageId, 'logistica:41:ETAPA_RECUSADA:AGENDAR_ENVIO');
        const invalid = eventOfType(badNumber, 'ETAPA_RECUSADA');
        assert.equal(invalid.dados.comando, 'AGENDAR_ENVIO');
        assert.equal(invalid.dados.codigo, 'validation-failed');
        assert.equal(await enviosOf(opened, 41), 0);

        await h.send(agendar(42, 1042));
        eventOfType((await h.waitForAnswers(42, 1))[0], 'ENVIO_AGENDADO');
        await h.send(agendar(43, 1042, 'NF1042-43'));
        const [taken] = await h.waitForAnswers(43, 1);
        assert.equal(eventOfType(taken, 'ETAPA_RECUSADA').dados.codigo, 'conflict');
        assert.equal(await enviosOf(opened, 43), 0);
      });

      test('when a message is malformed or a command for another service, then it is dead-lettered at once', async () => {
        await expectDeadLetteredAtOnce(
          h,
          commandOf('VERIFICAR_ESTOQUE', 51, { itens: [{ produto_id: 1, quantidade: 1 }] }),
        );
      });
    });
