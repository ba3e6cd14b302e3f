import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SeparacaoValue } from '@dslab/checkout-contracts';
import type { Command } from '@dslab/checkout-contracts/messages';
import type { Database } from '@dslab/db';
import { AppError } from '@dslab/errors';
import type { Kysely, Migration, Transaction } from 'kysely';
import type { CommonTables } from '../src/database.js';
import { eventFor, isRefusal, type CommandHandler } from '../src/worker.js';
import {
  commandOf,
  countRows,
  describeStepWorker,
  eventOfType,
  expectDeadLetteredAtOnce,
} from '../src/broker-testing.js';

/**
 * The command worker with a toy step whose effect is one row per order (idempotent like the real
 * services'), so the tests can count effects, handler runs and answers independently.
 */

interface ToyTables extends CommonTables {
  efeitos: { pedido_id: number; registrado_em: string };
}

const toyMigrations = (): Record<string, Migration> => ({
  '0100_efeitos': {
    async up(db) {
      await db.schema
        .createTable('efeitos')
        .addColumn('pedido_id', 'bigint', (c) => c.primaryKey())
        .addColumn('registrado_em', 'text', (c) => c.notNull())
        .execute();
    },
  },
});

/** The toy step (the suite's `steerable` counts its runs, overlaps them, fails them transiently). */
class ToyStep {
  /** Orders the step refuses (validation-failed). */
  readonly refuse = new Set<number>();

  constructor(private readonly db: Kysely<ToyTables>) {}

  readonly handle: CommandHandler = async (command, _ctx) => {
    const id = command.pedido_id;
    if (this.refuse.has(id)) throw new AppError('validation-failed', `o pedido ${id} não serve`);
    await this.db
      .insertInto('efeitos')
      .values({ pedido_id: id, registrado_em: new Date().toISOString() })
      .onConflict((oc) => oc.column('pedido_id').doNothing())
      .execute();
    const separacao: SeparacaoValue = {
      pedido_id: id,
      status: 'separado',
      itens: [{ produto_id: 1, quantidade: 1 }],
      mensagem: `separado ${id}`,
    };
    return eventFor(command, 'ESTOQUE_SEPARADO', { separacao });
  };
}

/**
 * The database as the worker sees it, whose next `failures` transactions fail after their work
 * ran (and roll back): a worker that crashed after the step's effect, before its answer committed.
 */
function failingReplies<DB>(database: Database<DB>): { database: Database<DB>; failNext(n: number): void } {
  let failures = 0;
  const db = new Proxy(database.db, {
    get(target, property) {
      if (property === 'transaction' && failures > 0)
        return () => ({
          execute: <T>(work: (trx: Transaction<DB>) => Promise<T>) =>
            target.transaction().execute(async (trx) => {
              const result = await work(trx);
              if (failures > 0) {
                failures--;
                throw new Error('queda simulada entre o efeito e a resposta');
              }
              return result;
            }),
        });
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    database: { ...database, db },
    failNext(n) {
      failures = n;
    },
  };
}

function separar(pedidoId: number, traceId?: string): Command {
  return commandOf('SEPARAR_ESTOQUE', pedidoId, { itens: [{ produto_id: 1, quantidade: 1 }] }, traceId);
}

describe('isRefusal', () => {
  test('when a step answers a 4xx, then it is a refusal, except the codes that say "not now"', () => {
    assert.equal(isRefusal(new AppError('validation-failed', 'x')), true);
    assert.equal(isRefusal(new AppError('reservation-conflict', 'x')), true);
    assert.equal(isRefusal(new AppError('idempotency-key-reused', 'x')), true);
    assert.equal(isRefusal(new AppError('rate-limited', 'x')), false);
    assert.equal(isRefusal(new AppError('idempotency-in-progress', 'x')), false);
    assert.equal(isRefusal(new AppError('timeout', 'x')), false);
    assert.equal(isRefusal(new AppError('unavailable', 'x')), false);
    assert.equal(isRefusal(new Error('x')), false);
  });
});

describeStepWorker(
  {
    service: 'estoque',
    title: 'command worker',
    migrations: toyMigrations,
    build: (database: Database<ToyTables>) => {
      const faults = failingReplies(database);
      const toy = new ToyStep(database.db);
      return { handle: toy.handle, workerDatabase: faults.database, toy, faults };
    },
    maxAttempts: 3,
  },
  (s) => {
    test('when a command arrives, then its answer reaches pedidos with the deterministic id and the trace id is logged', async () => {
      const { h } = s;
      const command = separar(101);
      await h.send(command);
      const [answer] = await h.waitForAnswers(101, 1);
      assert.equal(answer?.messageId, 'estoque:101:ESTOQUE_SEPARADO');
      const event = eventOfType(answer, 'ESTOQUE_SEPARADO');
      assert.equal(event.trace_id, command.trace_id);
      assert.equal(event.dados.separacao.pedido_id, 101);
      const line = h.lines.find((l) =>
        l.includes('Comando SEPARAR_ESTOQUE do pedido 101 processado: ESTOQUE_SEPARADO'),
      );
      assert.ok(line !== undefined, h.lines.join('\n'));
      assert.ok(line.includes(command.trace_id), line);
      assert.equal(await countRows(s.database, 'efeitos', 101), 1);
    });

    test('when a command is delivered again after it was answered, then the step does not run again and nothing more is sent', async () => {
      const { h } = s;
      const command = separar(102);
      await h.send(command);
      await h.waitForDeliveries(102, 1);
      await h.send(command);
      await h.waitForDeliveries(102, 2);
      assert.equal(s.step.runs(102), 1);
      assert.equal(h.answersOf(102).length, 1);
      assert.ok(h.lines.some((l) => l.includes('Comando SEPARAR_ESTOQUE do pedido 102 já processado')));
    });

    test('when a duplicate is delivered while the first is in flight, then both run the step, one effect, one answer', async () => {
      const { h, step } = s;
      step.overlap(103, 2);
      const command = separar(103);
      await Promise.all([h.send(command), h.send(command)]);
      await h.waitForDeliveries(103, 2);
      assert.equal(step.runs(103), 2);
      assert.equal(await countRows(s.database, 'efeitos', 103), 1);
      assert.equal(h.answersOf(103).length, 1);
      assert.ok(h.lines.some((l) => l.includes('do pedido 103 já respondido por outra entrega')));
    });

    test('when the worker fails between the effect and the answer, then the retry replays the step and exactly one answer is sent', async () => {
      const { h, database } = s;
      const inboxBefore = await countRows(database, 'mensagens_processadas');
      s.subject.faults.failNext(1);
      await h.send(separar(104));
      await h.waitForDeliveries(104, 1);
      assert.equal(s.step.runs(104), 2, 'the first delivery failed after the effect; the retry ran it again');
      assert.equal(await countRows(s.database, 'efeitos', 104), 1);
      assert.equal(h.answersOf(104).length, 1);
      assert.equal(await countRows(database, 'mensagens_processadas'), inboxBefore + 1);
      assert.equal(await countRows(database, 'outbox'), 0);
      assert.ok(
        h.lines.some((l) => l.includes('do pedido 104 (tentativa 1 de 3)')),
        h.lines.join('\n'),
      );
    });

    test('when the service refuses the step, then pedidos gets ETAPA_RECUSADA with the code and nothing is retried', async () => {
      const { h } = s;
      s.subject.toy.refuse.add(105);
      await h.send(separar(105));
      const [answer] = await h.waitForAnswers(105, 1);
      assert.equal(answer?.messageId, 'estoque:105:ETAPA_RECUSADA:SEPARAR_ESTOQUE');
      const event = eventOfType(answer, 'ETAPA_RECUSADA');
      assert.deepEqual(event.dados, {
        comando: 'SEPARAR_ESTOQUE',
        codigo: 'validation-failed',
        detalhe: 'o pedido 105 não serve',
      });
      assert.equal(s.step.runs(105), 1);
    });

    test('when the step keeps failing, then the command is retried up to maxAttempts and dead-lettered', async () => {
      const { h, step } = s;
      step.failNext(106, h.maxAttempts);
      const id = await h.send(separar(106));
      const dead = await h.waitForDeadLetter(id);
      assert.match(dead.reason, /falha simulada no pedido 106/);
      assert.equal(step.runs(106), 3);
      assert.equal(h.answersOf(106).length, 0);
    });

    test('when a message cannot be this service command, then it is dead-lettered at once and the step never runs', async () => {
      const paraOutro = commandOf('EMITIR_NOTA_FISCAL', 107, {
        valor_centavos: 100,
        itens: [{ produto_id: 1, quantidade: 1, preco_unitario_centavos: 100 }],
      });
      await expectDeadLetteredAtOnce(s.h, paraOutro);
      assert.equal(s.step.runs(107), 0);
    });
  },
);
