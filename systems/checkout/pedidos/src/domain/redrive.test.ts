import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMAND_TYPES, parseMessage, type Event } from '@dslab/checkout-contracts/messages';
import type { CompensationAction } from './compensation.js';
import {
  exhaustedMessage,
  owedCommandOf,
  owedStepOf,
  redriveMessage,
  redriveMessageId,
  stallThresholdMs,
} from './redrive.js';
import { AT, ENVELOPE, ID, ITENS, owing, SAMPLES, sagaState, TRACE } from './saga.fixture.js';
import { decideSaga, type SagaState } from './saga.js';
import { PEDIDO_STATUSES } from './status.js';

const notChecked = { stockChecked: false };
const checked = { stockChecked: true };

describe('owedCommandOf: the command a stalled order waits for', () => {
  test('pendente before the availability answer: VERIFICAR_ESTOQUE with the lines (no prices)', () => {
    const command = owedCommandOf(sagaState('pendente'), notChecked, ENVELOPE);
    assert.deepEqual(command, {
      tipo: 'VERIFICAR_ESTOQUE',
      pedido_id: ID,
      trace_id: TRACE,
      emitido_em: AT,
      dados: {
        itens: [
          { produto_id: 1, quantidade: 2 },
          { produto_id: 2, quantidade: 1 },
        ],
      },
    });
  });

  test('pendente once the availability answer was processed: PROCESSAR_PAGAMENTO with the total and method', () => {
    const command = owedCommandOf(sagaState('pendente'), checked, ENVELOPE);
    assert.equal(command?.tipo, 'PROCESSAR_PAGAMENTO');
    assert.deepEqual(command.dados, { valor_centavos: 4550, metodo: 'pix' });
  });

  test('pagamento_aprovado: SEPARAR_ESTOQUE', () => {
    const command = owedCommandOf(sagaState('pagamento_aprovado'), checked, ENVELOPE);
    assert.equal(command?.tipo, 'SEPARAR_ESTOQUE');
    assert.deepEqual(command.dados, {
      itens: [
        { produto_id: 1, quantidade: 2 },
        { produto_id: 2, quantidade: 1 },
      ],
    });
  });

  test('em_separacao: EMITIR_NOTA_FISCAL with the priced lines', () => {
    const command = owedCommandOf(sagaState('em_separacao'), checked, ENVELOPE);
    assert.equal(command?.tipo, 'EMITIR_NOTA_FISCAL');
    assert.deepEqual(command.dados, { valor_centavos: 4550, itens: ITENS });
  });

  test('nf_emitida: AGENDAR_ENVIO with the stored nota fiscal (also after a refusal: the dispatch is retried)', () => {
    const command = owedCommandOf(sagaState('nf_emitida'), checked, ENVELOPE);
    assert.equal(command?.tipo, 'AGENDAR_ENVIO');
    assert.deepEqual(command.dados, { nota_fiscal_id: 7, numero_nota_fiscal: 'NF7-42' });
  });

  test('nf_emitida without its nota fiscal (a broken row): nothing a re-send could fix', () => {
    const broken = { ...sagaState('nf_emitida'), nota_fiscal_id: null };
    assert.equal(owedStepOf(broken, checked), 'AGENDAR_ENVIO');
    assert.equal(owedCommandOf(broken, checked, ENVELOPE), undefined);
  });

  for (const status of ['enviado', 'entregue', 'cancelado'] as const)
    test(`${status}: nothing (a final status), whatever the facts`, () => {
      for (const facts of [checked, notChecked]) {
        assert.equal(owedStepOf(sagaState(status), facts), undefined);
        assert.equal(owedCommandOf(sagaState(status), facts, ENVELOPE), undefined);
        assert.equal(
          owedCommandOf(sagaState(status, owing(['refund-payment', 'cancel-order'])), facts, ENVELOPE),
          undefined,
        );
      }
    });

  test('a compensation owed: its head action, with the motivo, whatever the status', () => {
    for (const status of ['pendente', 'pagamento_aprovado', 'em_separacao'] as const) {
      const release = owedCommandOf(
        sagaState(status, owing(['release-stock', 'refund-payment', 'cancel-order'])),
        notChecked,
        ENVELOPE,
      );
      assert.equal(release?.tipo, 'LIBERAR_ESTOQUE');
      assert.deepEqual(release.dados, { motivo: 'nota fiscal não emitida: x' });
      const refund = owedCommandOf(
        sagaState(status, owing(['refund-payment', 'cancel-order'])),
        checked,
        ENVELOPE,
      );
      assert.equal(refund?.tipo, 'ESTORNAR_PAGAMENTO');
      assert.deepEqual(refund.dados, { motivo: 'nota fiscal não emitida: x' });
    }
  });

  test('a compensation whose head is the cancel (done by the saga itself) or empty: nothing', () => {
    for (const pendentes of [['cancel-order'], []] as CompensationAction[][]) {
      assert.equal(owedStepOf(sagaState('pagamento_aprovado', owing(pendentes)), checked), undefined);
      assert.equal(
        owedCommandOf(sagaState('pagamento_aprovado', owing(pendentes)), checked, ENVELOPE),
        undefined,
      );
    }
  });

  test('every command owed is a well-formed message', () => {
    for (const status of PEDIDO_STATUSES)
      for (const facts of [checked, notChecked]) {
        const command = owedCommandOf(sagaState(status), facts, ENVELOPE);
        if (command === undefined) continue;
        const parsed = parseMessage(JSON.stringify(command));
        assert.ok(parsed.ok, `${status}: ${parsed.ok ? '' : parsed.reason}`);
      }
  });
});

describe('owedCommandOf agrees with the saga: what it sends is what the order then waits for', () => {
  const cases: readonly (readonly [SagaState, string, boolean])[] = [
    [sagaState('pendente'), 'PEDIDO_CRIADO', false],
    [sagaState('pendente'), 'ESTOQUE_VERIFICADO disponivel', true],
    [sagaState('pendente'), 'PAGAMENTO_PROCESSADO aprovado', true],
    [sagaState('pagamento_aprovado'), 'ESTOQUE_SEPARADO', true],
    [sagaState('pagamento_aprovado'), 'ESTOQUE_INSUFICIENTE', true],
    [sagaState('em_separacao'), 'NOTA_FISCAL_EMITIDA', true],
    ...COMMAND_TYPES.filter((c) => c !== 'ESTORNAR_PAGAMENTO' && c !== 'LIBERAR_ESTOQUE').map(
      (comando) =>
        [
          sagaState(
            comando === 'VERIFICAR_ESTOQUE' || comando === 'PROCESSAR_PAGAMENTO'
              ? 'pendente'
              : comando === 'SEPARAR_ESTOQUE'
                ? 'pagamento_aprovado'
                : comando === 'EMITIR_NOTA_FISCAL'
                  ? 'em_separacao'
                  : 'nf_emitida',
          ),
          `ETAPA_RECUSADA ${comando}`,
          comando !== 'VERIFICAR_ESTOQUE',
        ] as const,
    ),
    [
      sagaState('em_separacao', owing(['release-stock', 'refund-payment', 'cancel-order'])),
      'ESTOQUE_LIBERADO',
      true,
    ],
  ];

  for (const [before, sample, stockChecked] of cases)
    test(`${before.status}${before.compensacao === null ? '' : ` owing ${before.compensacao.pendentes.join(',')}`} + ${sample}`, () => {
      const received = SAMPLES[sample] as Event;
      const decision = decideSaga(before, received, { at: AT });
      assert.equal(decision.kind, 'apply');
      const { fields } = decision;
      const after: SagaState = {
        ...before,
        status: decision.to ?? before.status,
        compensacao: fields.compensacao === undefined ? before.compensacao : fields.compensacao,
        nota_fiscal_id: fields.nota_fiscal_id ?? before.nota_fiscal_id,
        numero_nota_fiscal: fields.numero_nota_fiscal ?? before.numero_nota_fiscal,
      };
      const owed = owedCommandOf(after, { stockChecked }, { traceId: received.trace_id, at: AT });
      const sent = decision.commands[0];
      if (sent !== undefined) assert.deepEqual(owed, sent);
      else if (after.status === 'nf_emitida') assert.equal(owed?.tipo, 'AGENDAR_ENVIO');
      else assert.equal(owed, undefined, `${after.status}: nothing is sent, so nothing is owed`);
    });
});

describe('back-off, ids and history lines of a redrive', () => {
  test('the threshold doubles with each re-send of a step, up to 64 ×', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 6, 7, 10].map((t) => stallThresholdMs(1000, t)),
      [1000, 2000, 4000, 8000, 64_000, 64_000, 64_000],
    );
    assert.equal(stallThresholdMs(0, 5), 0);
  });

  test('a re-send has an id of its own, so the step worker does not skip it', () => {
    const command = owedCommandOf(sagaState('pagamento_aprovado'), checked, ENVELOPE);
    assert.ok(command !== undefined);
    assert.equal(redriveMessageId(command, 2), `pedidos:${ID}:SEPARAR_ESTOQUE:reenvio-2`);
  });

  test('the history lines say where the order stalled, since when, and what was sent', () => {
    const stalled = sagaState('pagamento_aprovado');
    const command = owedCommandOf(stalled, checked, ENVELOPE);
    assert.ok(command !== undefined);
    assert.equal(
      redriveMessage(stalled, command, '2030-01-01T11:00:00.000Z', 2),
      `Pedido ${ID} parado em pagamento_aprovado desde 2030-01-01T11:00:00.000Z; SEPARAR_ESTOQUE reenviado (tentativa 2)`,
    );
    const compensating = sagaState('pagamento_aprovado', owing(['refund-payment', 'cancel-order']));
    assert.match(
      redriveMessage(compensating, command, 'ontem', 1),
      /parado em pagamento_aprovado \(compensação: nota fiscal não emitida: x\) desde ontem/,
    );
    assert.match(
      exhaustedMessage(stalled, 'SEPARAR_ESTOQUE', 'ontem', 10),
      /SEPARAR_ESTOQUE já reenviado 10 vez\(es\) sem resposta; .*aguardando intervenção/,
    );
  });
});
