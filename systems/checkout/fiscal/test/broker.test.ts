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
import type { FiscalTables } from '../src/adapters/schema.js';
import {
  buildApp,
  fiscalCommandHandler,
  fiscalMigrations,
  parseNumeroNf,
  type FiscalApp,
} from '../src/index.js';

const ITENS = [
  { produto_id: 1, quantidade: 2, preco_unitario_centavos: 1050 },
  { produto_id: 7, quantidade: 1, preco_unitario_centavos: 10245 },
];
/** 2 × 10,50 + 102,45 = R$ 123,45 */
const TOTAL = 12345;

async function notasOf(opened: TestServiceDatabase<FiscalTables>, pedidoId: number): Promise<number> {
  const rows = await opened.database.db
    .selectFrom('notas_fiscais')
    .select('id')
    .where('pedido_id', '=', pedidoId)
    .execute();
  return rows.length;
}

for (const engine of ENGINES)
  for (const busKind of BUS_KINDS)
    describe(`fiscal command worker (${engine}, ${busKind} bus)`, () => {
      let opened: TestServiceDatabase<FiscalTables>;
      let app: FiscalApp;
      let step: SteerableHandler;
      let h: StepHarness;

      before(async () => {
        opened = await openTestServiceDatabase<FiscalTables>(engine, 'fiscal', fiscalMigrations, {
          poolSize: 10,
        });
        const log = capturedLog('fiscal');
        app = await buildApp({ database: opened.database, logger: log.logger, seed: 7 });
        step = steerable(fiscalCommandHandler(app.service));
        h = await startStepHarness({
          service: 'fiscal',
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

      test('when EMITIR_NOTA_FISCAL arrives, then the invoice is issued and NOTA_FISCAL_EMITIDA answers', async () => {
        const command = commandOf('EMITIR_NOTA_FISCAL', 11, { valor_centavos: TOTAL, itens: ITENS });
        await h.send(command);
        const [answer] = await h.waitForAnswers(11, 1);
        assert.equal(answer?.messageId, 'fiscal:11:NOTA_FISCAL_EMITIDA');
        const event = eventOfType(answer, 'NOTA_FISCAL_EMITIDA');
        assert.equal(event.trace_id, command.trace_id);
        assert.equal(event.dados.nota.pedido_id, 11);
        assert.equal(event.dados.nota.valor_centavos, TOTAL);
        assert.equal(parseNumeroNf(event.dados.nota.numero)?.pedido_id, 11);
        assert.match(event.dados.nota.chave_acesso, /^\d{44}$/);
        assert.ok(
          h.lines.some((l) =>
            l.includes('Comando EMITIR_NOTA_FISCAL do pedido 11 processado: NOTA_FISCAL_EMITIDA'),
          ),
        );
      });

      test('when one command is delivered twice at once and again later, then one invoice and one answer', async () => {
        const command = commandOf('EMITIR_NOTA_FISCAL', 21, { valor_centavos: TOTAL, itens: ITENS });
        step.overlap(21, 2);
        await Promise.all([h.send(command), h.send(command)]);
        await h.waitForDeliveries(21, 2);
        assert.equal(step.runs(21), 2, 'both deliveries ran the step');
        const operacoes = await operationsOf(opened.database.db, 21);
        assert.deepEqual(
          operacoes.map((o) => o.operacao),
          ['nota_fiscal_emitida'],
        );

        await h.send(command);
        await h.waitForDeliveries(21, 3);
        assert.equal(step.runs(21), 2, 'the late redelivery was skipped');
        assert.equal(await notasOf(opened, 21), 1);
        assert.deepEqual(await operationsOf(opened.database.db, 21), operacoes);
        assert.equal(h.answersOf(21).length, 1);
      });

      test('when the step fails transiently, then the command is retried and then answered', async () => {
        step.failNext(31);
        await h.send(commandOf('EMITIR_NOTA_FISCAL', 31, { valor_centavos: TOTAL, itens: ITENS }));
        const [answer] = await h.waitForAnswers(31, 1);
        eventOfType(answer, 'NOTA_FISCAL_EMITIDA');
        assert.equal(step.runs(31), 2);
        assert.equal(await notasOf(opened, 31), 1);
        assert.ok(h.lines.some((l) => l.includes('EMITIR_NOTA_FISCAL do pedido 31 (tentativa 1 de 8)')));
      });

      test('when the total contradicts the lines, then ETAPA_RECUSADA answers validation-failed and nothing is issued', async () => {
        await h.send(commandOf('EMITIR_NOTA_FISCAL', 41, { valor_centavos: TOTAL + 1, itens: ITENS }));
        const [answer] = await h.waitForAnswers(41, 1);
        assert.equal(answer?.messageId, 'fiscal:41:ETAPA_RECUSADA:EMITIR_NOTA_FISCAL');
        const refusal = eventOfType(answer, 'ETAPA_RECUSADA');
        assert.equal(refusal.dados.comando, 'EMITIR_NOTA_FISCAL');
        assert.equal(refusal.dados.codigo, 'validation-failed');
        assert.match(refusal.dados.detalhe, /valor_centavos/);
        assert.equal(await notasOf(opened, 41), 0);
        assert.equal(step.runs(41), 1);
      });

      test('when a message is malformed or a command for another service, then it is dead-lettered at once', async () => {
        await expectDeadLetteredAtOnce(
          h,
          commandOf('AGENDAR_ENVIO', 51, { nota_fiscal_id: 1, numero_nota_fiscal: 'NF1-51' }),
        );
      });
    });
