import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseMessage, type Command, type CommandType, type Event } from '@dslab/checkout-contracts/messages';
import { AT, FALTA, ID, ITENS, owing, SAMPLES, sagaState, sampleEvent, TRACE } from './saga.fixture.js';
import { decideSaga, describeFaltas, parseCompensacao, type Compensacao, type SagaDecision } from './saga.js';
import { PEDIDO_STATUSES, type PedidoStatus } from './status.js';

/** The compensation states an order may be in while it is not final. */
const COMPENSATIONS: readonly (Compensacao | null)[] = [
  null,
  owing(['release-stock', 'refund-payment', 'cancel-order']),
  owing(['refund-payment', 'cancel-order']),
];
const compensationName = (c: Compensacao | null) =>
  c === null ? 'no compensation' : `owing ${c.pendentes[0]}`;

/**
 * The oracle: which (status, compensation head, event sample) fit, and what each leads to:
 * the new status (or '=' for none), then the command sent (or '-').
 */
const FITS: Readonly<Record<string, readonly [PedidoStatus | '=', CommandType | '-']>> = {
  'pendente|none|PEDIDO_CRIADO': ['=', 'VERIFICAR_ESTOQUE'],
  'pendente|none|ESTOQUE_VERIFICADO disponivel': ['=', 'PROCESSAR_PAGAMENTO'],
  'pendente|none|ESTOQUE_VERIFICADO indisponivel': ['cancelado', '-'],
  'pendente|none|ETAPA_RECUSADA VERIFICAR_ESTOQUE': ['cancelado', '-'],
  'pendente|none|PAGAMENTO_PROCESSADO aprovado': ['pagamento_aprovado', 'SEPARAR_ESTOQUE'],
  'pendente|none|PAGAMENTO_PROCESSADO rejeitado': ['cancelado', '-'],
  'pendente|none|ETAPA_RECUSADA PROCESSAR_PAGAMENTO': ['cancelado', '-'],
  'pagamento_aprovado|none|ESTOQUE_SEPARADO': ['em_separacao', 'EMITIR_NOTA_FISCAL'],
  'pagamento_aprovado|none|ESTOQUE_INSUFICIENTE': ['=', 'ESTORNAR_PAGAMENTO'],
  'pagamento_aprovado|none|ETAPA_RECUSADA SEPARAR_ESTOQUE': ['=', 'ESTORNAR_PAGAMENTO'],
  'em_separacao|none|NOTA_FISCAL_EMITIDA': ['nf_emitida', 'AGENDAR_ENVIO'],
  'em_separacao|none|ETAPA_RECUSADA EMITIR_NOTA_FISCAL': ['=', 'LIBERAR_ESTOQUE'],
  'nf_emitida|none|ENVIO_AGENDADO': ['enviado', '-'],
  'nf_emitida|none|ETAPA_RECUSADA AGENDAR_ENVIO': ['=', '-'],
};
/** While a compensation is owed, in any status it can be owed in, only its head's answer fits. */
const COMPENSATION_FITS: Readonly<Record<string, readonly [PedidoStatus | '=', CommandType | '-']>> = {
  'release-stock|ESTOQUE_LIBERADO': ['=', 'ESTORNAR_PAGAMENTO'],
  'release-stock|ETAPA_RECUSADA LIBERAR_ESTOQUE': ['=', 'ESTORNAR_PAGAMENTO'],
  'refund-payment|PAGAMENTO_ESTORNADO': ['cancelado', '-'],
  'refund-payment|ETAPA_RECUSADA ESTORNAR_PAGAMENTO': ['cancelado', '-'],
};

const FINAL: readonly PedidoStatus[] = ['enviado', 'entregue', 'cancelado'];

function expected(
  status: PedidoStatus,
  compensacao: Compensacao | null,
  sample: string,
): readonly [PedidoStatus | '=', CommandType | '-'] | undefined {
  if (FINAL.includes(status)) return undefined;
  if (compensacao === null) return FITS[`${status}|none|${sample}`];
  const want = COMPENSATION_FITS[`${compensacao.pendentes[0] ?? ''}|${sample}`];
  // Past the invoice nothing cancels (status.ts): such a compensation could never be owed there.
  return want?.[0] === 'cancelado' && status === 'nf_emitida' ? undefined : want;
}

function applied(decision: SagaDecision): Extract<SagaDecision, { kind: 'apply' }> {
  assert.equal(decision.kind, 'apply', decision.kind === 'ignore' ? decision.reason : '');
  return decision;
}

describe('the checkout saga', () => {
  test('every event in every status and compensation state: it fits exactly where the saga says, and nowhere else', () => {
    let fitting = 0;
    for (const status of PEDIDO_STATUSES)
      for (const compensacao of COMPENSATIONS)
        for (const [sample, ev] of Object.entries(SAMPLES)) {
          const name = `${status}, ${compensationName(compensacao)}, ${sample}`;
          const decision = decideSaga(sagaState(status, compensacao), ev, { at: AT });
          const want = expected(status, compensacao, sample);
          if (want === undefined) {
            assert.equal(decision.kind, 'ignore', name);
            continue;
          }
          fitting++;
          const got = applied(decision);
          assert.equal(got.to ?? '=', want[0], name);
          assert.deepEqual(
            got.commands.map((c) => c.tipo),
            want[1] === '-' ? [] : [want[1]],
            name,
          );
          assert.ok(got.history.operacao.length > 0 && got.history.mensagem.includes(String(ID)), name);
        }
    assert.ok(fitting >= 14, `only ${fitting} fitting cases`);
  });

  test('every command sent is a well-formed message of this order with the event trace and the given time', () => {
    for (const status of PEDIDO_STATUSES)
      for (const compensacao of COMPENSATIONS)
        for (const ev of Object.values(SAMPLES)) {
          const decision = decideSaga(sagaState(status, compensacao), ev, { at: AT });
          if (decision.kind === 'ignore') continue;
          for (const command of decision.commands) {
            const parsed = parseMessage(JSON.stringify(command));
            assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
            assert.equal(command.pedido_id, ID);
            assert.equal(command.trace_id, TRACE);
            assert.equal(command.emitido_em, AT);
          }
        }
  });

  test('the sample events are well-formed checkout events', () => {
    for (const [name, ev] of Object.entries(SAMPLES)) {
      const parsed = parseMessage(JSON.stringify(ev));
      assert.ok(parsed.ok, `${name}: ${parsed.ok ? '' : parsed.reason}`);
    }
  });

  test('an event of another order is ignored', () => {
    const other = sampleEvent('PEDIDO_CRIADO', { itens: ITENS, valor_total_centavos: 4550 }, ID + 1);
    assert.equal(decideSaga(sagaState('pendente'), other, { at: AT }).kind, 'ignore');
  });

  describe('forward', () => {
    const decide = (status: PedidoStatus, sample: string) =>
      applied(decideSaga(sagaState(status), SAMPLES[sample] as Event, { at: AT }));
    const dados = (command: Command | undefined) => command?.dados as unknown;

    test('PEDIDO_CRIADO asks estoque whether every line is available now', () => {
      const d = decide('pendente', 'PEDIDO_CRIADO');
      assert.deepEqual(dados(d.commands[0]), {
        itens: [
          { produto_id: 1, quantidade: 2 },
          { produto_id: 2, quantidade: 1 },
        ],
      });
      assert.deepEqual(d.fields, {});
      assert.equal(d.history.operacao, 'estoque_verificacao_solicitada');
    });

    test('available stock asks for the payment of the stored total with the stored method', () => {
      const d = decide('pendente', 'ESTOQUE_VERIFICADO disponivel');
      assert.deepEqual(dados(d.commands[0]), { valor_centavos: 4550, metodo: 'pix' });
    });

    test('unavailable stock cancels the order, which holds nothing, naming the shortage', () => {
      const d = decide('pendente', 'ESTOQUE_VERIFICADO indisponivel');
      assert.equal(d.to, 'cancelado');
      assert.equal(d.fields.compensacao, null);
      assert.equal(d.fields.motivo, 'estoque indisponível: produto 2 (solicitado 1, disponível 0)');
      assert.equal(d.history.operacao, 'pedido_cancelado');
      assert.equal(d.history.mensagem, `Pedido ${ID} cancelado: ${d.fields.motivo ?? ''}`);
    });

    test('an approved payment moves to pagamento_aprovado, clears motivo and asks to reserve the lines', () => {
      const d = decide('pendente', 'PAGAMENTO_PROCESSADO aprovado');
      assert.equal(d.fields.motivo, null);
      assert.deepEqual(dados(d.commands[0]), {
        itens: [
          { produto_id: 1, quantidade: 2 },
          { produto_id: 2, quantidade: 1 },
        ],
      });
      assert.equal(d.history.mensagem, `Pagamento aprovado para o pedido ${ID}`);
    });

    test('a rejected payment cancels at once with the gateway message (nothing charged, nothing held)', () => {
      const d = decide('pendente', 'PAGAMENTO_PROCESSADO rejeitado');
      assert.equal(d.to, 'cancelado');
      assert.equal(d.fields.motivo, 'pagamento rejeitado: saldo insuficiente');
      assert.equal(d.fields.compensacao, null);
    });

    test('reserved stock moves to em_separacao and asks for the invoice with the priced lines', () => {
      const d = decide('pagamento_aprovado', 'ESTOQUE_SEPARADO');
      assert.deepEqual(dados(d.commands[0]), { valor_centavos: 4550, itens: ITENS });
      assert.equal(d.history.operacao, 'estoque_separado');
    });

    test('the invoice is stored and the dispatch asked for with its id and number', () => {
      const d = decide('em_separacao', 'NOTA_FISCAL_EMITIDA');
      assert.deepEqual(d.fields, { motivo: null, nota_fiscal_id: 7, numero_nota_fiscal: 'NF7-42' });
      assert.deepEqual(dados(d.commands[0]), { nota_fiscal_id: 7, numero_nota_fiscal: 'NF7-42' });
    });

    test('the dispatch ends the saga: enviado with the tracking code, nothing sent', () => {
      const d = decide('nf_emitida', 'ENVIO_AGENDADO');
      assert.deepEqual(d.fields, { motivo: null, codigo_rastreamento: 'BR123456789PY' });
      assert.equal(d.history.mensagem, `Pedido ${ID} enviado: BR123456789PY`);
    });
  });

  describe('failures and compensations', () => {
    const decide = (status: PedidoStatus, sample: string, compensacao: Compensacao | null = null) =>
      applied(decideSaga(sagaState(status, compensacao), SAMPLES[sample] as Event, { at: AT }));

    test('short stock at reservation refunds first: the compensation is stored with the refund in flight', () => {
      const d = decide('pagamento_aprovado', 'ESTOQUE_INSUFICIENTE');
      const motivo = 'estoque insuficiente: produto 2 (solicitado 1, disponível 0)';
      assert.equal(d.to, undefined);
      assert.deepEqual(d.fields.compensacao, {
        falha: 'stock-unavailable',
        motivo,
        pendentes: ['refund-payment', 'cancel-order'],
      });
      assert.equal(d.fields.motivo, motivo);
      assert.deepEqual(d.commands[0]?.dados, { motivo });
      assert.equal(d.history.operacao, 'compensacao_iniciada');
      assert.equal(d.level, 'warn');
    });

    test('a refused invoice releases the stock, then refunds, then cancels', () => {
      const first = decide('em_separacao', 'ETAPA_RECUSADA EMITIR_NOTA_FISCAL');
      const owed = first.fields.compensacao ?? assert.fail('a compensation is owed');
      assert.equal(owed.falha, 'invoice-failed');
      assert.deepEqual(owed.pendentes, ['release-stock', 'refund-payment', 'cancel-order']);
      assert.equal(first.commands[0]?.tipo, 'LIBERAR_ESTOQUE');

      const second = decide('em_separacao', 'ESTOQUE_LIBERADO', owed);
      assert.deepEqual(second.fields.compensacao?.pendentes, ['refund-payment', 'cancel-order']);
      assert.equal(second.commands[0]?.tipo, 'ESTORNAR_PAGAMENTO');
      assert.equal(second.history.operacao, 'estoque_liberado');

      const third = decide('em_separacao', 'PAGAMENTO_ESTORNADO', second.fields.compensacao ?? null);
      assert.equal(third.to, 'cancelado');
      assert.equal(third.fields.compensacao, null);
      assert.equal(third.fields.motivo, owed.motivo);
      assert.equal(third.history.operacao, 'pedido_cancelado');
    });

    test('a refused compensation command is noted in motivo and the next action runs', () => {
      const owed = owing(['release-stock', 'refund-payment', 'cancel-order']);
      const d = decide('em_separacao', 'ETAPA_RECUSADA LIBERAR_ESTOQUE', owed);
      assert.deepEqual(d.fields.compensacao?.pendentes, ['refund-payment', 'cancel-order']);
      assert.match(
        d.fields.motivo ?? '',
        /^nota fiscal não emitida: x; liberação de estoque recusada: recusado$/,
      );
      assert.equal(d.commands[0]?.tipo, 'ESTORNAR_PAGAMENTO');
      assert.equal(d.history.operacao, 'compensacao_recusada');

      const last = decide('em_separacao', 'ETAPA_RECUSADA ESTORNAR_PAGAMENTO', d.fields.compensacao ?? null);
      assert.equal(last.to, 'cancelado');
      assert.match(
        last.fields.motivo ?? '',
        /liberação de estoque recusada: recusado; estorno recusado: recusado$/,
      );
    });

    test('a refused payment or stock check cancels; a refused reservation refunds', () => {
      assert.match(
        decide('pendente', 'ETAPA_RECUSADA PROCESSAR_PAGAMENTO').fields.motivo ?? '',
        /^pagamento recusado/,
      );
      assert.match(
        decide('pendente', 'ETAPA_RECUSADA VERIFICAR_ESTOQUE').fields.motivo ?? '',
        /^verificação de estoque recusada/,
      );
      const d = decide('pagamento_aprovado', 'ETAPA_RECUSADA SEPARAR_ESTOQUE');
      assert.equal(d.fields.compensacao?.falha, 'stock-unavailable');
    });

    test('a refused dispatch keeps the sale (nf_emitida) with its motivo, logged as an error', () => {
      const d = decide('nf_emitida', 'ETAPA_RECUSADA AGENDAR_ENVIO');
      assert.equal(d.to, undefined);
      assert.match(d.fields.motivo ?? '', /^envio recusado/);
      assert.equal(d.fields.compensacao, undefined);
      assert.equal(d.level, 'error');
    });

    test('a forward answer arriving while a compensation runs changes nothing', () => {
      const owed = owing(['refund-payment', 'cancel-order']);
      for (const sample of [
        'ESTOQUE_SEPARADO',
        'NOTA_FISCAL_EMITIDA',
        'ESTOQUE_LIBERADO',
        'ETAPA_RECUSADA LIBERAR_ESTOQUE',
      ])
        assert.equal(
          decideSaga(sagaState('em_separacao', owed), SAMPLES[sample] as Event, { at: AT }).kind,
          'ignore',
          sample,
        );
    });
  });

  describe('stored compensations', () => {
    test('a stored compensation reads back; null and absent read as none', () => {
      const owed = owing(['refund-payment', 'cancel-order']);
      assert.deepEqual(parseCompensacao(JSON.stringify(owed)), owed);
      assert.equal(parseCompensacao(null), null);
      assert.equal(parseCompensacao('null'), null);
    });

    test('a stored value that is not a compensation is reported, not guessed', () => {
      for (const text of [
        '{',
        '{}',
        '{"falha":"x","motivo":"m","pendentes":[]}',
        '{"falha":"payment-rejected","motivo":"m","pendentes":["boom"]}',
      ])
        assert.ok(parseCompensacao(text) !== null && 'invalid' in (parseCompensacao(text) ?? {}), text);
    });

    test('shortages read as one phrase', () => {
      assert.equal(describeFaltas([]), 'sem detalhes');
      assert.equal(
        describeFaltas([FALTA, { produto_id: 3, solicitado: 5, disponivel: 2 }]),
        'produto 2 (solicitado 1, disponível 0), produto 3 (solicitado 5, disponível 2)',
      );
    });
  });
});
