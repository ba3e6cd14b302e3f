/**
 * A real round trip over @grpc/grpc-js with the generated definitions and clients: a server on
 * 127.0.0.1:0 implements Catalogo.ListarProdutos and Pagamento.ProcessarPagamento / Estornar.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  Metadata,
  Server,
  ServerCredentials,
  credentials,
  status,
  type CallOptions,
  type ClientUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { BinaryWriter } from '@bufbuild/protobuf/wire';

import {
  CatalogoClient,
  CatalogoService,
  MetodoPagamento,
  PagamentoClient,
  PagamentoRequest,
  PagamentoService,
  StatusPagamento,
  type CatalogoServer,
  type PagamentoServer,
  type ProdutoInfo,
} from '../src/index.js';

/** Above 2^31 - 1 (int32 would overflow) and well below 2^53 - 1: R$ 214.748.364,87. */
const BIG_CENTAVOS = 2 ** 31 * 10 + 7;
const PEDIDO_INEXISTENTE = 404;
const PEDIDO_LENTO = 408;
const DEADLINE_MS = 5_000;

const produtos: ProdutoInfo[] = [
  { id: 1, nome: 'Produto A', estoque: 10, preco_centavos: 1_999 },
  { id: 5, nome: 'Produto B', estoque: 0, preco_centavos: 4_550 },
  { id: 12, nome: 'Produto C', estoque: 5, preco_centavos: BIG_CENTAVOS },
];

const catalogo: CatalogoServer = {
  listarProdutos(call, callback) {
    const lista = call.request.somente_em_estoque ? produtos.filter((p) => p.estoque > 0) : produtos;
    callback(null, { produtos: lista, total: lista.length });
  },
  obterProdutos(call, callback) {
    const ids = new Set(call.request.ids);
    callback(null, {
      produtos: produtos
        .filter((p) => ids.has(p.id))
        .map(({ id, nome, preco_centavos }) => ({ id, nome, preco_centavos })),
    });
  },
};

const pagamento: PagamentoServer = {
  processarPagamento(call, callback) {
    const req = call.request;
    if (req.pedido_id === PEDIDO_INEXISTENTE) {
      callback({ code: status.NOT_FOUND, details: `Pedido ${req.pedido_id} não encontrado` });
      return;
    }
    const answer = () => {
      callback(null, {
        pedido_id: req.pedido_id,
        sucesso: true,
        mensagem: 'Pagamento aprovado',
        status: StatusPagamento.STATUS_PAGAMENTO_APROVADO,
        pagamento_id: 77,
        valor_centavos: req.valor_centavos,
        metodo: req.metodo,
        data_processamento: '2025-10-26T18:00:04.500Z',
      });
    };
    if (req.pedido_id === PEDIDO_LENTO) setTimeout(answer, 300);
    else answer();
  },
  estornar(call, callback) {
    callback({
      code: status.FAILED_PRECONDITION,
      details: `Pagamento do pedido ${call.request.pedido_id} não foi aprovado`,
    });
  },
};

/** Promise form of a generated unary client method, always with a deadline. */
function unary<Req, Res>(
  method: (
    request: Req,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: Res) => void,
  ) => ClientUnaryCall,
  request: Req,
  deadlineMs: number = DEADLINE_MS,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, new Metadata(), { deadline: Date.now() + deadlineMs }, (error, response) => {
      if (error) reject(error);
      else resolve(response);
    });
  });
}

/** Asserts that `promise` fails with a gRPC ServiceError of the given status code. */
async function rejectsWith(promise: Promise<unknown>, code: status, details: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    const e = error as Partial<ServiceError>;
    assert.equal(
      e.code,
      code,
      `expected status ${status[code]}, got ${String(e.code)}: ${String(e.details)}`,
    );
    assert.match(e.details ?? '', details);
    return true;
  });
}

describe('checkout gRPC contracts over grpc-js', () => {
  const server = new Server();
  let catalogoClient: CatalogoClient;
  let pagamentoClient: PagamentoClient;

  before(async () => {
    server.addService(CatalogoService, catalogo);
    server.addService(PagamentoService, pagamento);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, boundPort) => {
        if (error) reject(error);
        else resolve(boundPort);
      });
    });
    const address = `127.0.0.1:${port}`;
    catalogoClient = new CatalogoClient(address, credentials.createInsecure());
    pagamentoClient = new PagamentoClient(address, credentials.createInsecure());
  });

  after(() => {
    catalogoClient.close();
    pagamentoClient.close();
    server.forceShutdown();
  });

  test('when ListarProdutos is called, then every product arrives with id, nome, estoque and preco_centavos', async () => {
    const res = await unary(catalogoClient.listarProdutos.bind(catalogoClient), {
      somente_em_estoque: false,
      limit: 0,
      offset: 0,
    });
    assert.deepEqual(res.produtos, produtos);
    assert.equal(res.produtos[2]?.preco_centavos, BIG_CENTAVOS);
  });

  test('when ListarProdutos asks only for products in stock, then the request field reaches the server', async () => {
    const res = await unary(catalogoClient.listarProdutos.bind(catalogoClient), {
      somente_em_estoque: true,
      limit: 0,
      offset: 0,
    });
    assert.deepEqual(
      res.produtos.map((p) => p.id),
      [1, 12],
    );
  });

  test('when ProcessarPagamento carries more than 2^31 centavos, then the int64 value survives the trip exactly', async () => {
    const res = await unary(pagamentoClient.processarPagamento.bind(pagamentoClient), {
      pedido_id: 42,
      valor_centavos: BIG_CENTAVOS,
      idempotency_key: 'b6f1c1de-4a4e-4d0e-9d55-0c6f0f4a8e01',
      metodo: MetodoPagamento.METODO_PAGAMENTO_PIX,
    });
    assert.deepEqual(res, {
      pedido_id: 42,
      sucesso: true,
      mensagem: 'Pagamento aprovado',
      status: StatusPagamento.STATUS_PAGAMENTO_APROVADO,
      pagamento_id: 77,
      valor_centavos: BIG_CENTAVOS,
      metodo: MetodoPagamento.METODO_PAGAMENTO_PIX,
      data_processamento: '2025-10-26T18:00:04.500Z',
    });
  });

  test('when the server answers NOT_FOUND, then the client gets NOT_FOUND with the details', async () => {
    const call = unary(pagamentoClient.processarPagamento.bind(pagamentoClient), {
      pedido_id: PEDIDO_INEXISTENTE,
      valor_centavos: 100,
      idempotency_key: 'k-404',
      metodo: MetodoPagamento.METODO_PAGAMENTO_BOLETO,
    });
    await rejectsWith(call, status.NOT_FOUND, /Pedido 404 não encontrado/);
  });

  test('when the server answers FAILED_PRECONDITION, then the client gets FAILED_PRECONDITION', async () => {
    const call = unary(pagamentoClient.estornar.bind(pagamentoClient), {
      pedido_id: 7,
      motivo: 'estoque insuficiente',
      idempotency_key: 'k-estorno-7',
    });
    await rejectsWith(call, status.FAILED_PRECONDITION, /não foi aprovado/);
  });

  test('when the server is slower than the deadline, then the call ends with DEADLINE_EXCEEDED', async () => {
    const call = unary(
      pagamentoClient.processarPagamento.bind(pagamentoClient),
      { pedido_id: PEDIDO_LENTO, valor_centavos: 100, idempotency_key: 'k-408', metodo: 0 },
      50,
    );
    await rejectsWith(call, status.DEADLINE_EXCEEDED, /Deadline exceeded/i);
  });
});

describe('int64 centavos as number (forceLong=number)', () => {
  test('when a value above 2^53 - 1 is decoded, then decoding throws instead of rounding', () => {
    // Field 3 (valor_centavos), varint: tag 3 << 3 | 0 = 24.
    const bytes = new BinaryWriter()
      .uint32(24)
      .int64(2n ** 53n + 1n)
      .finish();
    assert.throws(() => PagamentoRequest.decode(bytes), /MAX_SAFE_INTEGER/);
  });

  test('when 2^53 - 1 centavos are encoded and decoded, then the value is exact', () => {
    const req = PagamentoRequest.create({ pedido_id: 1, valor_centavos: Number.MAX_SAFE_INTEGER });
    const back = PagamentoRequest.decode(PagamentoRequest.encode(req).finish());
    assert.equal(back.valor_centavos, Number.MAX_SAFE_INTEGER);
  });
});
