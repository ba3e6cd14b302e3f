import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  COMMAND_TARGET,
  COMMAND_TYPES,
  destinationOf,
  EVENT_TYPES,
  isCommand,
  messageIdOf,
  messageOf,
  parseMessage,
  queueOf,
  type Message,
} from '../src/messages.js';

const context = { traceId: '0af7651916cd43dd8448eb211c80319c', at: '2026-12-06T08:00:00.000Z' };

const pagamento = {
  pagamento_id: 7,
  pedido_id: 42,
  sucesso: true,
  status: 'aprovado',
  mensagem: 'ok',
  valor_centavos: 1000,
  metodo: 'pix',
  data_processamento: context.at,
} as const;

/** One valid message of every type: the parser must accept each as it is built. */
const SAMPLES: readonly Message[] = [
  messageOf('VERIFICAR_ESTOQUE', 42, { itens: [{ produto_id: 1, quantidade: 2 }] }, context),
  messageOf('PROCESSAR_PAGAMENTO', 42, { valor_centavos: 1000, metodo: 'pix' }, context),
  messageOf('SEPARAR_ESTOQUE', 42, { itens: [{ produto_id: 1, quantidade: 2 }] }, context),
  messageOf(
    'EMITIR_NOTA_FISCAL',
    42,
    { valor_centavos: 1000, itens: [{ produto_id: 1, quantidade: 2, preco_unitario_centavos: 500 }] },
    context,
  ),
  messageOf('AGENDAR_ENVIO', 42, { nota_fiscal_id: 3, numero_nota_fiscal: 'NF1-42' }, context),
  messageOf('ESTORNAR_PAGAMENTO', 42, { motivo: 'estoque insuficiente' }, context),
  messageOf('LIBERAR_ESTOQUE', 42, { motivo: 'nota recusada' }, context),
  messageOf(
    'PEDIDO_CRIADO',
    42,
    { itens: [{ produto_id: 1, quantidade: 2, preco_unitario_centavos: 500 }], valor_total_centavos: 1000 },
    context,
  ),
  messageOf(
    'ESTOQUE_VERIFICADO',
    42,
    { disponivel: false, faltas: [{ produto_id: 1, solicitado: 2, disponivel: 1 }] },
    context,
  ),
  messageOf('PAGAMENTO_PROCESSADO', 42, { pagamento }, context),
  messageOf(
    'ESTOQUE_SEPARADO',
    42,
    {
      separacao: {
        pedido_id: 42,
        status: 'separado',
        itens: [{ produto_id: 1, quantidade: 2 }],
        mensagem: 'ok',
      },
    },
    context,
  ),
  messageOf(
    'ESTOQUE_INSUFICIENTE',
    42,
    { faltas: [{ produto_id: 1, solicitado: 2, disponivel: 0 }] },
    context,
  ),
  messageOf(
    'NOTA_FISCAL_EMITIDA',
    42,
    {
      nota: {
        nota_fiscal_id: 3,
        pedido_id: 42,
        numero: 'NF1-42',
        chave_acesso: '1'.repeat(44),
        data_emissao: context.at,
        valor_centavos: 1000,
      },
    },
    context,
  ),
  messageOf(
    'ENVIO_AGENDADO',
    42,
    {
      envio: {
        envio_id: 1,
        pedido_id: 42,
        nota_fiscal_id: 3,
        codigo_rastreamento: 'BR123456789PY',
        status: 'aguardando_envio',
        data_despacho: context.at,
      },
    },
    context,
  ),
  messageOf(
    'PAGAMENTO_ESTORNADO',
    42,
    { estorno: { pedido_id: 42, status: 'estornado', mensagem: 'ok' } },
    context,
  ),
  messageOf(
    'ESTOQUE_LIBERADO',
    42,
    { separacao: { pedido_id: 42, status: 'liberado', itens: [], mensagem: 'ok' } },
    context,
  ),
  messageOf(
    'ETAPA_RECUSADA',
    42,
    { comando: 'EMITIR_NOTA_FISCAL', codigo: 'conflict', detalhe: 'total' },
    context,
  ),
];

describe('checkout messages', () => {
  test('every command and event type has a sample, and each parses back to itself', () => {
    const types = new Set(SAMPLES.map((m) => m.tipo));
    for (const tipo of [...COMMAND_TYPES, ...EVENT_TYPES]) assert.ok(types.has(tipo), `no sample of ${tipo}`);
    for (const message of SAMPLES) {
      const parsed = parseMessage(Buffer.from(JSON.stringify(message)));
      assert.deepEqual(parsed, { ok: true, message }, message.tipo);
    }
  });

  test('commands go to their service queue, events to pedidos, with the prefix', () => {
    for (const message of SAMPLES) {
      const expected = isCommand(message)
        ? `t1.${COMMAND_TARGET[message.tipo]}.comandos`
        : 't1.pedidos.eventos';
      assert.equal(destinationOf(message, 't1'), expected);
    }
    assert.equal(queueOf('pedidos'), 'checkout.pedidos.eventos');
    assert.equal(queueOf('fiscal'), 'checkout.fiscal.comandos');
  });

  test('message ids are deterministic per sender, order and type, and a refusal names its command', () => {
    const [first] = SAMPLES;
    assert.ok(first !== undefined);
    assert.equal(messageIdOf('pedidos', first), 'pedidos:42:VERIFICAR_ESTOQUE');
    const recusa = SAMPLES.find((m) => m.tipo === 'ETAPA_RECUSADA');
    assert.ok(recusa !== undefined);
    assert.equal(messageIdOf('fiscal', recusa), 'fiscal:42:ETAPA_RECUSADA:EMITIR_NOTA_FISCAL');
  });

  test('when a body is not a checkout message, then the parser says why (a poison message)', () => {
    const valid = SAMPLES[1] as unknown as Record<string, unknown>;
    const cases: readonly [string, string | Buffer, RegExp][] = [
      ['not JSON', '{nope', /not JSON/],
      ['an array', '[]', /not a JSON object/],
      ['unknown tipo', JSON.stringify({ ...valid, tipo: 'APAGAR_TUDO' }), /unknown tipo/],
      ['prototype key as tipo', JSON.stringify({ ...valid, tipo: 'toString' }), /unknown tipo/],
      ['pedido_id 0', JSON.stringify({ ...valid, pedido_id: 0 }), /pedido_id/],
      ['pedido_id as text', JSON.stringify({ ...valid, pedido_id: '42' }), /pedido_id/],
      ['no trace id', JSON.stringify({ ...valid, trace_id: '' }), /trace_id/],
      ['bad time', JSON.stringify({ ...valid, emitido_em: 'ontem' }), /emitido_em/],
      ['dados missing', JSON.stringify({ ...valid, dados: null }), /dados/],
      ['negative value', JSON.stringify({ ...valid, dados: { valor_centavos: -1, metodo: 'pix' } }), /dados/],
      [
        'unknown method',
        JSON.stringify({ ...valid, dados: { valor_centavos: 1, metodo: 'cheque' } }),
        /dados/,
      ],
      ['no lines', JSON.stringify({ ...valid, tipo: 'SEPARAR_ESTOQUE', dados: { itens: [] } }), /dados/],
      [
        'zero quantity',
        JSON.stringify({
          ...valid,
          tipo: 'SEPARAR_ESTOQUE',
          dados: { itens: [{ produto_id: 1, quantidade: 0 }] },
        }),
        /dados/,
      ],
      [
        'a refusal of an unknown command',
        JSON.stringify({
          ...valid,
          tipo: 'ETAPA_RECUSADA',
          dados: { comando: 'X', codigo: 'c', detalhe: '' },
        }),
        /dados/,
      ],
    ];
    for (const [name, body, reason] of cases) {
      const parsed = parseMessage(body);
      assert.ok(!parsed.ok, name);
      assert.match(parsed.reason, reason, name);
    }
  });
});
