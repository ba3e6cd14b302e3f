import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  messageIdOf,
  queueOf,
  type Command,
  type CommandType,
  type Event,
  type EventType,
} from '@dslab/checkout-contracts/messages';
import type { Engine } from '@dslab/db';
import type { MessageBus } from '@dslab/messaging';
import { openTestAmqpBus, waitForDrain } from '@dslab/messaging/testing';
import { wasProcessed } from '@dslab/outbox';
import { ENGINES } from '@dslab/testing';
import {
  answer,
  eventually,
  startOrchestrated,
  type Orchestrated,
  type StepServices,
} from './async-support.js';

interface Driving extends Orchestrated {
  /** Publishes an event to pedidos' queue under its deterministic id (or `messageId`). */
  send(event: Event, messageId?: string): Promise<string>;
  /** Waits for the command `tipo` of order `id` and answers it. */
  command(id: number, tipo: CommandType): Promise<Command>;
  /** Waits until the orchestrator has processed message `messageId`. */
  processed(messageId: string): Promise<void>;
}

/**
 * The orchestrator over stand-ins of the step services that keep every command and, unless the
 * test says how they answer (`react`), answer nothing: the test replies itself.
 */
async function drive(
  engine: Engine,
  options: { readonly bus?: MessageBus; readonly react?: StepServices['react'] } = {},
): Promise<Driving> {
  const base = await startOrchestrated(engine, {
    ...(options.bus === undefined ? {} : { bus: options.bus }),
    react: options.react ?? (() => ({ kind: 'drop' })),
  });
  return {
    ...base,
    send: (event, messageId) => base.steps.publish(event, messageId),
    async command(id, tipo) {
      let found: Command | undefined;
      await eventually(`${tipo} of order ${id}`, () => {
        found = base.steps.of(id, tipo)[0]?.command;
        return found !== undefined;
      });
      return found as Command;
    },
    async processed(messageId) {
      await eventually(`message ${messageId} processed`, () => wasProcessed(base.h.db, 'pedidos', messageId));
    },
  };
}

/** The commands order `id` was sent, in order. */
const commandsOf = (d: Driving, id: number) => d.steps.of(id).map((delivery) => delivery.command);

/** Answers `command` with `tipo` and waits until the orchestrator applied it. */
async function reply(d: Driving, command: Command, tipo: EventType, overrides: Record<string, unknown> = {}) {
  const event = answer(command, tipo, overrides);
  await d.processed(await d.send(event));
  return event;
}

for (const engine of ENGINES) {
  describe(`pedidos orchestrator, in-process bus (${engine})`, () => {
    let d: Driving;
    before(async () => {
      d = await drive(engine);
    });
    after(() => d.close());

    test('when every step answers, then the order walks the whole saga to enviado, one command at a time', async () => {
      const id = await d.place();
      const verificar = await d.command(id, 'VERIFICAR_ESTOQUE');
      assert.deepEqual(verificar.dados, {
        itens: [
          { produto_id: 1, quantidade: 2 },
          { produto_id: 2, quantidade: 1 },
        ],
      });
      assert.equal((await d.pedido(id)).status, 'pendente');

      await reply(d, verificar, 'ESTOQUE_VERIFICADO');
      const processar = await d.command(id, 'PROCESSAR_PAGAMENTO');
      assert.deepEqual(processar.dados, { valor_centavos: 4550, metodo: 'pix' });

      await reply(d, processar, 'PAGAMENTO_PROCESSADO');
      assert.equal((await d.pedido(id)).status, 'pagamento_aprovado');
      const separar = await d.command(id, 'SEPARAR_ESTOQUE');

      await reply(d, separar, 'ESTOQUE_SEPARADO');
      assert.equal((await d.pedido(id)).status, 'em_separacao');
      const emitir = await d.command(id, 'EMITIR_NOTA_FISCAL');
      assert.deepEqual(emitir.dados, {
        valor_centavos: 4550,
        itens: [
          { produto_id: 1, quantidade: 2, preco_unitario_centavos: 1000 },
          { produto_id: 2, quantidade: 1, preco_unitario_centavos: 2550 },
        ],
      });

      await reply(d, emitir, 'NOTA_FISCAL_EMITIDA');
      const nf = await d.pedido(id);
      assert.equal(nf.status, 'nf_emitida');
      assert.equal(nf.numero_nota_fiscal, `NF${1000 + id}-${id}`);
      const agendar = await d.command(id, 'AGENDAR_ENVIO');
      assert.deepEqual(agendar.dados, {
        nota_fiscal_id: 1000 + id,
        numero_nota_fiscal: `NF${1000 + id}-${id}`,
      });

      await reply(d, agendar, 'ENVIO_AGENDADO');
      const final = await d.pedido(id);
      assert.equal(final.status, 'enviado');
      assert.equal(final.codigo_rastreamento, `BR${String(id).padStart(9, '0')}PY`);
      assert.equal(final.motivo, undefined);
      assert.deepEqual(
        final.historico.map((e) => e.etapa),
        [
          'pedido_criado',
          'estoque_verificacao_solicitada',
          'estoque_verificado',
          'pagamento_aprovado',
          'estoque_separado',
          'nota_fiscal_emitida',
          'pedido_enviado',
        ],
      );
      assert.equal(
        final.historico.at(-1)?.mensagem,
        `Pedido ${id} enviado: ${final.codigo_rastreamento ?? ''}`,
      );

      const mine = commandsOf(d, id);
      assert.deepEqual(
        mine.map((c) => c.tipo),
        [
          'VERIFICAR_ESTOQUE',
          'PROCESSAR_PAGAMENTO',
          'SEPARAR_ESTOQUE',
          'EMITIR_NOTA_FISCAL',
          'AGENDAR_ENVIO',
        ],
      );
      assert.ok(
        mine.every((c) => c.trace_id === verificar.trace_id),
        'one trace id for the whole order',
      );
      assert.deepEqual(
        d.steps.of(id).map((delivery) => delivery.messageId),
        mine.map((c) => `pedidos:${id}:${c.tipo}`),
      );
      assert.ok(d.h.lines.some((l) => l.includes(`Pedido ${id} enviado`)));
    });

    test('when an event is delivered again, then nothing changes and nothing is sent again', async () => {
      const id = await d.place();
      const verificar = await d.command(id, 'VERIFICAR_ESTOQUE');
      const event = await reply(d, verificar, 'ESTOQUE_VERIFICADO');
      await d.command(id, 'PROCESSAR_PAGAMENTO');
      const before = await d.pedido(id);

      await d.send(event);
      await waitForDrain(d.h.bus, [queueOf('pedidos', d.h.prefix)]);
      assert.deepEqual(await d.orchestrator.process(messageIdOf('estoque', event), event), {
        kind: 'duplicate',
      });
      await d.h.relay.drainOnce();
      const after = await d.pedido(id);
      assert.deepEqual(after, before);
      assert.equal(d.steps.of(id, 'PROCESSAR_PAGAMENTO').length, 1);
      assert.ok(d.h.lines.some((l) => l.includes(`ESTOQUE_VERIFICADO do pedido ${id} já processado`)));
    });

    test('when a late event that no longer fits arrives (another id), then it is ignored with a warning', async () => {
      const id = await d.place();
      const verificar = await d.command(id, 'VERIFICAR_ESTOQUE');
      await reply(d, verificar, 'ESTOQUE_VERIFICADO');
      const processar = await d.command(id, 'PROCESSAR_PAGAMENTO');
      const approved = await reply(d, processar, 'PAGAMENTO_PROCESSADO');
      const before = await d.pedido(id);
      const lateId = await d.send(approved, `${messageIdOf('pagamentos', approved)}:copia`);
      await d.processed(lateId);
      assert.deepEqual(await d.pedido(id), before);
      assert.ok(
        d.h.lines.some(
          (l) => l.startsWith('WARN') && l.includes(`PAGAMENTO_PROCESSADO ignorado para o pedido ${id}`),
        ),
      );
      assert.equal(d.steps.of(id, 'SEPARAR_ESTOQUE').length, 1);
    });

    test('when the payment is rejected, then the order is cancelled at once and nothing else is asked', async () => {
      const id = await d.place();
      await reply(d, await d.command(id, 'VERIFICAR_ESTOQUE'), 'ESTOQUE_VERIFICADO');
      const processar = await d.command(id, 'PROCESSAR_PAGAMENTO');
      const rejected = answer(processar, 'PAGAMENTO_PROCESSADO');
      const pagamento = {
        ...(rejected.dados as { pagamento: object }).pagamento,
        sucesso: false,
        status: 'rejeitado',
        mensagem: 'cartão recusado',
      };
      await reply(d, processar, 'PAGAMENTO_PROCESSADO', { pagamento });
      const final = await d.pedido(id);
      assert.equal(final.status, 'cancelado');
      assert.equal(final.motivo, 'pagamento rejeitado: cartão recusado');
      await d.h.relay.drainOnce();
      assert.equal(d.steps.of(id).length, 2);
    });

    test('when stock is short at reservation, then the payment is refunded, then the order cancelled', async () => {
      const id = await d.place();
      await reply(d, await d.command(id, 'VERIFICAR_ESTOQUE'), 'ESTOQUE_VERIFICADO');
      await reply(d, await d.command(id, 'PROCESSAR_PAGAMENTO'), 'PAGAMENTO_PROCESSADO');
      await reply(d, await d.command(id, 'SEPARAR_ESTOQUE'), 'ESTOQUE_INSUFICIENTE');
      const estornar = await d.command(id, 'ESTORNAR_PAGAMENTO');
      const motivo = 'estoque insuficiente: produto 2 (solicitado 1, disponível 0)';
      assert.deepEqual(estornar.dados, { motivo });
      const compensating = await d.pedido(id);
      assert.equal(compensating.status, 'pagamento_aprovado');
      assert.equal(compensating.motivo, motivo);

      await reply(d, estornar, 'PAGAMENTO_ESTORNADO');
      const final = await d.pedido(id);
      assert.equal(final.status, 'cancelado');
      assert.equal(final.motivo, motivo);
      assert.deepEqual(
        final.historico.slice(-2).map((e) => e.etapa),
        ['compensacao_iniciada', 'pedido_cancelado'],
      );
      const row = await d.h.db
        .selectFrom('pedidos')
        .select('compensacao')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.equal(row.compensacao, null);
    });

    test('when the invoice is refused, then stock is released, the refund asked (and its refusal noted), and the order cancelled', async () => {
      const id = await d.place();
      await reply(d, await d.command(id, 'VERIFICAR_ESTOQUE'), 'ESTOQUE_VERIFICADO');
      await reply(d, await d.command(id, 'PROCESSAR_PAGAMENTO'), 'PAGAMENTO_PROCESSADO');
      await reply(d, await d.command(id, 'SEPARAR_ESTOQUE'), 'ESTOQUE_SEPARADO');
      await reply(d, await d.command(id, 'EMITIR_NOTA_FISCAL'), 'ETAPA_RECUSADA');
      await reply(d, await d.command(id, 'LIBERAR_ESTOQUE'), 'ESTOQUE_LIBERADO');
      await reply(d, await d.command(id, 'ESTORNAR_PAGAMENTO'), 'ETAPA_RECUSADA');
      const final = await d.pedido(id);
      assert.equal(final.status, 'cancelado');
      assert.equal(
        final.motivo,
        'nota fiscal não emitida: validation-failed: recusado pelo teste; estorno recusado: recusado pelo teste',
      );
      assert.deepEqual(
        final.historico.slice(-4).map((e) => e.etapa),
        ['estoque_separado', 'compensacao_iniciada', 'estoque_liberado', 'pedido_cancelado'],
      );
    });

    test('when the dispatch is refused, then the order stays nf_emitida with its motivo (the sale stands)', async () => {
      const id = await d.place();
      await reply(d, await d.command(id, 'VERIFICAR_ESTOQUE'), 'ESTOQUE_VERIFICADO');
      await reply(d, await d.command(id, 'PROCESSAR_PAGAMENTO'), 'PAGAMENTO_PROCESSADO');
      await reply(d, await d.command(id, 'SEPARAR_ESTOQUE'), 'ESTOQUE_SEPARADO');
      await reply(d, await d.command(id, 'EMITIR_NOTA_FISCAL'), 'NOTA_FISCAL_EMITIDA');
      await reply(d, await d.command(id, 'AGENDAR_ENVIO'), 'ETAPA_RECUSADA');
      const final = await d.pedido(id);
      assert.equal(final.status, 'nf_emitida');
      assert.match(final.motivo ?? '', /^envio recusado/);
      assert.ok(d.h.lines.some((l) => l.startsWith('ERROR') && l.includes(`Pedido ${id}: envio recusado`)));
    });

    test('what can never be applied goes to the dead-letter queue at once: not JSON, a command, an unknown order', async () => {
      const queue = queueOf('pedidos', d.h.prefix);
      const before = (await d.h.bus.depth(queue)).dead;
      const id = await d.place();
      const verificar = await d.command(id, 'VERIFICAR_ESTOQUE');
      const ghost = { ...answer(verificar, 'ESTOQUE_VERIFICADO'), pedido_id: 999_999 };
      await d.h.bus.publish(queue, { messageId: 'lixo-1', body: 'not an event' });
      await d.h.bus.publish(queue, { messageId: 'comando-1', body: verificar });
      await d.h.bus.publish(queue, { messageId: 'fantasma-1', body: ghost });
      await eventually('three dead letters', async () => (await d.h.bus.depth(queue)).dead === before + 3);
      for (const messageId of ['lixo-1', 'comando-1', 'fantasma-1'])
        assert.equal(await wasProcessed(d.h.db, 'pedidos', messageId), false, messageId);
      const dead = await d.h.bus.peekDeadLetters(queue);
      assert.ok(
        dead.some(
          (l) => l.messageId === 'fantasma-1' && l.attempts === 1 && /999999 não existe/.test(l.reason),
        ),
      );
      assert.equal((await d.pedido(id)).status, 'pendente', 'the real order is untouched');
    });
  });
}

describe('pedidos orchestrator over RabbitMQ (postgres)', () => {
  let bus: MessageBus;
  let d: Driving;
  before(async () => {
    bus = await openTestAmqpBus();
    // Every answer delivered twice, as a redelivering broker would.
    d = await drive('postgres', { bus, react: () => ({ kind: 'answer', copies: 2 }) });
  });
  after(async () => {
    await d.close();
    await bus.close();
  });

  test('when 10 orders run at once and every answer is delivered twice, then each reaches enviado with each command sent once', async () => {
    const ids = await Promise.all(Array.from({ length: 10 }, () => d.place()));
    for (const id of ids)
      await eventually(`order ${id} enviado`, async () => (await d.pedido(id)).status === 'enviado', 30_000);
    await waitForDrain(bus, [queueOf('pedidos', d.h.prefix)]);
    for (const id of ids) {
      const tipos = commandsOf(d, id).map((c) => c.tipo);
      assert.deepEqual(tipos, [
        'VERIFICAR_ESTOQUE',
        'PROCESSAR_PAGAMENTO',
        'SEPARAR_ESTOQUE',
        'EMITIR_NOTA_FISCAL',
        'AGENDAR_ENVIO',
      ]);
      const pedido = await d.pedido(id);
      assert.equal(pedido.historico.filter((e) => e.etapa === 'pedido_enviado').length, 1);
    }
    assert.equal(await d.h.relay.pending(), 0);
  });
});
