import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CatalogoService,
  EstoqueService,
  FiscalService,
  LogisticaService,
  PagamentoService,
  PedidosService,
  type CallContext,
  type CatalogoPort,
  type CatalogoServer,
  type EstoquePort,
  type EstoqueServer,
  type FiscalPort,
  type FiscalServer,
  type ItemComPrecoValue,
  type ListarProdutosQuery,
  type LogisticaPort,
  type LogisticaServer,
  type PagamentosPort,
  type PagamentoServer,
  type PedidosPort,
  type PedidosServer,
  type PedidoValue,
  type ProdutoInfoValue,
} from '@dslab/checkout-contracts';
import { AppError } from '@dslab/errors';
import { createGrpcServer, listenGrpc, stopGrpc, unaryHandler } from '@dslab/grpc-kit';
import { callContextFromRequest, createHttpApp, type HttpApp } from '@dslab/http-kit';
import { createLogger, newTraceId } from '@dslab/logging';
import { expectAppError } from '@dslab/testing';
import {
  agendarEnvioRequestFromProto,
  closeClients,
  createClients,
  criarPedidoRequestFromProto,
  emitirRequestFromProto,
  envioToProto,
  estornarRequestFromProto,
  estornoToProto,
  liberarRequestFromProto,
  listarProdutosQueryFromProto,
  notaFiscalToProto,
  pagamentoRequestFromProto,
  pagamentoToProto,
  pedidoToProto,
  produtoInfoToProto,
  produtoPrecoToProto,
  saldoToProto,
  separacaoToProto,
  separarRequestFromProto,
  type CheckoutClients,
  type CheckoutServiceName,
  type Transport,
} from './index.js';

/**
 * Every port served by a small in-memory implementation over a real grpc-js server and a real
 * Fastify app (the way the services wire their entry points: grpc-kit's unaryHandler + this
 * package's codec, http-kit's createHttpApp + callContextFromRequest), then called through the
 * clients of both transports. Both must give the caller the same values and the same AppErrors.
 */

interface Received {
  method: string;
  args: unknown;
  ctx: CallContext;
}

const NOW = '2025-10-26T18:00:04.500Z';
const PRODUTOS: ProdutoInfoValue[] = [
  { id: 1, nome: 'Caneta', estoque: 10, preco_centavos: 250 },
  { id: 2, nome: 'Caderno', estoque: 0, preco_centavos: 1_990 },
];

function pedidoValue(id: number): PedidoValue {
  const itens: ItemComPrecoValue[] = [{ produto_id: 1, quantidade: 2, preco_unitario_centavos: 250 }];
  return {
    id,
    cliente_id: 7,
    status: id === 2 ? 'cancelado' : 'enviado',
    itens,
    valor_total_centavos: 500,
    metodo_pagamento: 'pix',
    data_criacao: NOW,
    atualizado_em: '2025-10-26T18:00:05.250Z',
    ...(id === 2
      ? { motivo: 'pagamento rejeitado' }
      : { numero_nota_fiscal: 'NF1-1', codigo_rastreamento: 'BR000000001PY' }),
  };
}

function fakes(received: Received[]) {
  const record = (method: string, args: unknown, ctx: CallContext) => {
    received.push({ method, args, ctx: { deadline: ctx.deadline, traceId: ctx.traceId } });
  };
  const catalogo: CatalogoPort = {
    async listarProdutos(query, ctx) {
      record('listarProdutos', query, ctx);
      const produtos = PRODUTOS.filter(
        (p) => query.disponivel === undefined || p.estoque > 0 === query.disponivel,
      );
      return { produtos, total: 57 };
    },
    async obterProdutos(ids, ctx) {
      record('obterProdutos', ids, ctx);
      return PRODUTOS.filter((p) => ids.includes(p.id)).map(({ id, nome, preco_centavos }) => ({
        id,
        nome,
        preco_centavos,
      }));
    },
  };
  const estoque: EstoquePort = {
    async separar(req, ctx) {
      record('separar', req, ctx);
      const faltas = req.itens
        .filter((i) => i.quantidade > 10)
        .map((i) => ({ produto_id: i.produto_id, solicitado: i.quantidade, disponivel: 10 }));
      if (faltas.length > 0) {
        throw new AppError('insufficient-stock', `Estoque insuficiente para ${faltas.length} produto(s)`, {
          extensions: { faltas },
        });
      }
      return {
        pedido_id: req.pedido_id,
        status: 'separado',
        itens: req.itens.map((i) => ({ ...i })),
        mensagem: 'Estoque separado',
      };
    },
    async liberar(req, ctx) {
      record('liberar', req, ctx);
      return {
        pedido_id: req.pedido_id,
        status: 'liberado',
        itens: [{ produto_id: 1, quantidade: 2 }],
        mensagem: 'Estoque liberado',
      };
    },
    async consultar(ids, ctx) {
      record('consultar', ids, ctx);
      const all = [
        { produto_id: 1, quantidade_disponivel: 10 },
        { produto_id: 2, quantidade_disponivel: 0 },
      ];
      return ids.length === 0 ? all : all.filter((s) => ids.includes(s.produto_id));
    },
  };
  const pagamentos: PagamentosPort = {
    async processar(req, ctx) {
      record('processar', req, ctx);
      if (req.valor_centavos <= 0) {
        throw new AppError('validation-failed', 'valor_centavos must be greater than zero', {
          extensions: { errors: [{ field: 'valor_centavos', message: 'must be > 0' }] },
        });
      }
      if (req.pedido_id === 999) {
        throw new AppError('idempotency-key-reused', 'Pedido 999 já tem pagamento com outros valores', {
          extensions: { pedido_id: 999 },
        });
      }
      return {
        pagamento_id: 3,
        pedido_id: req.pedido_id,
        sucesso: true,
        status: 'aprovado',
        mensagem: 'Pagamento aprovado',
        valor_centavos: req.valor_centavos,
        metodo: req.metodo,
        data_processamento: NOW,
      };
    },
    async estornar(req, ctx) {
      record('estornar', req, ctx);
      return { pedido_id: req.pedido_id, status: 'estornado', mensagem: 'Pagamento estornado' };
    },
  };
  const fiscal: FiscalPort = {
    async emitir(req, ctx) {
      record('emitir', req, ctx);
      return {
        nota_fiscal_id: 9,
        pedido_id: req.pedido_id,
        numero: `NF9-${req.pedido_id}`,
        chave_acesso: '3'.repeat(44),
        data_emissao: NOW,
        valor_centavos: req.valor_centavos,
      };
    },
  };
  const logistica: LogisticaPort = {
    async agendarEnvio(req, ctx) {
      record('agendarEnvio', req, ctx);
      return {
        envio_id: 4,
        pedido_id: req.pedido_id,
        nota_fiscal_id: req.nota_fiscal_id,
        codigo_rastreamento: 'BR123456789PY',
        status: 'aguardando_envio',
        data_despacho: '',
      };
    },
  };
  const pedidos: PedidosPort = {
    async criarPedido(req, ctx) {
      record('criarPedido', req, ctx);
      return pedidoValue(1);
    },
    async obterPedido(id, ctx) {
      record('obterPedido', id, ctx);
      if (id === 404) throw new AppError('not-found', 'Pedido 404 não encontrado');
      return pedidoValue(id);
    },
  };
  return { catalogo, estoque, pagamentos, fiscal, logistica, pedidos };
}

type Ports = ReturnType<typeof fakes>;
const logger = createLogger({ service: 'clients-test', console: false });

async function startGrpc(ports: Ports): Promise<{ address: string; stop: () => Promise<void> }> {
  const server = createGrpcServer();
  const h = <Req, Res>(fn: Parameters<typeof unaryHandler<Req, Res>>[1]) => unaryHandler(logger, fn);
  const catalogo: CatalogoServer = {
    listarProdutos: h(async (r, ctx) => {
      const { produtos, total } = await ports.catalogo.listarProdutos(listarProdutosQueryFromProto(r), ctx);
      return { produtos: produtos.map(produtoInfoToProto), total };
    }),
    obterProdutos: h(async (r, ctx) => ({
      produtos: (await ports.catalogo.obterProdutos(r.ids, ctx)).map(produtoPrecoToProto),
    })),
  };
  const estoque: EstoqueServer = {
    separarEstoque: h(async (r, ctx) =>
      separacaoToProto(await ports.estoque.separar(separarRequestFromProto(r), ctx)),
    ),
    liberarEstoque: h(async (r, ctx) =>
      separacaoToProto(await ports.estoque.liberar(liberarRequestFromProto(r), ctx)),
    ),
    consultarEstoque: h(async (r, ctx) => ({
      saldos: (await ports.estoque.consultar(r.produto_ids, ctx)).map(saldoToProto),
    })),
  };
  const pagamentos: PagamentoServer = {
    processarPagamento: h(async (r, ctx) =>
      pagamentoToProto(await ports.pagamentos.processar(pagamentoRequestFromProto(r), ctx)),
    ),
    estornar: h(async (r, ctx) =>
      estornoToProto(await ports.pagamentos.estornar(estornarRequestFromProto(r), ctx)),
    ),
  };
  const fiscal: FiscalServer = {
    emitirNotaFiscal: h(async (r, ctx) =>
      notaFiscalToProto(await ports.fiscal.emitir(emitirRequestFromProto(r), ctx)),
    ),
  };
  const logistica: LogisticaServer = {
    agendarEnvio: h(async (r, ctx) =>
      envioToProto(await ports.logistica.agendarEnvio(agendarEnvioRequestFromProto(r), ctx)),
    ),
  };
  const pedidos: PedidosServer = {
    criarPedido: h(async (r, ctx) => ({
      pedido: pedidoToProto(await ports.pedidos.criarPedido(criarPedidoRequestFromProto(r), ctx)),
    })),
    obterPedido: h(async (r, ctx) => ({
      pedido: pedidoToProto(await ports.pedidos.obterPedido(r.pedido_id, ctx)),
    })),
  };
  server.addService(CatalogoService, catalogo);
  server.addService(EstoqueService, estoque);
  server.addService(PagamentoService, pagamentos);
  server.addService(FiscalService, fiscal);
  server.addService(LogisticaService, logistica);
  server.addService(PedidosService, pedidos);
  const port = await listenGrpc(server, '127.0.0.1', 0);
  return { address: `127.0.0.1:${port}`, stop: () => stopGrpc(server, 1_000) };
}

async function startRest(ports: Ports): Promise<{ url: string; app: HttpApp }> {
  const app = await createHttpApp({
    service: 'checkout-fakes',
    logger,
    title: 'fakes',
    rateLimitPerMinute: 0,
  });
  const timeouts = { defaultMs: 5_000, maxMs: 10_000 };
  type Body = Record<string, unknown>;
  const body = (b: unknown) => b as Body;
  app.get('/produtos', async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const query: ListarProdutosQuery = {
      limit: Number(q.limit),
      offset: Number(q.offset),
      ...(q.disponivel === undefined ? {} : { disponivel: q.disponivel === 'true' }),
    };
    const { produtos, total } = await ports.catalogo.listarProdutos(
      query,
      callContextFromRequest(request, timeouts),
    );
    return reply.header('x-total-count', String(total)).send(produtos);
  });
  app.post('/produtos/consulta', async (request) =>
    ports.catalogo.obterProdutos(
      body(request.body).ids as number[],
      callContextFromRequest(request, timeouts),
    ),
  );
  app.post('/estoque/separar', async (request, reply) =>
    reply
      .code(201)
      .send(await ports.estoque.separar(request.body as never, callContextFromRequest(request, timeouts))),
  );
  app.post('/estoque/liberar', async (request) =>
    ports.estoque.liberar(request.body as never, callContextFromRequest(request, timeouts)),
  );
  app.get('/estoque', async (request) => {
    const raw = (request.query as { produto_ids?: string }).produto_ids;
    const ids = raw === undefined ? [] : raw.split(',').map(Number);
    return ports.estoque.consultar(ids, callContextFromRequest(request, timeouts));
  });
  app.post('/pagamentos', async (request, reply) => {
    const b = body(request.body);
    const key = request.headers['idempotency-key'];
    const value = await ports.pagamentos.processar(
      {
        pedido_id: b.pedido_id as number,
        valor_centavos: b.valor_centavos as number,
        metodo: b.metodo as 'pix',
        ...(typeof key === 'string' ? { idempotency_key: key } : {}),
      },
      callContextFromRequest(request, timeouts),
    );
    return reply.code(201).send(value);
  });
  app.post('/pagamentos/:pedido_id/estorno', async (request) =>
    ports.pagamentos.estornar(
      {
        pedido_id: Number((request.params as { pedido_id: string }).pedido_id),
        motivo: body(request.body).motivo as string,
      },
      callContextFromRequest(request, timeouts),
    ),
  );
  app.post('/notas-fiscais', async (request, reply) =>
    reply
      .code(201)
      .send(await ports.fiscal.emitir(request.body as never, callContextFromRequest(request, timeouts))),
  );
  app.post('/envios', async (request, reply) =>
    reply
      .code(201)
      .send(
        await ports.logistica.agendarEnvio(request.body as never, callContextFromRequest(request, timeouts)),
      ),
  );
  app.post('/pedidos', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    const req = { ...body(request.body), ...(typeof key === 'string' ? { idempotency_key: key } : {}) };
    return reply
      .code(201)
      .send(await ports.pedidos.criarPedido(req as never, callContextFromRequest(request, timeouts)));
  });
  app.get('/pedidos/:id', async (request) =>
    ports.pedidos.obterPedido(
      Number((request.params as { id: string }).id),
      callContextFromRequest(request, timeouts),
    ),
  );
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, app };
}

const ALL: readonly CheckoutServiceName[] = [
  'catalogo',
  'estoque',
  'pagamentos',
  'fiscal',
  'logistica',
  'pedidos',
];

for (const transport of ['grpc', 'rest'] as const satisfies readonly Transport[]) {
  describe(`checkout clients over ${transport}`, () => {
    const received: Received[] = [];
    const ports = fakes(received);
    let clients: CheckoutClients<CheckoutServiceName>;
    let stop: () => Promise<void>;

    before(async () => {
      let address: string;
      if (transport === 'grpc') {
        const started = await startGrpc(ports);
        address = started.address;
        stop = started.stop;
      } else {
        const started = await startRest(ports);
        address = started.url;
        stop = () => started.app.close();
      }
      clients = createClients(
        transport,
        Object.fromEntries(ALL.map((s) => [s, address])) as Record<CheckoutServiceName, string>,
      );
    });

    after(async () => {
      await closeClients(clients);
      await stop();
    });

    /** The last call the implementation received, checked for the caller's trace id and deadline. */
    function last(ctx: CallContext): Received {
      const call = received.at(-1);
      assert.ok(call !== undefined, 'the implementation was called');
      assert.equal(call.ctx.traceId, ctx.traceId);
      assert.ok(
        Math.abs(call.ctx.deadline - ctx.deadline) < 100,
        `deadline ${call.ctx.deadline} vs ${ctx.deadline}`,
      );
      return call;
    }
    const ctx = (): CallContext => ({ deadline: Date.now() + 3_000, traceId: newTraceId() });

    test('PagamentosPort.processar returns the implementation’s value, with the idempotency key and context', async () => {
      const c = ctx();
      const req = {
        pedido_id: 42,
        valor_centavos: 12_345,
        metodo: 'pix',
        idempotency_key: 'chave-1',
      } as const;
      const value = await clients.pagamentos.processar(req, c);
      assert.deepEqual(value, await ports.pagamentos.processar(req, c));
      received.pop();
      assert.deepEqual(last(c).args, req);
      const noKey = { pedido_id: 43, valor_centavos: 1, metodo: 'boleto' } as const;
      await clients.pagamentos.processar(noKey, c);
      assert.deepEqual(last(c).args, noKey);
    });

    test('PagamentosPort errors arrive as the same AppError: validation-failed and idempotency-key-reused', async () => {
      const invalid = await expectAppError(
        clients.pagamentos.processar({ pedido_id: 42, valor_centavos: 0, metodo: 'pix' }, ctx()),
      );
      assert.equal(invalid.code, 'validation-failed');
      assert.equal(invalid.status, 400);
      assert.equal(invalid.detail, 'valor_centavos must be greater than zero');
      assert.deepEqual(invalid.extensions, { errors: [{ field: 'valor_centavos', message: 'must be > 0' }] });

      const reused = await expectAppError(
        clients.pagamentos.processar({ pedido_id: 999, valor_centavos: 10, metodo: 'pix' }, ctx()),
      );
      assert.equal(reused.code, 'idempotency-key-reused');
      assert.equal(reused.detail, 'Pedido 999 já tem pagamento com outros valores');
      assert.deepEqual(reused.extensions, { pedido_id: 999 });
    });

    test('PagamentosPort.estornar', async () => {
      const c = ctx();
      const value = await clients.pagamentos.estornar({ pedido_id: 42, motivo: 'estoque insuficiente' }, c);
      assert.deepEqual(value, { pedido_id: 42, status: 'estornado', mensagem: 'Pagamento estornado' });
      assert.deepEqual(last(c).args, { pedido_id: 42, motivo: 'estoque insuficiente' });
    });

    test('EstoquePort: separar (extra item fields are not sent), insufficient-stock with faltas, liberar, consultar', async () => {
      const c = ctx();
      const itens = [{ produto_id: 1, quantidade: 2, preco_unitario_centavos: 250 }];
      const separado = await clients.estoque.separar({ pedido_id: 42, itens }, c);
      assert.deepEqual(separado, {
        pedido_id: 42,
        status: 'separado',
        itens: [{ produto_id: 1, quantidade: 2 }],
        mensagem: 'Estoque separado',
      });
      assert.deepEqual(last(c).args, { pedido_id: 42, itens: [{ produto_id: 1, quantidade: 2 }] });

      const short = await expectAppError(
        clients.estoque.separar({ pedido_id: 43, itens: [{ produto_id: 2, quantidade: 50 }] }, ctx()),
      );
      assert.equal(short.code, 'insufficient-stock');
      assert.deepEqual(short.extensions, { faltas: [{ produto_id: 2, solicitado: 50, disponivel: 10 }] });

      assert.equal(
        (await clients.estoque.liberar({ pedido_id: 42, motivo: 'cancelado' }, c)).status,
        'liberado',
      );
      assert.deepEqual(last(c).args, { pedido_id: 42, motivo: 'cancelado' });
      assert.deepEqual(await clients.estoque.consultar([2], c), [
        { produto_id: 2, quantidade_disponivel: 0 },
      ]);
      assert.deepEqual(last(c).args, [2]);
      assert.equal((await clients.estoque.consultar([], c)).length, 2);
      assert.deepEqual(last(c).args, []);
    });

    test('CatalogoPort: listarProdutos with the total, obterProdutos', async () => {
      const c = ctx();
      assert.deepEqual(await clients.catalogo.listarProdutos({ limit: 10, offset: 0 }, c), {
        produtos: PRODUTOS,
        total: 57,
      });
      assert.deepEqual(last(c).args, { limit: 10, offset: 0 });
      const disponiveis = await clients.catalogo.listarProdutos({ disponivel: true, limit: 5, offset: 2 }, c);
      assert.deepEqual(disponiveis.produtos, [PRODUTOS[0]]);
      assert.deepEqual(last(c).args, { disponivel: true, limit: 5, offset: 2 });
      assert.deepEqual(await clients.catalogo.obterProdutos([2, 3], c), [
        { id: 2, nome: 'Caderno', preco_centavos: 1_990 },
      ]);
      assert.deepEqual(last(c).args, [2, 3]);
    });

    test('FiscalPort.emitir and LogisticaPort.agendarEnvio', async () => {
      const c = ctx();
      const emitir = {
        pedido_id: 42,
        valor_centavos: 500,
        itens: [{ produto_id: 1, quantidade: 2, preco_unitario_centavos: 250 }],
      };
      assert.deepEqual(await clients.fiscal.emitir(emitir, c), await ports.fiscal.emitir(emitir, c));
      received.pop();
      assert.deepEqual(last(c).args, emitir);
      const agendar = { pedido_id: 42, nota_fiscal_id: 9, numero_nota_fiscal: 'NF9-42' };
      assert.deepEqual(
        await clients.logistica.agendarEnvio(agendar, c),
        await ports.logistica.agendarEnvio(agendar, c),
      );
      received.pop();
      assert.deepEqual(last(c).args, agendar);
    });

    test('PedidosPort: criarPedido and obterPedido with and without the optional fields; not-found', async () => {
      const c = ctx();
      const criar = { cliente_id: 7, itens: [{ produto_id: 1, quantidade: 2 }], idempotency_key: 'k-9' };
      assert.deepEqual(await clients.pedidos.criarPedido(criar, c), pedidoValue(1));
      assert.deepEqual(last(c).args, criar);
      const comMetodo = {
        cliente_id: 7,
        itens: [{ produto_id: 1, quantidade: 2 }],
        metodo_pagamento: 'boleto',
      } as const;
      await clients.pedidos.criarPedido(comMetodo, c);
      assert.deepEqual(last(c).args, comMetodo);
      assert.deepEqual(await clients.pedidos.obterPedido(2, c), pedidoValue(2));
      const missing = await expectAppError(clients.pedidos.obterPedido(404, ctx()));
      assert.equal(missing.code, 'not-found');
      assert.equal(missing.detail, 'Pedido 404 não encontrado');
    });
  });
}
