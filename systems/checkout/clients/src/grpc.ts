import * as grpc from '@grpc/grpc-js';
import {
  CatalogoClient,
  EstoqueClient,
  FiscalClient,
  LogisticaClient,
  PagamentoClient,
  PedidosClient,
  type CallContext,
  type CatalogoPort,
  type EstoquePort,
  type FiscalPort,
  type LogisticaPort,
  type PagamentosPort,
  type PedidosPort,
} from '@dslab/checkout-contracts';
import { AppError } from '@dslab/errors';
import { callUnary, channelOptions, type UnaryMethod } from '@dslab/grpc-kit';
import {
  agendarEnvioRequestToProto,
  criarPedidoRequestToProto,
  emitirRequestToProto,
  envioFromProto,
  estornarRequestToProto,
  estornoFromProto,
  liberarRequestToProto,
  listarProdutosQueryToProto,
  notaFiscalFromProto,
  pagamentoFromProto,
  pagamentoRequestToProto,
  pedidoFromProto,
  produtoInfoFromProto,
  produtoPrecoFromProto,
  saldoFromProto,
  separacaoFromProto,
  separarRequestToProto,
} from './codec.js';
import type { PortClient } from './types.js';

/**
 * The checkout ports over gRPC: one long-lived grpc-js channel per neighbour (keepalive,
 * channelOptions), the deadline as grpc-timeout, the trace id as `traceparent`, errors rebuilt
 * from `problem-bin` (@dslab/grpc-kit). Messages are converted with ./codec.ts.
 */

/**
 * One call: encode (a bad request is the caller's `validation-failed`, nothing is sent), call,
 * decode (an answer the codec cannot read is `internal`: the service answered, so the operation
 * may have happened).
 */
async function invoke<Req, Res, Out>(
  client: grpc.Client,
  method: UnaryMethod<Req, Res>,
  encode: () => Req,
  ctx: CallContext,
  target: string,
  decode: (response: Res) => Out,
): Promise<Out> {
  const request = encode();
  const response = await callUnary(client, method, request, ctx, target);
  try {
    return decode(response);
  } catch (error) {
    const detail = error instanceof AppError ? error.detail : String(error);
    throw new AppError('internal', `${target} answered a message that cannot be read: ${detail}`, {
      cause: error,
    });
  }
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new AppError('validation-failed', `${field} is missing`);
  return value;
}

function closer(client: grpc.Client): () => Promise<void> {
  return async () => {
    client.close();
  };
}

const insecure = () => grpc.credentials.createInsecure();

export function createGrpcCatalogoClient(address: string): PortClient<CatalogoPort> {
  const client = new CatalogoClient(address, insecure(), channelOptions);
  const target = 'catalogo';
  return {
    listarProdutos: (query, ctx) =>
      invoke(
        client,
        client.listarProdutos.bind(client),
        () => listarProdutosQueryToProto(query),
        ctx,
        target,
        (response) => ({ produtos: response.produtos.map(produtoInfoFromProto), total: response.total }),
      ),
    obterProdutos: (ids, ctx) =>
      invoke(
        client,
        client.obterProdutos.bind(client),
        () => ({ ids: [...ids] }),
        ctx,
        target,
        (response) => response.produtos.map(produtoPrecoFromProto),
      ),
    close: closer(client),
  };
}

export function createGrpcEstoqueClient(address: string): PortClient<EstoquePort> {
  const client = new EstoqueClient(address, insecure(), channelOptions);
  const target = 'estoque';
  return {
    separar: (req, ctx) =>
      invoke(
        client,
        client.separarEstoque.bind(client),
        () => separarRequestToProto(req),
        ctx,
        target,
        separacaoFromProto,
      ),
    liberar: (req, ctx) =>
      invoke(
        client,
        client.liberarEstoque.bind(client),
        () => liberarRequestToProto(req),
        ctx,
        target,
        separacaoFromProto,
      ),
    consultar: (produtoIds, ctx) =>
      invoke(
        client,
        client.consultarEstoque.bind(client),
        () => ({ produto_ids: [...produtoIds] }),
        ctx,
        target,
        (response) => response.saldos.map(saldoFromProto),
      ),
    close: closer(client),
  };
}

export function createGrpcPagamentosClient(address: string): PortClient<PagamentosPort> {
  const client = new PagamentoClient(address, insecure(), channelOptions);
  const target = 'pagamentos';
  return {
    processar: (req, ctx) =>
      invoke(
        client,
        client.processarPagamento.bind(client),
        () => pagamentoRequestToProto(req),
        ctx,
        target,
        pagamentoFromProto,
      ),
    estornar: (req, ctx) =>
      invoke(
        client,
        client.estornar.bind(client),
        () => estornarRequestToProto(req),
        ctx,
        target,
        estornoFromProto,
      ),
    close: closer(client),
  };
}

export function createGrpcFiscalClient(address: string): PortClient<FiscalPort> {
  const client = new FiscalClient(address, insecure(), channelOptions);
  return {
    emitir: (req, ctx) =>
      invoke(
        client,
        client.emitirNotaFiscal.bind(client),
        () => emitirRequestToProto(req),
        ctx,
        'fiscal',
        notaFiscalFromProto,
      ),
    close: closer(client),
  };
}

export function createGrpcLogisticaClient(address: string): PortClient<LogisticaPort> {
  const client = new LogisticaClient(address, insecure(), channelOptions);
  return {
    agendarEnvio: (req, ctx) =>
      invoke(
        client,
        client.agendarEnvio.bind(client),
        () => agendarEnvioRequestToProto(req),
        ctx,
        'logistica',
        envioFromProto,
      ),
    close: closer(client),
  };
}

export function createGrpcPedidosClient(address: string): PortClient<PedidosPort> {
  const client = new PedidosClient(address, insecure(), channelOptions);
  const target = 'pedidos';
  return {
    criarPedido: (req, ctx) =>
      invoke(
        client,
        client.criarPedido.bind(client),
        () => criarPedidoRequestToProto(req),
        ctx,
        target,
        (response) => pedidoFromProto(required(response.pedido, 'pedido')),
      ),
    obterPedido: (id, ctx) =>
      invoke(
        client,
        client.obterPedido.bind(client),
        () => ({ pedido_id: id }),
        ctx,
        target,
        (response) => pedidoFromProto(required(response.pedido, 'pedido')),
      ),
    close: closer(client),
  };
}
