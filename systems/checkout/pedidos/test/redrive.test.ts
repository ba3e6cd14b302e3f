// Stalled orders recover without an operator (application/redrive.ts): the orchestrator's sweep
// sends again the command an order waits for when a message was lost — a command dropped on its
// way, an answer that never came back, a compensation lost — under a new id; a redriven command
// whose first copy was processed after all changes nothing (the orchestrator's inbox drops the
// second answer); re-sends back off and stop at a limit; orders that progress are never touched;
// two sweepers on PostgreSQL send each owed command once (FOR UPDATE SKIP LOCKED). The step
// services are stood in for (startStepServices) on the command queues, answering as the test steers.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDatabase, sql, type Database, type Engine } from '@dslab/db';
import type { MessageBus } from '@dslab/messaging';
import { openTestAmqpBus } from '@dslab/messaging/testing';
import { ENGINES, TEST_POSTGRES_URL } from '@dslab/testing';
import type { PedidosTables } from '../src/adapters/schema.js';
import type { PedidoDetalhe } from '../src/application/async-checkout.js';
import { createOrchestrator, type Orchestrator } from '../src/application/orchestrator.js';
import {
  answer,
  eventually,
  outboxOf,
  startOrchestrated,
  type AsyncHarness,
  type Orchestrated,
} from './async-support.js';

interface Setup extends Orchestrated {
  /** Waits until order `id` is `status`. */
  reaches(id: number, status: string, timeoutMs?: number): Promise<PedidoDetalhe>;
  row(id: number): Promise<{ tentativas: number; atualizado_em: string; status: string }>;
  /** Waits until pedidos' outbox is empty (a row is deleted just after the bus took it). */
  published(): Promise<void>;
  /** With `pump`: stops publishing pedidos' outbox (the rows wait), or publishes it again. */
  pause(paused: boolean): void;
}

async function setUp(
  engine: Engine,
  options: {
    readonly bus?: MessageBus;
    readonly sweepIntervalMs: number;
    readonly stallAfterMs?: number;
    readonly maxRedrives?: number;
    /** Publish pedidos' outbox by polling drainOnce (so the test can pause it) instead of the relay's loop. */
    readonly pump?: boolean;
  },
): Promise<Setup> {
  const base = await startOrchestrated(engine, {
    ...(options.bus === undefined ? {} : { bus: options.bus }),
    startRelay: options.pump !== true,
    orchestrator: {
      sweepIntervalMs: options.sweepIntervalMs,
      ...(options.stallAfterMs === undefined ? {} : { stallAfterMs: options.stallAfterMs }),
      ...(options.maxRedrives === undefined ? {} : { maxRedrives: options.maxRedrives }),
    },
  });
  const { h } = base;
  let paused = false;
  const pump =
    options.pump === true
      ? setInterval(() => {
          if (!paused) h.relay.drainOnce().catch(() => 0);
        }, 10)
      : undefined;
  const self: Setup = {
    ...base,
    async reaches(id, status, timeoutMs = 15_000) {
      await eventually(
        `order ${id} ${status}`,
        async () => (await self.pedido(id)).status === status,
        timeoutMs,
      );
      return self.pedido(id);
    },
    async row(id) {
      return h.db
        .selectFrom('pedidos')
        .select(['tentativas', 'atualizado_em', 'status'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
    },
    async published() {
      await eventually("pedidos' outbox empty", async () => (await h.relay.pending()) === 0);
    },
    pause(value) {
      paused = value;
    },
    async close() {
      clearInterval(pump);
      await base.close();
    },
  };
  return self;
}

const redriven = (pedido: PedidoDetalhe) => pedido.historico.filter((e) => e.etapa === 'etapa_reenviada');

/** Makes the order look untouched since `msAgo`. */
async function backdate(db: AsyncHarness['db'], ids: readonly number[], msAgo: number): Promise<void> {
  await db
    .updateTable('pedidos')
    .set({ atualizado_em: new Date(Date.now() - msAgo).toISOString() })
    .where('id', 'in', ids)
    .execute();
}

const STALL_AFTER_MS = 600;

function sweeperTests(label: string, engine: Engine, openBus?: () => Promise<MessageBus>) {
  describe(`stalled orders are redriven by the orchestrator's sweep (${label})`, () => {
    let bus: MessageBus | undefined;
    let s: Setup;
    before(async () => {
      bus = await openBus?.();
      s = await setUp(engine, {
        ...(bus === undefined ? {} : { bus }),
        sweepIntervalMs: 50,
        stallAfterMs: STALL_AFTER_MS,
      });
    });
    after(async () => {
      await s.close();
      await bus?.close();
    });

    test('when a command is lost, then after the threshold it is sent again under a new id and the order ships; orders that progress are never redriven', async () => {
      // Set before the order is placed: the saga may run ahead of the 202's response.
      s.steps.react = ({ command }, nth) =>
        command.tipo === 'SEPARAR_ESTOQUE' && nth === 1 ? { kind: 'drop' } : { kind: 'answer' };
      const lost = await s.place();
      await eventually('the reservation is lost', () => s.steps.of(lost, 'SEPARAR_ESTOQUE').length === 1);
      const lostAt = Date.now();
      s.steps.react = () => ({ kind: 'answer' });
      const normal = await Promise.all([s.place(), s.place(), s.place()]);
      const final = await s.reaches(lost, 'enviado');
      assert.ok(Date.now() - lostAt >= STALL_AFTER_MS * 0.9, 'not before the threshold');
      assert.deepEqual(
        s.steps.of(lost, 'SEPARAR_ESTOQUE').map((d) => d.messageId),
        [`pedidos:${lost}:SEPARAR_ESTOQUE`, `pedidos:${lost}:SEPARAR_ESTOQUE:reenvio-1`],
      );
      const [entry, ...more] = redriven(final);
      assert.deepEqual(more, []);
      assert.match(
        entry?.mensagem ?? '',
        new RegExp(
          `^Pedido ${lost} parado em pagamento_aprovado desde \\S+; SEPARAR_ESTOQUE reenviado \\(tentativa 1\\)$`,
        ),
      );
      const resent = s.steps.of(lost, 'SEPARAR_ESTOQUE')[1]?.command;
      const first = s.steps.of(lost, 'SEPARAR_ESTOQUE')[0]?.command;
      assert.deepEqual(resent?.dados, first?.dados, 'the same request as the first time');
      assert.equal(resent?.trace_id, first?.trace_id, "the order's own trace");
      assert.ok(
        s.h.lines.some((l) => l.startsWith('WARN') && l.includes('SEPARAR_ESTOQUE reenviado (tentativa 1)')),
      );
      assert.equal((await s.row(lost)).tentativas, 0, 'moving on starts the count again');

      for (const id of normal) {
        const pedido = await s.reaches(id, 'enviado');
        assert.deepEqual(redriven(pedido), [], `order ${id} progressed and was never redriven`);
        assert.equal(s.steps.of(id).length, 5);
        assert.ok(s.steps.of(id).every((d) => !d.messageId.includes('reenvio')));
      }
    });

    test('when an answer is lost, then the command is sent again (the check, as the answer was never processed) and the order ships', async () => {
      s.steps.react = ({ command }, nth) =>
        command.tipo === 'VERIFICAR_ESTOQUE' && nth === 1
          ? { kind: 'hold' } // answered, and the answer never arrives
          : { kind: 'answer' };
      const id = await s.place();
      await s.reaches(id, 'enviado');
      assert.deepEqual(
        s.steps.of(id, 'VERIFICAR_ESTOQUE').map((d) => d.messageId),
        [`pedidos:${id}:VERIFICAR_ESTOQUE`, `pedidos:${id}:VERIFICAR_ESTOQUE:reenvio-1`],
      );
      assert.equal(s.steps.of(id, 'PROCESSAR_PAGAMENTO').length, 1);
    });

    test('when a compensation command is lost, then it is sent again and the order ends cancelled', async () => {
      s.steps.react = ({ command }, nth) => {
        if (command.tipo === 'SEPARAR_ESTOQUE') return { kind: 'answer', tipo: 'ESTOQUE_INSUFICIENTE' };
        if (command.tipo === 'ESTORNAR_PAGAMENTO' && nth === 1) return { kind: 'drop' };
        return { kind: 'answer' };
      };
      const id = await s.place();
      const final = await s.reaches(id, 'cancelado');
      assert.deepEqual(
        s.steps.of(id, 'ESTORNAR_PAGAMENTO').map((d) => d.messageId),
        [`pedidos:${id}:ESTORNAR_PAGAMENTO`, `pedidos:${id}:ESTORNAR_PAGAMENTO:reenvio-1`],
      );
      assert.match(
        redriven(final)[0]?.mensagem ?? '',
        /parado em pagamento_aprovado \(compensação: estoque insuficiente: .*\) desde .*; ESTORNAR_PAGAMENTO reenviado \(tentativa 1\)/,
      );
    });

    test('when the first copy was processed after all, then its late answer is dropped by the inbox and nothing happens twice', async () => {
      s.steps.react = ({ command }, nth) =>
        command.tipo === 'EMITIR_NOTA_FISCAL' && nth === 1
          ? { kind: 'hold' } // processed, the answer is slow
          : { kind: 'answer' };
      const id = await s.place();
      await s.reaches(id, 'enviado');
      const late = s.steps.held.find((m) => m.event.pedido_id === id);
      assert.ok(late !== undefined);
      assert.equal(late.messageId, `fiscal:${id}:NOTA_FISCAL_EMITIDA`, 'both copies answer under one id');
      await s.steps.publish(late.event);
      await eventually('the late answer is seen', () =>
        s.h.lines.some((l) => l.includes(`Evento NOTA_FISCAL_EMITIDA do pedido ${id} já processado`)),
      );
      assert.deepEqual(await s.orchestrator.process(late.messageId, late.event), { kind: 'duplicate' });
      const final = await s.pedido(id);
      assert.equal(final.status, 'enviado');
      assert.equal(final.historico.filter((e) => e.etapa === 'nota_fiscal_emitida').length, 1);
      assert.equal(s.steps.of(id, 'AGENDAR_ENVIO').length, 1, 'the next step was asked once');
    });
  });
}

for (const engine of ENGINES) {
  sweeperTests(`in-process bus, ${engine}`, engine);

  describe(`redriveStalled: back-off, limit and what is passed over (${engine})`, () => {
    let s: Setup;
    before(async () => {
      s = await setUp(engine, { sweepIntervalMs: 0, maxRedrives: 2, pump: true });
    });
    after(() => s.close());

    test('when a step never answers, then each re-send waits twice as long, and after the limit the order is left to an operator, once', async () => {
      s.steps.react = ({ command }) =>
        command.tipo === 'VERIFICAR_ESTOQUE' ? { kind: 'drop' } : { kind: 'answer' };
      const id = await s.place();
      await eventually('the first check', () => s.steps.of(id, 'VERIFICAR_ESTOQUE').length === 1);
      await s.published();
      // Each sweep once the last re-send left the outbox (one still there is not lost: passed over).
      const sweep = async () => {
        await s.published();
        return s.orchestrator.redriveStalled({ olderThanMs: 60_000 });
      };

      assert.deepEqual(await sweep(), { redriven: 0, abandoned: 0, waiting: 0 }, 'fresh: untouched');
      await backdate(s.h.db, [id], 61_000);
      assert.deepEqual(await sweep(), { redriven: 1, abandoned: 0, waiting: 0 });
      assert.equal((await s.row(id)).tentativas, 1);
      await backdate(s.h.db, [id], 61_000);
      assert.equal((await sweep()).redriven, 0, 'after one re-send it waits 2 × the threshold');
      await backdate(s.h.db, [id], 121_000);
      assert.deepEqual(await sweep(), { redriven: 1, abandoned: 0, waiting: 0 });
      await backdate(s.h.db, [id], 241_000);
      assert.deepEqual(await sweep(), { redriven: 0, abandoned: 1, waiting: 0 }, 'the limit (2) was reached');
      await backdate(s.h.db, [id], 3_600_000);
      assert.deepEqual(await sweep(), { redriven: 0, abandoned: 0, waiting: 0 }, 'never looked at again');
      await eventually('the re-sends arrive', () => s.steps.of(id, 'VERIFICAR_ESTOQUE').length === 3);
      assert.deepEqual(
        s.steps.of(id, 'VERIFICAR_ESTOQUE').map((d) => d.messageId),
        [
          `pedidos:${id}:VERIFICAR_ESTOQUE`,
          `pedidos:${id}:VERIFICAR_ESTOQUE:reenvio-1`,
          `pedidos:${id}:VERIFICAR_ESTOQUE:reenvio-2`,
        ],
      );
      const pedido = await s.pedido(id);
      assert.deepEqual(
        pedido.historico.map((e) => e.etapa),
        [
          'pedido_criado',
          'estoque_verificacao_solicitada',
          'etapa_reenviada',
          'etapa_reenviada',
          'reenvio_esgotado',
        ],
      );
      const errors = s.h.lines.filter((l) => l.startsWith('ERROR') && l.includes(`Pedido ${id} parado`));
      assert.equal(errors.length, 1);
      assert.match(errors[0] ?? '', /VERIFICAR_ESTOQUE já reenviado 2 vez\(es\) sem resposta/);

      // An operator (or a late answer) moves it on: the count starts again and the saga goes on.
      const verificar = s.steps.of(id, 'VERIFICAR_ESTOQUE')[0]?.command;
      assert.ok(verificar !== undefined);
      s.steps.react = () => ({ kind: 'answer' });
      await s.steps.publish(answer(verificar, 'ESTOQUE_VERIFICADO'));
      await s.reaches(id, 'enviado');
      assert.equal((await s.row(id)).tentativas, 0);
    });

    test('when the message of a stalled order still waits in the outbox, then it is not lost: the order is passed over', async () => {
      s.pause(true);
      try {
        const id = await s.place();
        await backdate(s.h.db, [id], 3_600_000);
        assert.deepEqual(await s.orchestrator.redriveStalled({ olderThanMs: 1000 }), {
          redriven: 0,
          abandoned: 0,
          waiting: 1,
        });
        assert.deepEqual(
          (await outboxOf(s.h.db)).map((m) => m.mensagem_id),
          [`pedidos:${id}:PEDIDO_CRIADO`],
        );
      } finally {
        s.pause(false);
      }
    });

    test('when the sweep runs with olderThanMs 0 (the embedded start-up), then every order that is not final is redriven once, and none twice', async () => {
      s.steps.react = () => ({ kind: 'drop' });
      const ids = await Promise.all([s.place(), s.place()]);
      await eventually('both checks sent', () => ids.every((id) => s.steps.of(id).length === 1));
      await s.published();
      assert.ok((await s.orchestrator.redriveStalled({ olderThanMs: 0 })).redriven >= 2);
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok(
        (await s.orchestrator.redriveStalled({ olderThanMs: 0 })).redriven >= 2,
        'a second start-up: again',
      );
      await eventually('the re-sends arrive', () => ids.every((id) => s.steps.of(id).length === 3));
      for (const id of ids) {
        assert.equal((await s.row(id)).tentativas, 2);
        assert.deepEqual(
          s.steps.of(id).map((d) => d.messageId),
          [
            `pedidos:${id}:VERIFICAR_ESTOQUE`,
            `pedidos:${id}:VERIFICAR_ESTOQUE:reenvio-1`,
            `pedidos:${id}:VERIFICAR_ESTOQUE:reenvio-2`,
          ],
        );
      }
      s.steps.react = () => ({ kind: 'answer' });
    });
  });
}

sweeperTests('RabbitMQ, postgres', 'postgres', () => openTestAmqpBus());

describe('two sweepers at once on PostgreSQL', () => {
  let s: Setup;
  let second: Database<PedidosTables>;
  let other: Orchestrator;
  before(async () => {
    s = await setUp('postgres', { sweepIntervalMs: 0, pump: true });
    second = await openDatabase<PedidosTables>({
      engine: 'postgres',
      url: TEST_POSTGRES_URL,
      schema: s.h.database.schema ?? '',
      poolSize: 4,
    });
    // Another worker process's orchestrator: its own connections, the same orders.
    other = createOrchestrator({
      database: second,
      bus: s.h.bus,
      relay: s.h.relay,
      logger: s.h.logger,
      queuePrefix: s.h.prefix,
      sweepIntervalMs: 0,
    });
  });
  after(async () => {
    await second.close();
    await s.close();
  });

  test('when two sweep the same stalled orders at once, then each owed command is enqueued once per round', async () => {
    s.steps.react = () => ({ kind: 'drop' });
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) ids.push(await s.place());
    // The checks are lost: the orders wait for their first step forever.
    await eventually('every check lost', () => ids.every((id) => s.steps.of(id).length === 1));
    s.pause(true);

    for (const round of [1, 2]) {
      await backdate(s.h.db, ids, 3_600_000);
      const results = await Promise.all([
        s.orchestrator.redriveStalled({ olderThanMs: 1000 }),
        other.redriveStalled({ olderThanMs: 1000 }),
        s.orchestrator.redriveStalled({ olderThanMs: 1000 }),
        other.redriveStalled({ olderThanMs: 1000 }),
      ]);
      assert.equal(
        results.reduce((sum, r) => sum + r.redriven, 0),
        ids.length,
        `round ${round}: ${JSON.stringify(results)}`,
      );
      const outbox = (await outboxOf(s.h.db)).map((m) => m.mensagem_id);
      assert.deepEqual(
        outbox.toSorted(),
        ids.map((id) => `pedidos:${id}:VERIFICAR_ESTOQUE:reenvio-${round}`).toSorted(),
      );
      const { rows } = await sql<{ pedido_id: number | string; n: number | string }>`
        SELECT pedido_id, COUNT(*) AS n FROM operacoes WHERE operacao = 'etapa_reenviada' GROUP BY pedido_id
      `.execute(s.h.db);
      assert.equal(rows.length, ids.length);
      assert.ok(rows.every((r) => Number(r.n) === round));
      while ((await s.h.relay.pending()) > 0) await s.h.relay.drainOnce();
    }
    s.pause(false);
  });
});
