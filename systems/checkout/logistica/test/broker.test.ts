import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Database } from '@dslab/db';
import {
  commandOf,
  countRows,
  describeStepWorker,
  eventOfType,
  testStepScenarios,
} from '@dslab/checkout-kit/broker-testing';
import type { LogisticaTables } from '../src/adapters/schema.js';
import { buildApp, logisticaCommandHandler, logisticaMigrations } from '../src/index.js';

/** AGENDAR_ENVIO of an order with its invoice `NF<notaId>-<pedidoId>`. */
function agendar(pedidoId: number, notaId: number, numero = `NF${notaId}-${pedidoId}`) {
  return commandOf('AGENDAR_ENVIO', pedidoId, { nota_fiscal_id: notaId, numero_nota_fiscal: numero });
}

describeStepWorker(
  {
    service: 'logistica',
    migrations: logisticaMigrations,
    build: async (database: Database<LogisticaTables>, logger) => {
      const app = await buildApp({ database, logger, seed: 7 });
      return { handle: logisticaCommandHandler(app.service), close: () => app.http.close() };
    },
  },
  (s) => {
    test('when AGENDAR_ENVIO arrives, then the order is dispatched and ENVIO_AGENDADO answers', async () => {
      const command = agendar(11, 1011);
      await s.h.send(command);
      const [answer] = await s.h.waitForAnswers(11, 1);
      assert.equal(answer?.messageId, 'logistica:11:ENVIO_AGENDADO');
      const event = eventOfType(answer, 'ENVIO_AGENDADO');
      assert.equal(event.trace_id, command.trace_id);
      assert.equal(event.dados.envio.pedido_id, 11);
      assert.equal(event.dados.envio.nota_fiscal_id, 1011);
      assert.equal(event.dados.envio.status, 'enviado');
      assert.match(event.dados.envio.codigo_rastreamento, /^BR\d{9}PY$/);
    });

    testStepScenarios(s, {
      redelivered: () => agendar(21, 1021),
      retried: () => agendar(31, 1031),
      answer: 'ENVIO_AGENDADO',
      operacao: 'envio_agendado',
      expectOneEffect: async (database, command) =>
        assert.equal(await countRows(database, 'envios', command.pedido_id), 1),
      foreign: () => commandOf('VERIFICAR_ESTOQUE', 51, { itens: [{ produto_id: 1, quantidade: 1 }] }),
    });

    test('when the invoice number is not the order one, or the invoice was dispatched for another order, then ETAPA_RECUSADA answers', async () => {
      const { h } = s;
      await h.send(agendar(41, 1041, 'NF1041-999'));
      const [badNumber] = await h.waitForAnswers(41, 1);
      assert.equal(badNumber?.messageId, 'logistica:41:ETAPA_RECUSADA:AGENDAR_ENVIO');
      const invalid = eventOfType(badNumber, 'ETAPA_RECUSADA');
      assert.equal(invalid.dados.comando, 'AGENDAR_ENVIO');
      assert.equal(invalid.dados.codigo, 'validation-failed');
      assert.equal(await countRows(s.database, 'envios', 41), 0);

      await h.send(agendar(42, 1042));
      eventOfType((await h.waitForAnswers(42, 1))[0], 'ENVIO_AGENDADO');
      await h.send(agendar(43, 1042, 'NF1042-43'));
      const [taken] = await h.waitForAnswers(43, 1);
      assert.equal(eventOfType(taken, 'ETAPA_RECUSADA').dados.codigo, 'conflict');
      assert.equal(await countRows(s.database, 'envios', 43), 0);
    });
  },
);
