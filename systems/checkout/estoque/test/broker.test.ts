import assert from 'node:assert/strict';
import { test } from 'node:test';
import { operationsOf } from '@dslab/checkout-kit';
import type { Database } from '@dslab/db';
import {
  commandOf,
  countRows,
  describeStepWorker,
  eventOfType,
  testStepScenarios,
} from '@dslab/checkout-kit/broker-testing';
import type { EstoqueTables } from '../src/adapters/schema.js';
import { createEstoqueService, estoqueCommandHandler, estoqueMigrations } from '../src/index.js';
import { stockOf, stocksOf } from './support.js';

const STOCK: Record<number, number> = { 1: 10, 2: 5, 3: 0, 4: 50, 5: 50, 6: 50, 7: 50, 8: 50 };

describeStepWorker(
  {
    service: 'estoque',
    migrations: estoqueMigrations,
    build: async (database: Database<EstoqueTables>, logger) => {
      const at = new Date().toISOString();
      await database.db
        .insertInto('estoque')
        .values(
          Object.entries(STOCK).map(([id, quantidade]) => ({
            produto_id: Number(id),
            quantidade,
            atualizado_em: at,
          })),
        )
        .execute();
      return { handle: estoqueCommandHandler(createEstoqueService({ database, logger })) };
    },
  },
  (s) => {
    test('when VERIFICAR_ESTOQUE arrives, then ESTOQUE_VERIFICADO lists the short products (lines summed) and nothing is held', async () => {
      const { h } = s;
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
      assert.deepEqual(await stocksOf(s.database, [1, 2]), [10, 5]);
      assert.deepEqual(await operationsOf(s.database.db, 12), []);
    });

    test('when SEPARAR_ESTOQUE arrives, then the items are held and ESTOQUE_SEPARADO answers; LIBERAR_ESTOQUE gives them back', async () => {
      const { h } = s;
      const command = commandOf('SEPARAR_ESTOQUE', 21, { itens: [{ produto_id: 4, quantidade: 3 }] });
      await h.send(command);
      const [separado] = await h.waitForAnswers(21, 1);
      assert.equal(separado?.messageId, 'estoque:21:ESTOQUE_SEPARADO');
      const event = eventOfType(separado, 'ESTOQUE_SEPARADO');
      assert.equal(event.trace_id, command.trace_id);
      assert.deepEqual(event.dados.separacao.itens, [{ produto_id: 4, quantidade: 3 }]);
      assert.equal(event.dados.separacao.status, 'separado');
      assert.equal(await stockOf(s.database, 4), 47);

      await h.send(commandOf('LIBERAR_ESTOQUE', 21, { motivo: 'pagamento estornado' }));
      const [, liberado] = await h.waitForAnswers(21, 2);
      assert.equal(liberado?.messageId, 'estoque:21:ESTOQUE_LIBERADO');
      const released = eventOfType(liberado, 'ESTOQUE_LIBERADO');
      assert.deepEqual(released.dados.separacao.itens, [{ produto_id: 4, quantidade: 3 }]);
      assert.equal(await stockOf(s.database, 4), 50);
    });

    test('when SEPARAR_ESTOQUE asks for more than there is, then ESTOQUE_INSUFICIENTE carries the shortages and nothing is held', async () => {
      const { h } = s;
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
      assert.deepEqual(await stocksOf(s.database, [1, 3]), [10, 0]);
      assert.equal(await countRows(s.database, 'reservas', 31), 0);
    });

    testStepScenarios(s, {
      redelivered: () =>
        commandOf('SEPARAR_ESTOQUE', 41, {
          itens: [
            { produto_id: 5, quantidade: 2 },
            { produto_id: 6, quantidade: 1 },
          ],
        }),
      retried: () => commandOf('SEPARAR_ESTOQUE', 51, { itens: [{ produto_id: 7, quantidade: 4 }] }),
      answer: 'ESTOQUE_SEPARADO',
      operacao: 'estoque_separado',
      // One reservation, and its products (held by no other test) are short of its items once.
      expectOneEffect: async (database, command) => {
        assert.equal(await countRows(database, 'reservas', command.pedido_id), 1);
        const { itens } = command.dados;
        assert.deepEqual(
          await stocksOf(
            database,
            itens.map((i) => i.produto_id),
          ),
          itens.map((i) => (STOCK[i.produto_id] ?? 0) - i.quantidade),
        );
      },
      foreign: () => commandOf('PROCESSAR_PAGAMENTO', 71, { valor_centavos: 100, metodo: 'pix' }),
    });

    test('when an order already released is asked to separate, then ETAPA_RECUSADA answers reservation-conflict', async () => {
      const { h } = s;
      await h.send(commandOf('LIBERAR_ESTOQUE', 61, { motivo: 'cancelado antes de separar' }));
      await h.waitForAnswers(61, 1);
      await h.send(commandOf('SEPARAR_ESTOQUE', 61, { itens: [{ produto_id: 8, quantidade: 1 }] }));
      const [, answer] = await h.waitForAnswers(61, 2);
      assert.equal(answer?.messageId, 'estoque:61:ETAPA_RECUSADA:SEPARAR_ESTOQUE');
      const refusal = eventOfType(answer, 'ETAPA_RECUSADA');
      assert.equal(refusal.dados.comando, 'SEPARAR_ESTOQUE');
      assert.equal(refusal.dados.codigo, 'reservation-conflict');
      assert.equal(await stockOf(s.database, 8), 50);
    });
  },
);
