import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AgendarEnvioResponse,
  EmitirNotaFiscalResponse,
  ENVIO_STATUS_VALUES,
  METODO_PAGAMENTO_VALUES,
  MetodoPagamento,
  PAGAMENTO_STATUS_VALUES,
  PagamentoResponse,
  Pedido,
  PEDIDO_STATUS_VALUES,
  StatusEnvio,
  StatusPagamento,
  StatusPedido,
  StatusSeparacao,
  type EnvioValue,
  type NotaFiscalValue,
  type PagamentoValue,
  type PedidoValue,
  type SeparacaoValue,
} from '@dslab/checkout-contracts';
import { isAppError } from '@dslab/errors';
import {
  criarPedidoRequestFromProto,
  criarPedidoRequestToProto,
  envioFromProto,
  envioStatusFromProto,
  envioStatusToProto,
  envioToProto,
  estornoFromProto,
  estornoToProto,
  listarProdutosQueryFromProto,
  listarProdutosQueryToProto,
  metodoFromProto,
  metodoToProto,
  notaFiscalFromProto,
  notaFiscalToProto,
  pagamentoFromProto,
  pagamentoRequestFromProto,
  pagamentoRequestToProto,
  pagamentoStatusFromProto,
  pagamentoStatusToProto,
  pagamentoToProto,
  pedidoFromProto,
  pedidoStatusFromProto,
  pedidoStatusToProto,
  pedidoToProto,
  separacaoFromProto,
  separacaoStatusFromProto,
  separacaoStatusToProto,
  separacaoToProto,
} from './codec.js';

function throwsValidation(fn: () => unknown, field: RegExp): void {
  assert.throws(
    fn,
    (error: unknown) => isAppError(error) && error.code === 'validation-failed' && field.test(error.detail),
  );
}

describe('codec: enums', () => {
  test('every order status maps to a distinct proto value and back', () => {
    const seen = new Set<number>();
    for (const value of PEDIDO_STATUS_VALUES) {
      const proto = pedidoStatusToProto(value);
      assert.notEqual(proto, StatusPedido.STATUS_PEDIDO_UNSPECIFIED);
      seen.add(proto);
      assert.equal(pedidoStatusFromProto(proto), value);
    }
    assert.equal(seen.size, PEDIDO_STATUS_VALUES.length);
    assert.equal(pedidoStatusToProto('cancelado'), StatusPedido.STATUS_PEDIDO_CANCELADO);
    assert.equal(pedidoStatusToProto('entregue'), StatusPedido.STATUS_PEDIDO_ENTREGUE);
    throwsValidation(() => pedidoStatusFromProto(StatusPedido.STATUS_PEDIDO_UNSPECIFIED), /^status /);
    throwsValidation(() => pedidoStatusFromProto(StatusPedido.UNRECOGNIZED), /^status /);
  });

  test('every payment method maps both ways; UNSPECIFIED is undefined', () => {
    const expected = {
      cartao_credito: MetodoPagamento.METODO_PAGAMENTO_CARTAO_CREDITO,
      boleto: MetodoPagamento.METODO_PAGAMENTO_BOLETO,
      pix: MetodoPagamento.METODO_PAGAMENTO_PIX,
    };
    for (const value of METODO_PAGAMENTO_VALUES) {
      assert.equal(metodoToProto(value), expected[value]);
      assert.equal(metodoFromProto(expected[value]), value);
    }
    assert.equal(metodoToProto(undefined), MetodoPagamento.METODO_PAGAMENTO_UNSPECIFIED);
    assert.equal(metodoFromProto(MetodoPagamento.METODO_PAGAMENTO_UNSPECIFIED), undefined);
    throwsValidation(
      () => metodoFromProto(MetodoPagamento.UNRECOGNIZED, 'metodo_pagamento'),
      /^metodo_pagamento /,
    );
  });

  test('every payment status maps both ways; PENDENTE is not a port value', () => {
    const expected = {
      aprovado: StatusPagamento.STATUS_PAGAMENTO_APROVADO,
      rejeitado: StatusPagamento.STATUS_PAGAMENTO_REJEITADO,
      estornado: StatusPagamento.STATUS_PAGAMENTO_ESTORNADO,
    };
    for (const value of PAGAMENTO_STATUS_VALUES) {
      assert.equal(pagamentoStatusToProto(value), expected[value]);
      assert.equal(pagamentoStatusFromProto(expected[value]), value);
    }
    throwsValidation(() => pagamentoStatusFromProto(StatusPagamento.STATUS_PAGAMENTO_PENDENTE), /^status /);
    throwsValidation(
      () => pagamentoStatusFromProto(StatusPagamento.STATUS_PAGAMENTO_UNSPECIFIED),
      /^status /,
    );
  });

  test('every shipment status maps both ways', () => {
    const expected = {
      aguardando_envio: StatusEnvio.STATUS_ENVIO_AGUARDANDO_ENVIO,
      enviado: StatusEnvio.STATUS_ENVIO_ENVIADO,
      entregue: StatusEnvio.STATUS_ENVIO_ENTREGUE,
    };
    for (const value of ENVIO_STATUS_VALUES) {
      assert.equal(envioStatusToProto(value), expected[value]);
      assert.equal(envioStatusFromProto(expected[value]), value);
    }
    throwsValidation(() => envioStatusFromProto(StatusEnvio.STATUS_ENVIO_UNSPECIFIED), /^status /);
  });

  test('both reservation statuses map both ways', () => {
    assert.equal(separacaoStatusToProto('separado'), StatusSeparacao.STATUS_SEPARACAO_SEPARADO);
    assert.equal(separacaoStatusToProto('liberado'), StatusSeparacao.STATUS_SEPARACAO_LIBERADO);
    assert.equal(separacaoStatusFromProto(StatusSeparacao.STATUS_SEPARACAO_SEPARADO), 'separado');
    assert.equal(separacaoStatusFromProto(StatusSeparacao.STATUS_SEPARACAO_LIBERADO), 'liberado');
    throwsValidation(
      () => separacaoStatusFromProto(StatusSeparacao.STATUS_SEPARACAO_UNSPECIFIED),
      /^status /,
    );
  });
});

const pedidoBase: PedidoValue = {
  id: 42,
  cliente_id: 7,
  status: 'pagamento_aprovado',
  itens: [
    { produto_id: 1, quantidade: 2, preco_unitario_centavos: 1_999 },
    { produto_id: 5, quantidade: 1, preco_unitario_centavos: 123_456_789_012 },
  ],
  valor_total_centavos: 123_456_793_010,
  metodo_pagamento: 'pix',
  data_criacao: '2025-10-26T18:00:04.500Z',
  atualizado_em: '2025-10-26T18:00:05.001Z',
};

/** Through the real binary wire, as grpc-js would carry it. */
function overTheWire(pedido: PedidoValue): PedidoValue {
  return pedidoFromProto(Pedido.decode(Pedido.encode(pedidoToProto(pedido)).finish()));
}

describe('codec: messages', () => {
  test('an order without the optional fields survives the round trip, with no empty strings added', () => {
    const back = overTheWire(pedidoBase);
    assert.deepEqual(back, pedidoBase);
    assert.equal('motivo' in back, false);
    assert.equal('numero_nota_fiscal' in back, false);
    assert.equal('codigo_rastreamento' in back, false);
    const proto = pedidoToProto(pedidoBase);
    assert.equal(proto.motivo, '');
    assert.equal(proto.status, StatusPedido.STATUS_PEDIDO_PAGAMENTO_APROVADO);
    assert.equal(proto.metodo_pagamento, MetodoPagamento.METODO_PAGAMENTO_PIX);
  });

  test('an order with every optional field survives the round trip', () => {
    const full: PedidoValue = {
      ...pedidoBase,
      status: 'cancelado',
      motivo: 'estoque insuficiente',
      numero_nota_fiscal: 'NF12-42',
      codigo_rastreamento: 'BR123456789PY',
    };
    assert.deepEqual(overTheWire(full), full);
  });

  test('every order status survives the binary wire, entregue included', () => {
    for (const status of PEDIDO_STATUS_VALUES) {
      assert.equal(overTheWire({ ...pedidoBase, status }).status, status);
    }
  });

  test('an order whose metodo is UNSPECIFIED reads as cartao_credito; a missing timestamp is refused', () => {
    const proto = pedidoToProto(pedidoBase);
    assert.equal(
      pedidoFromProto({ ...proto, metodo_pagamento: MetodoPagamento.METODO_PAGAMENTO_UNSPECIFIED })
        .metodo_pagamento,
      'cartao_credito',
    );
    throwsValidation(() => pedidoFromProto({ ...proto, data_criacao: undefined }), /^data_criacao /);
  });

  test('payment, refund, invoice, shipment and reservation survive the round trip', () => {
    const pagamento: PagamentoValue = {
      pagamento_id: 3,
      pedido_id: 42,
      sucesso: false,
      status: 'rejeitado',
      mensagem: 'Pagamento rejeitado',
      valor_centavos: 9_007_199_254_740_991,
      metodo: 'boleto',
      data_processamento: '2025-10-26T18:00:04.500Z',
    };
    const wire = PagamentoResponse.decode(PagamentoResponse.encode(pagamentoToProto(pagamento)).finish());
    assert.deepEqual(pagamentoFromProto(wire), pagamento);

    const estorno = { pedido_id: 42, status: 'estornado', mensagem: 'Pagamento estornado' } as const;
    assert.deepEqual(estornoFromProto(estornoToProto(estorno)), estorno);

    const nota: NotaFiscalValue = {
      nota_fiscal_id: 9,
      pedido_id: 42,
      numero: 'NF9-42',
      chave_acesso: '3'.repeat(44),
      data_emissao: '2025-10-26T18:00:06.000Z',
      valor_centavos: 3_998,
    };
    const notaWire = EmitirNotaFiscalResponse.decode(
      EmitirNotaFiscalResponse.encode(notaFiscalToProto(nota)).finish(),
    );
    assert.deepEqual(notaFiscalFromProto(notaWire), nota);

    const envio: EnvioValue = {
      envio_id: 4,
      pedido_id: 42,
      nota_fiscal_id: 9,
      codigo_rastreamento: 'BR123456789PY',
      status: 'aguardando_envio',
      data_despacho: '2025-10-27T09:00:00.000Z',
    };
    const envioWire = AgendarEnvioResponse.decode(AgendarEnvioResponse.encode(envioToProto(envio)).finish());
    assert.deepEqual(envioFromProto(envioWire), envio);
    const unknownDate = { ...envio, data_despacho: '' };
    assert.equal(envioToProto(unknownDate).data_despacho, undefined);
    assert.deepEqual(envioFromProto(envioToProto(unknownDate)), unknownDate);

    const separacao: SeparacaoValue = {
      pedido_id: 42,
      status: 'separado',
      itens: [{ produto_id: 1, quantidade: 2 }],
      mensagem: 'Estoque separado',
    };
    assert.deepEqual(separacaoFromProto(separacaoToProto(separacao)), separacao);
  });

  test('requests: optional strings are empty on the wire and absent again after it', () => {
    const withKey = { pedido_id: 1, valor_centavos: 100, metodo: 'pix', idempotency_key: 'k' } as const;
    assert.deepEqual(pagamentoRequestFromProto(pagamentoRequestToProto(withKey)), withKey);
    const noKey = { pedido_id: 1, valor_centavos: 100, metodo: 'boleto' } as const;
    assert.equal(pagamentoRequestToProto(noKey).idempotency_key, '');
    assert.deepEqual(pagamentoRequestFromProto(pagamentoRequestToProto(noKey)), noKey);
    assert.equal(
      pagamentoRequestFromProto({
        pedido_id: 1,
        valor_centavos: 1,
        metodo: MetodoPagamento.METODO_PAGAMENTO_UNSPECIFIED,
        idempotency_key: '',
      }).metodo,
      'cartao_credito',
    );

    const pedido = { cliente_id: 7, itens: [{ produto_id: 1, quantidade: 2 }] };
    assert.deepEqual(criarPedidoRequestFromProto(criarPedidoRequestToProto(pedido)), pedido);
    const full = { ...pedido, metodo_pagamento: 'pix', idempotency_key: 'abc' } as const;
    assert.deepEqual(criarPedidoRequestFromProto(criarPedidoRequestToProto(full)), full);
    // Richer items (an order line with its price) go out with exactly the proto's fields.
    const priced = { cliente_id: 7, itens: [{ produto_id: 1, quantidade: 2, preco_unitario_centavos: 5 }] };
    assert.deepEqual(criarPedidoRequestToProto(priced).itens, [{ produto_id: 1, quantidade: 2 }]);
  });

  test('listing products: disponivel true and absent map to somente_em_estoque; false is refused', () => {
    assert.deepEqual(listarProdutosQueryToProto({ disponivel: true, limit: 10, offset: 5 }), {
      somente_em_estoque: true,
      limit: 10,
      offset: 5,
    });
    assert.deepEqual(listarProdutosQueryFromProto(listarProdutosQueryToProto({ limit: 10, offset: 0 })), {
      limit: 10,
      offset: 0,
    });
    throwsValidation(
      () => listarProdutosQueryToProto({ disponivel: false, limit: 10, offset: 0 }),
      /^disponivel /,
    );
  });
});
