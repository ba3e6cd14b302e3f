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
import type { FiscalTables } from '../src/adapters/schema.js';
import { buildApp, fiscalCommandHandler, fiscalMigrations, parseNumeroNf } from '../src/index.js';

const ITENS = [
  { produto_id: 1, quantidade: 2, preco_unitario_centavos: 1050 },
  { produto_id: 7, quantidade: 1, preco_unitario_centavos: 10245 },
];
/** 2 × 10,50 + 102,45 = R$ 123,45 */
const TOTAL = 12345;

/** EMITIR_NOTA_FISCAL of an order (by default, totalling its lines). */
function emitir(pedidoId: number, valorCentavos = TOTAL) {
  return commandOf('EMITIR_NOTA_FISCAL', pedidoId, { valor_centavos: valorCentavos, itens: ITENS });
}

describeStepWorker(
  {
    service: 'fiscal',
    migrations: fiscalMigrations,
    build: async (database: Database<FiscalTables>, logger) => {
      const app = await buildApp({ database, logger, seed: 7 });
      return { handle: fiscalCommandHandler(app.service), close: () => app.http.close() };
    },
  },
  (s) => {
    test('when EMITIR_NOTA_FISCAL arrives, then the invoice is issued and NOTA_FISCAL_EMITIDA answers', async () => {
      const command = emitir(11);
      await s.h.send(command);
      const [answer] = await s.h.waitForAnswers(11, 1);
      assert.equal(answer?.messageId, 'fiscal:11:NOTA_FISCAL_EMITIDA');
      const event = eventOfType(answer, 'NOTA_FISCAL_EMITIDA');
      assert.equal(event.trace_id, command.trace_id);
      assert.equal(event.dados.nota.pedido_id, 11);
      assert.equal(event.dados.nota.valor_centavos, TOTAL);
      assert.equal(parseNumeroNf(event.dados.nota.numero)?.pedido_id, 11);
      assert.match(event.dados.nota.chave_acesso, /^\d{44}$/);
      assert.ok(
        s.h.lines.some((l) =>
          l.includes('Comando EMITIR_NOTA_FISCAL do pedido 11 processado: NOTA_FISCAL_EMITIDA'),
        ),
      );
    });

    testStepScenarios(s, {
      redelivered: () => emitir(21),
      retried: () => emitir(31),
      answer: 'NOTA_FISCAL_EMITIDA',
      operacao: 'nota_fiscal_emitida',
      expectOneEffect: async (database, command) =>
        assert.equal(await countRows(database, 'notas_fiscais', command.pedido_id), 1),
      foreign: () => commandOf('AGENDAR_ENVIO', 51, { nota_fiscal_id: 1, numero_nota_fiscal: 'NF1-51' }),
    });

    test('when the total contradicts the lines, then ETAPA_RECUSADA answers validation-failed and nothing is issued', async () => {
      await s.h.send(emitir(41, TOTAL + 1));
      const [answer] = await s.h.waitForAnswers(41, 1);
      assert.equal(answer?.messageId, 'fiscal:41:ETAPA_RECUSADA:EMITIR_NOTA_FISCAL');
      const refusal = eventOfType(answer, 'ETAPA_RECUSADA');
      assert.equal(refusal.dados.comando, 'EMITIR_NOTA_FISCAL');
      assert.equal(refusal.dados.codigo, 'validation-failed');
      assert.match(refusal.dados.detalhe, /valor_centavos/);
      assert.equal(await countRows(s.database, 'notas_fiscais', 41), 0);
      assert.equal(s.step.runs(41), 1);
    });
  },
);
