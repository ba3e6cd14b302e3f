import {
  MetodoPagamento,
  StatusEnvio,
  StatusPagamento,
  StatusPedido,
  StatusSeparacao,
  type AgendarEnvioRequest,
  type AgendarEnvioResponse,
  type CriarPedidoRequest,
  type EmitirNotaFiscalRequest,
  type EmitirNotaFiscalResponse,
  type EnvioStatusValue,
  type EnvioValue,
  type EstornarRequest,
  type EstornarResponse,
  type EstoquePort,
  type FiscalPort,
  type EstornoValue,
  type ItemComPreco,
  type ItemComPrecoValue,
  type ItemPedido,
  type ItemQuantidade,
  type LiberarEstoqueRequest,
  type ListarProdutosQuery,
  type ListarProdutosRequest,
  type LogisticaPort,
  type MetodoPagamentoValue,
  type NotaFiscalValue,
  type PagamentoRequest,
  type PagamentoResponse,
  type PagamentosPort,
  type PagamentoStatusValue,
  type PagamentoValue,
  type Pedido,
  type PedidoStatusValue,
  type PedidosPort,
  type PedidoValue,
  type ProdutoInfo,
  type ProdutoInfoValue,
  type ProdutoPreco,
  type ProdutoPrecoValue,
  type SaldoEstoque,
  type SaldoValue,
  type SeparacaoValue,
  type SepararEstoqueRequest,
  type SepararEstoqueResponse,
} from '@dslab/checkout-contracts';
import { AppError } from '@dslab/errors';

/**
 * Port values (contracts/src/ports.ts) ↔ proto messages, for both sides of the gRPC wire: the
 * clients here encode requests and decode answers, the services' gRPC entry points decode requests
 * and encode answers with the same tables.
 *
 * Rules:
 * - Enums map one to one to the port's string values. An `UNSPECIFIED` (proto3's default) or a
 *   number outside the table has no port value: the *FromProto functions throw
 *   AppError('validation-failed') naming the field (a server answers that as INVALID_ARGUMENT;
 *   the clients turn it into `internal`, since a bad answer is not the caller's fault).
 *   Exception: MetodoPagamento UNSPECIFIED is `undefined` (metodoFromProto) and means
 *   cartao_credito inside whole messages, as an absent `metodo` does over REST.
 * - Proto3 has no absent string: '' ↔ undefined for the optional fields (motivo,
 *   numero_nota_fiscal, codigo_rastreamento, idempotency_key).
 * - Timestamps are ISO-8601 strings on both sides; a required one that is absent is an error,
 *   EnvioValue.data_despacho (absent while unknown) is ''.
 */

function invalid(field: string, message: string): AppError {
  return new AppError('validation-failed', `${field} ${message}`, {
    extensions: { errors: [{ field, message }] },
  });
}

/** A two-way table between port strings and proto enum numbers. */
function enumTable<V extends string, P extends number>(name: string, pairs: Record<V, P>) {
  const back = new Map<number, V>();
  for (const [value, proto] of Object.entries(pairs) as [V, P][]) back.set(proto, value);
  return {
    toProto: (value: V): P => {
      const proto = (pairs as Partial<Record<string, P>>)[value];
      if (proto === undefined) throw invalid(name, `has no ${name} for ${JSON.stringify(value)}`);
      return proto;
    },
    fromProto: (proto: number, field: string): V => {
      const value = back.get(proto);
      if (value === undefined) throw invalid(field, `is not a known value (${proto})`);
      return value;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// enums

const pedidoStatus = enumTable<PedidoStatusValue, StatusPedido>('StatusPedido', {
  pendente: StatusPedido.STATUS_PEDIDO_PENDENTE,
  pagamento_aprovado: StatusPedido.STATUS_PEDIDO_PAGAMENTO_APROVADO,
  em_separacao: StatusPedido.STATUS_PEDIDO_EM_SEPARACAO,
  nf_emitida: StatusPedido.STATUS_PEDIDO_NF_EMITIDA,
  enviado: StatusPedido.STATUS_PEDIDO_ENVIADO,
  entregue: StatusPedido.STATUS_PEDIDO_ENTREGUE,
  cancelado: StatusPedido.STATUS_PEDIDO_CANCELADO,
});

export function pedidoStatusToProto(value: PedidoStatusValue): StatusPedido {
  return pedidoStatus.toProto(value);
}
export function pedidoStatusFromProto(value: StatusPedido, field = 'status'): PedidoStatusValue {
  return pedidoStatus.fromProto(value, field);
}

const metodo = enumTable<MetodoPagamentoValue, MetodoPagamento>('MetodoPagamento', {
  cartao_credito: MetodoPagamento.METODO_PAGAMENTO_CARTAO_CREDITO,
  boleto: MetodoPagamento.METODO_PAGAMENTO_BOLETO,
  pix: MetodoPagamento.METODO_PAGAMENTO_PIX,
});

/** undefined (not chosen) is UNSPECIFIED. */
export function metodoToProto(value: MetodoPagamentoValue | undefined): MetodoPagamento {
  return value === undefined ? MetodoPagamento.METODO_PAGAMENTO_UNSPECIFIED : metodo.toProto(value);
}
/** UNSPECIFIED is undefined (the service's default applies: cartao_credito). */
export function metodoFromProto(value: MetodoPagamento, field = 'metodo'): MetodoPagamentoValue | undefined {
  return value === MetodoPagamento.METODO_PAGAMENTO_UNSPECIFIED ? undefined : metodo.fromProto(value, field);
}
/** Inside whole messages: UNSPECIFIED means cartao_credito. */
function metodoOrDefault(value: MetodoPagamento, field: string): MetodoPagamentoValue {
  return metodoFromProto(value, field) ?? 'cartao_credito';
}

const pagamentoStatus = enumTable<PagamentoStatusValue, StatusPagamento>('StatusPagamento', {
  aprovado: StatusPagamento.STATUS_PAGAMENTO_APROVADO,
  rejeitado: StatusPagamento.STATUS_PAGAMENTO_REJEITADO,
  estornado: StatusPagamento.STATUS_PAGAMENTO_ESTORNADO,
});

export function pagamentoStatusToProto(value: PagamentoStatusValue): StatusPagamento {
  return pagamentoStatus.toProto(value);
}
/** PENDENTE is not a state the port answers (a payment is decided before the answer). */
export function pagamentoStatusFromProto(value: StatusPagamento, field = 'status'): PagamentoStatusValue {
  return pagamentoStatus.fromProto(value, field);
}

const envioStatus = enumTable<EnvioStatusValue, StatusEnvio>('StatusEnvio', {
  aguardando_envio: StatusEnvio.STATUS_ENVIO_AGUARDANDO_ENVIO,
  enviado: StatusEnvio.STATUS_ENVIO_ENVIADO,
  entregue: StatusEnvio.STATUS_ENVIO_ENTREGUE,
});

export function envioStatusToProto(value: EnvioStatusValue): StatusEnvio {
  return envioStatus.toProto(value);
}
export function envioStatusFromProto(value: StatusEnvio, field = 'status'): EnvioStatusValue {
  return envioStatus.fromProto(value, field);
}

export type SeparacaoStatusValue = SeparacaoValue['status'];

const separacaoStatus = enumTable<SeparacaoStatusValue, StatusSeparacao>('StatusSeparacao', {
  separado: StatusSeparacao.STATUS_SEPARACAO_SEPARADO,
  liberado: StatusSeparacao.STATUS_SEPARACAO_LIBERADO,
});

export function separacaoStatusToProto(value: SeparacaoStatusValue): StatusSeparacao {
  return separacaoStatus.toProto(value);
}
export function separacaoStatusFromProto(value: StatusSeparacao, field = 'status'): SeparacaoStatusValue {
  return separacaoStatus.fromProto(value, field);
}

// ---------------------------------------------------------------------------------------------
// small helpers

/** '' ↔ absent, for proto3 strings that stand for optional port fields. */
export function optionalToProto(value: string | undefined): string {
  return value ?? '';
}
export function optionalFromProto(value: string): string | undefined {
  return value === '' ? undefined : value;
}

function requiredTime(value: string | undefined, field: string): string {
  if (value === undefined || value === '') throw invalid(field, 'is missing');
  return value;
}

/** Exactly the fields of an order line (callers may pass richer objects). */
export function itemToProto(item: ItemQuantidade): ItemPedido {
  return { produto_id: item.produto_id, quantidade: item.quantidade };
}
export function itemFromProto(item: ItemPedido): ItemQuantidade {
  return { produto_id: item.produto_id, quantidade: item.quantidade };
}
export function itemComPrecoToProto(item: ItemComPrecoValue): ItemComPreco {
  return {
    produto_id: item.produto_id,
    quantidade: item.quantidade,
    preco_unitario_centavos: item.preco_unitario_centavos,
  };
}
export function itemComPrecoFromProto(item: ItemComPreco): ItemComPrecoValue {
  return {
    produto_id: item.produto_id,
    quantidade: item.quantidade,
    preco_unitario_centavos: item.preco_unitario_centavos,
  };
}

// ---------------------------------------------------------------------------------------------
// whole messages

export function pedidoToProto(value: PedidoValue): Pedido {
  return {
    id: value.id,
    cliente_id: value.cliente_id,
    status: pedidoStatusToProto(value.status),
    itens: value.itens.map(itemComPrecoToProto),
    valor_total_centavos: value.valor_total_centavos,
    data_criacao: value.data_criacao,
    motivo: optionalToProto(value.motivo),
    numero_nota_fiscal: optionalToProto(value.numero_nota_fiscal),
    codigo_rastreamento: optionalToProto(value.codigo_rastreamento),
    metodo_pagamento: metodoToProto(value.metodo_pagamento),
    atualizado_em: value.atualizado_em,
  };
}

export function pedidoFromProto(message: Pedido): PedidoValue {
  const motivo = optionalFromProto(message.motivo);
  const numero = optionalFromProto(message.numero_nota_fiscal);
  const codigo = optionalFromProto(message.codigo_rastreamento);
  return {
    id: message.id,
    cliente_id: message.cliente_id,
    status: pedidoStatusFromProto(message.status),
    itens: message.itens.map(itemComPrecoFromProto),
    valor_total_centavos: message.valor_total_centavos,
    metodo_pagamento: metodoOrDefault(message.metodo_pagamento, 'metodo_pagamento'),
    data_criacao: requiredTime(message.data_criacao, 'data_criacao'),
    atualizado_em: requiredTime(message.atualizado_em, 'atualizado_em'),
    ...(motivo === undefined ? {} : { motivo }),
    ...(numero === undefined ? {} : { numero_nota_fiscal: numero }),
    ...(codigo === undefined ? {} : { codigo_rastreamento: codigo }),
  };
}

export function pagamentoToProto(value: PagamentoValue): PagamentoResponse {
  return {
    pedido_id: value.pedido_id,
    sucesso: value.sucesso,
    mensagem: value.mensagem,
    status: pagamentoStatusToProto(value.status),
    pagamento_id: value.pagamento_id,
    valor_centavos: value.valor_centavos,
    metodo: metodoToProto(value.metodo),
    data_processamento: value.data_processamento,
  };
}

export function pagamentoFromProto(message: PagamentoResponse): PagamentoValue {
  return {
    pagamento_id: message.pagamento_id,
    pedido_id: message.pedido_id,
    sucesso: message.sucesso,
    status: pagamentoStatusFromProto(message.status),
    mensagem: message.mensagem,
    valor_centavos: message.valor_centavos,
    metodo: metodoOrDefault(message.metodo, 'metodo'),
    data_processamento: requiredTime(message.data_processamento, 'data_processamento'),
  };
}

export function estornoToProto(value: EstornoValue): EstornarResponse {
  return {
    pedido_id: value.pedido_id,
    status: pagamentoStatusToProto(value.status),
    mensagem: value.mensagem,
  };
}

export function estornoFromProto(message: EstornarResponse): EstornoValue {
  return {
    pedido_id: message.pedido_id,
    status: pagamentoStatusFromProto(message.status),
    mensagem: message.mensagem,
  };
}

export function notaFiscalToProto(value: NotaFiscalValue): EmitirNotaFiscalResponse {
  return {
    nota_fiscal_id: value.nota_fiscal_id,
    pedido_id: value.pedido_id,
    numero: value.numero,
    chave_acesso: value.chave_acesso,
    data_emissao: value.data_emissao,
    valor_centavos: value.valor_centavos,
  };
}

export function notaFiscalFromProto(message: EmitirNotaFiscalResponse): NotaFiscalValue {
  return {
    nota_fiscal_id: message.nota_fiscal_id,
    pedido_id: message.pedido_id,
    numero: message.numero,
    chave_acesso: message.chave_acesso,
    data_emissao: requiredTime(message.data_emissao, 'data_emissao'),
    valor_centavos: message.valor_centavos,
  };
}

export function envioToProto(value: EnvioValue): AgendarEnvioResponse {
  return {
    envio_id: value.envio_id,
    pedido_id: value.pedido_id,
    nota_fiscal_id: value.nota_fiscal_id,
    codigo_rastreamento: value.codigo_rastreamento,
    status: envioStatusToProto(value.status),
    ...(value.data_despacho === '' ? {} : { data_despacho: value.data_despacho }),
  };
}

export function envioFromProto(message: AgendarEnvioResponse): EnvioValue {
  return {
    envio_id: message.envio_id,
    pedido_id: message.pedido_id,
    nota_fiscal_id: message.nota_fiscal_id,
    codigo_rastreamento: message.codigo_rastreamento,
    status: envioStatusFromProto(message.status),
    data_despacho: message.data_despacho ?? '',
  };
}

/** SepararEstoqueResponse and LiberarEstoqueResponse have the same fields. */
export function separacaoToProto(value: SeparacaoValue): SepararEstoqueResponse {
  return {
    pedido_id: value.pedido_id,
    status: separacaoStatusToProto(value.status),
    mensagem: value.mensagem,
    itens: value.itens.map(itemToProto),
  };
}

export function separacaoFromProto(message: SepararEstoqueResponse): SeparacaoValue {
  return {
    pedido_id: message.pedido_id,
    status: separacaoStatusFromProto(message.status),
    mensagem: message.mensagem,
    itens: message.itens.map(itemFromProto),
  };
}

export function saldoToProto(value: SaldoValue): SaldoEstoque {
  return { produto_id: value.produto_id, quantidade_disponivel: value.quantidade_disponivel };
}
export function saldoFromProto(message: SaldoEstoque): SaldoValue {
  return { produto_id: message.produto_id, quantidade_disponivel: message.quantidade_disponivel };
}

export function produtoInfoToProto(value: ProdutoInfoValue): ProdutoInfo {
  return { id: value.id, nome: value.nome, estoque: value.estoque, preco_centavos: value.preco_centavos };
}
export function produtoInfoFromProto(message: ProdutoInfo): ProdutoInfoValue {
  return {
    id: message.id,
    nome: message.nome,
    estoque: message.estoque,
    preco_centavos: message.preco_centavos,
  };
}
export function produtoPrecoToProto(value: ProdutoPrecoValue): ProdutoPreco {
  return { id: value.id, nome: value.nome, preco_centavos: value.preco_centavos };
}
export function produtoPrecoFromProto(message: ProdutoPreco): ProdutoPrecoValue {
  return { id: message.id, nome: message.nome, preco_centavos: message.preco_centavos };
}

// ---------------------------------------------------------------------------------------------
// requests (the port's argument ↔ the proto request)

export type ProcessarPagamentoRequestValue = Parameters<PagamentosPort['processar']>[0];
export type EstornarRequestValue = Parameters<PagamentosPort['estornar']>[0];
export type SepararRequestValue = Parameters<EstoquePort['separar']>[0];
export type LiberarRequestValue = Parameters<EstoquePort['liberar']>[0];
export type EmitirRequestValue = Parameters<FiscalPort['emitir']>[0];
export type AgendarEnvioRequestValue = Parameters<LogisticaPort['agendarEnvio']>[0];
export type CriarPedidoRequestValue = Parameters<PedidosPort['criarPedido']>[0];

export function pagamentoRequestToProto(req: ProcessarPagamentoRequestValue): PagamentoRequest {
  return {
    pedido_id: req.pedido_id,
    valor_centavos: req.valor_centavos,
    metodo: metodoToProto(req.metodo),
    idempotency_key: optionalToProto(req.idempotency_key),
  };
}
/** metodo UNSPECIFIED is cartao_credito (as an absent `metodo` over REST). */
export function pagamentoRequestFromProto(message: PagamentoRequest): ProcessarPagamentoRequestValue {
  const key = optionalFromProto(message.idempotency_key);
  return {
    pedido_id: message.pedido_id,
    valor_centavos: message.valor_centavos,
    metodo: metodoOrDefault(message.metodo, 'metodo'),
    ...(key === undefined ? {} : { idempotency_key: key }),
  };
}

export function estornarRequestToProto(req: EstornarRequestValue): EstornarRequest {
  return { pedido_id: req.pedido_id, motivo: req.motivo, idempotency_key: '' };
}
export function estornarRequestFromProto(message: EstornarRequest): EstornarRequestValue {
  return { pedido_id: message.pedido_id, motivo: message.motivo };
}

export function separarRequestToProto(req: SepararRequestValue): SepararEstoqueRequest {
  return { pedido_id: req.pedido_id, itens: req.itens.map(itemToProto) };
}
export function separarRequestFromProto(message: SepararEstoqueRequest): SepararRequestValue {
  return { pedido_id: message.pedido_id, itens: message.itens.map(itemFromProto) };
}

export function liberarRequestToProto(req: LiberarRequestValue): LiberarEstoqueRequest {
  return { pedido_id: req.pedido_id, motivo: req.motivo };
}
export function liberarRequestFromProto(message: LiberarEstoqueRequest): LiberarRequestValue {
  return { pedido_id: message.pedido_id, motivo: message.motivo };
}

export function emitirRequestToProto(req: EmitirRequestValue): EmitirNotaFiscalRequest {
  return {
    pedido_id: req.pedido_id,
    valor_centavos: req.valor_centavos,
    itens: req.itens.map(itemComPrecoToProto),
  };
}
export function emitirRequestFromProto(message: EmitirNotaFiscalRequest): EmitirRequestValue {
  return {
    pedido_id: message.pedido_id,
    valor_centavos: message.valor_centavos,
    itens: message.itens.map(itemComPrecoFromProto),
  };
}

export function agendarEnvioRequestToProto(req: AgendarEnvioRequestValue): AgendarEnvioRequest {
  return {
    pedido_id: req.pedido_id,
    nota_fiscal_id: req.nota_fiscal_id,
    numero_nota_fiscal: req.numero_nota_fiscal,
  };
}
export function agendarEnvioRequestFromProto(message: AgendarEnvioRequest): AgendarEnvioRequestValue {
  return {
    pedido_id: message.pedido_id,
    nota_fiscal_id: message.nota_fiscal_id,
    numero_nota_fiscal: message.numero_nota_fiscal,
  };
}

export function criarPedidoRequestToProto(req: CriarPedidoRequestValue): CriarPedidoRequest {
  return {
    cliente_id: req.cliente_id,
    itens: req.itens.map(itemToProto),
    metodo_pagamento: metodoToProto(req.metodo_pagamento),
    idempotency_key: optionalToProto(req.idempotency_key),
  };
}
/** metodo_pagamento UNSPECIFIED stays undefined: pedidos applies its default. */
export function criarPedidoRequestFromProto(message: CriarPedidoRequest): CriarPedidoRequestValue {
  const metodoPagamento = metodoFromProto(message.metodo_pagamento, 'metodo_pagamento');
  const key = optionalFromProto(message.idempotency_key);
  return {
    cliente_id: message.cliente_id,
    itens: message.itens.map(itemFromProto),
    ...(metodoPagamento === undefined ? {} : { metodo_pagamento: metodoPagamento }),
    ...(key === undefined ? {} : { idempotency_key: key }),
  };
}

/**
 * ListarProdutosRequest has only `somente_em_estoque`: disponivel true ↔ true, absent ↔ false.
 * "Only products without stock" (disponivel false) has no proto field yet and is refused.
 */
export function listarProdutosQueryToProto(query: ListarProdutosQuery): ListarProdutosRequest {
  if (query.disponivel === false) {
    throw invalid('disponivel', 'false (only products without stock) cannot be asked over gRPC');
  }
  return { somente_em_estoque: query.disponivel === true, limit: query.limit, offset: query.offset };
}
export function listarProdutosQueryFromProto(message: ListarProdutosRequest): ListarProdutosQuery {
  return {
    ...(message.somente_em_estoque ? { disponivel: true } : {}),
    limit: message.limit,
    offset: message.offset,
  };
}
