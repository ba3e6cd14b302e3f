import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import {
  CatalogoClient,
  MetodoPagamento,
  PagamentoClient,
  PagamentoService,
  StatusPagamento,
  type PagamentoRequest,
  type PagamentoResponse,
  type PagamentoServer,
} from '@dslab/checkout-contracts';
import { AppError } from '@dslab/errors';
import { createLogger, newTraceId } from '@dslab/logging';
import { expectAppError, freePort } from '@dslab/testing';
import {
  callUnary,
  channelOptions,
  createGrpcServer,
  fromGrpcError,
  listenGrpc,
  PROBLEM_METADATA_KEY,
  stopGrpc,
  unaryHandler,
  type HandlerContext,
} from './index.js';

function answer(request: PagamentoRequest): PagamentoResponse {
  return {
    pedido_id: request.pedido_id,
    sucesso: true,
    mensagem: 'Pagamento aprovado',
    status: StatusPagamento.STATUS_PAGAMENTO_APROVADO,
    pagamento_id: 7,
    valor_centavos: request.valor_centavos,
    metodo: request.metodo,
    data_processamento: '2025-10-26T18:00:04.500Z',
  };
}

const request: PagamentoRequest = {
  pedido_id: 42,
  valor_centavos: 12_345,
  idempotency_key: '',
  metodo: MetodoPagamento.METODO_PAGAMENTO_PIX,
};

describe('grpc-kit over a real grpc-js server', () => {
  const lines: string[] = [];
  const logger = createLogger({ service: 'grpc-kit-test', console: false, onLine: (l) => lines.push(l) });
  /** What the server does on the next call; each test sets it. */
  let behaviour: (request: PagamentoRequest, ctx: HandlerContext) => Promise<PagamentoResponse> = async (r) =>
    answer(r);
  let calls = 0;
  let server: grpc.Server;
  let client: PagamentoClient;
  let address: string;
  const ctx = () => ({ deadline: Date.now() + 2_000, traceId: newTraceId() });

  before(async () => {
    server = createGrpcServer();
    const handlers: PagamentoServer = {
      processarPagamento: unaryHandler(
        logger,
        (r: PagamentoRequest, c) => {
          calls += 1;
          return behaviour(r, c);
        },
        { defaultMs: 4_000, maxMs: 8_000 },
      ),
      estornar: unaryHandler(logger, async () => {
        throw new Error('not used');
      }),
    };
    server.addService(PagamentoService, handlers);
    const port = await listenGrpc(server, '127.0.0.1', 0);
    assert.ok(port > 0);
    address = `127.0.0.1:${port}`;
    client = new PagamentoClient(address, grpc.credentials.createInsecure(), channelOptions);
  });

  after(async () => {
    client.close();
    await stopGrpc(server, 1_000);
  });

  test('when the handler answers, then the client gets the same message', async () => {
    behaviour = async (r) => answer(r);
    const response = await callUnary(
      client,
      client.processarPagamento.bind(client),
      request,
      ctx(),
      'pagamentos',
    );
    assert.deepEqual(response, answer(request));
  });

  test('when the handler throws an AppError, then the client gets the same code, detail and extensions', async () => {
    const faltas = [{ produto_id: 3, solicitado: 5, disponivel: 1 }];
    behaviour = async () => {
      throw new AppError('insufficient-stock', 'Estoque insuficiente para 1 produto', {
        extensions: { faltas, pedido_id: 42 },
      });
    };
    const error = await expectAppError(
      callUnary(client, client.processarPagamento.bind(client), request, ctx(), 'pagamentos'),
    );
    assert.equal(error.code, 'insufficient-stock');
    assert.equal(error.status, 409);
    assert.equal(error.detail, 'Estoque insuficiente para 1 produto');
    assert.deepEqual(error.extensions, { faltas, pedido_id: 42 });
    const cause = error.cause as grpc.ServiceError;
    assert.equal(cause.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(cause.details, 'Estoque insuficiente para 1 produto');
    assert.equal(cause.metadata.get(PROBLEM_METADATA_KEY).length, 1);
  });

  test('when a server answers not_delivered from its own neighbour, then the caller does not see it (it was delivered here)', async () => {
    behaviour = async () => {
      throw new AppError('unavailable', 'estoque is unavailable', { extensions: { not_delivered: true } });
    };
    const error = await expectAppError(
      callUnary(client, client.processarPagamento.bind(client), request, ctx(), 'pagamentos'),
    );
    assert.equal(error.code, 'unavailable');
    assert.deepEqual(error.extensions, {});
  });

  test('when the handler throws something unexpected, then INTERNAL with a generic detail, logged at ERROR', async () => {
    lines.length = 0;
    behaviour = async () => {
      throw new Error('segredo interno');
    };
    const error = await expectAppError(
      callUnary(client, client.processarPagamento.bind(client), request, ctx(), 'pagamentos'),
    );
    assert.equal(error.code, 'internal');
    assert.doesNotMatch(error.detail, /segredo/);
    assert.equal((error.cause as grpc.ServiceError).code, grpc.status.INTERNAL);
    const logged = lines.find((l) => l.startsWith('ERROR:'));
    assert.ok(logged, 'an ERROR line');
    assert.match(
      logged,
      /Erro ao processar \/checkout\.v1\.Pagamento\/ProcessarPagamento: Error: segredo interno/,
    );
  });

  test('when the client sets a deadline, then the handler sees the same absolute deadline', async () => {
    let seen: number | undefined;
    behaviour = async (r, c) => {
      seen = c.deadline;
      return answer(r);
    };
    const deadline = Date.now() + 3_000;
    await callUnary(
      client,
      client.processarPagamento.bind(client),
      request,
      { deadline, traceId: newTraceId() },
      'x',
    );
    assert.ok(seen !== undefined);
    assert.ok(Math.abs(seen - deadline) < 100, `server deadline ${seen} vs client ${deadline}`);
  });

  test('when the caller asks for more than the maximum, then the handler gets the maximum', async () => {
    let seen = 0;
    behaviour = async (r, c) => {
      seen = c.deadline;
      return answer(r);
    };
    const start = Date.now();
    await callUnary(
      client,
      client.processarPagamento.bind(client),
      request,
      { deadline: start + 60_000, traceId: newTraceId() },
      'x',
    );
    assert.ok(seen - start <= 8_100 && seen - start >= 7_500, `budget ${seen - start} ms`);
  });

  test('when the caller sends no deadline, then the handler gets the default budget', async () => {
    let seen = 0;
    behaviour = async (r, c) => {
      seen = c.deadline;
      return answer(r);
    };
    const start = Date.now();
    await new Promise<void>((resolve, reject) => {
      client.processarPagamento(request, (error) => {
        if (error) reject(error);
        else resolve();
      });
    });
    assert.ok(seen - start <= 4_100 && seen - start >= 3_500, `budget ${seen - start} ms`);
  });

  test('when the caller has a trace id, then the handler sees it (traceparent)', async () => {
    let seen = '';
    behaviour = async (r, c) => {
      seen = c.traceId;
      assert.match(String(c.metadata.get('traceparent')[0]), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      return answer(r);
    };
    const traceId = newTraceId();
    await callUnary(
      client,
      client.processarPagamento.bind(client),
      request,
      { deadline: Date.now() + 2_000, traceId },
      'x',
    );
    assert.equal(seen, traceId);
  });

  test('when the handler is slower than the deadline, then the client gets timeout at the deadline', async () => {
    behaviour = async (r) => {
      await sleep(1_500);
      return answer(r);
    };
    const start = performance.now();
    const error = await expectAppError(
      callUnary(
        client,
        client.processarPagamento.bind(client),
        request,
        { deadline: Date.now() + 150, traceId: newTraceId() },
        'pagamentos',
      ),
    );
    const elapsed = performance.now() - start;
    assert.equal(error.code, 'timeout');
    assert.equal(error.detail, 'pagamentos did not answer before the deadline');
    assert.equal(error.extensions.not_delivered, undefined);
    assert.ok(elapsed < 700, `took ${elapsed} ms`);
  });

  test('when the deadline has already passed, then the call is refused without reaching the server', async () => {
    const before = calls;
    const error = await expectAppError(
      callUnary(
        client,
        client.processarPagamento.bind(client),
        request,
        { deadline: Date.now() - 1, traceId: newTraceId() },
        'pagamentos',
      ),
    );
    assert.equal(error.code, 'timeout');
    assert.equal(error.extensions.not_delivered, true);
    assert.equal(calls, before);
  });

  test('when nothing listens on the port, then unavailable with not_delivered, after the reconnect grace at most', async () => {
    const port = await freePort();
    const nowhere = new PagamentoClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
      channelOptions,
    );
    try {
      let start = performance.now();
      const error = await expectAppError(
        callUnary(nowhere, nowhere.processarPagamento.bind(nowhere), request, ctx(), 'pagamentos', {
          reconnectGraceMs: 0,
        }),
      );
      assert.equal(error.code, 'unavailable');
      assert.equal(error.status, 503);
      assert.equal(error.extensions.not_delivered, true);
      assert.match(error.detail, /^pagamentos is unavailable: /);
      assert.equal((error.cause as grpc.ServiceError).code, grpc.status.UNAVAILABLE);
      assert.ok(performance.now() - start < 300, 'without grace it fails at once');

      // With the default grace (1 s, at most half the 2 s budget) it waits for a connection first.
      start = performance.now();
      const again = await expectAppError(
        callUnary(nowhere, nowhere.processarPagamento.bind(nowhere), request, ctx(), 'pagamentos'),
      );
      const elapsed = performance.now() - start;
      assert.equal(again.code, 'unavailable');
      assert.equal(again.extensions.not_delivered, true);
      assert.ok(elapsed >= 900 && elapsed < 1_500, `gave up after ${elapsed} ms`);
    } finally {
      nowhere.close();
    }
  });

  test('when the neighbour comes back during the reconnect grace, then the call goes through', async () => {
    const port = await freePort();
    const later = new PagamentoClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), channelOptions);
    const revived = createGrpcServer();
    revived.addService(PagamentoService, {
      processarPagamento: unaryHandler(logger, async (r: PagamentoRequest) => answer(r)),
      estornar: unaryHandler(logger, async () => {
        throw new Error('not used');
      }),
    } satisfies PagamentoServer);
    try {
      // The first call fails: the channel is now in reconnect backoff.
      await expectAppError(
        callUnary(later, later.processarPagamento.bind(later), request, ctx(), 'pagamentos', {
          reconnectGraceMs: 0,
        }),
      );
      await listenGrpc(revived, '127.0.0.1', port);
      const response = await callUnary(
        later,
        later.processarPagamento.bind(later),
        request,
        ctx(),
        'pagamentos',
      );
      assert.deepEqual(response, answer(request));
    } finally {
      later.close();
      await stopGrpc(revived, 1_000);
    }
  });

  test('when the service is not registered on the server, then a 4xx-kind error without not_delivered', async () => {
    const catalogo = new CatalogoClient(address, grpc.credentials.createInsecure(), channelOptions);
    try {
      const error = await expectAppError(
        callUnary(catalogo, catalogo.obterProdutos.bind(catalogo), { ids: [1] }, ctx(), 'catalogo'),
      );
      assert.equal(error.code, 'method-not-allowed');
      assert.equal(error.extensions.not_delivered, undefined);
    } finally {
      catalogo.close();
    }
  });
});

describe('fromGrpcError without a problem document', () => {
  function serviceError(code: grpc.status, details: string): grpc.ServiceError {
    return Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), {
      code,
      details,
      metadata: new grpc.Metadata(),
    });
  }

  test('maps bare statuses through the catalog', () => {
    assert.equal(
      fromGrpcError(serviceError(grpc.status.INVALID_ARGUMENT, 'x'), 't').code,
      'validation-failed',
    );
    assert.equal(fromGrpcError(serviceError(grpc.status.NOT_FOUND, 'x'), 't').code, 'not-found');
    assert.equal(fromGrpcError(serviceError(grpc.status.ABORTED, 'x'), 't').code, 'conflict');
    assert.equal(fromGrpcError(serviceError(grpc.status.UNKNOWN, 'x'), 't').code, 'internal');
    assert.equal(fromGrpcError(serviceError(grpc.status.CANCELLED, 'x'), 't').code, 'unavailable');
    const timeout = fromGrpcError(serviceError(grpc.status.DEADLINE_EXCEEDED, 'Deadline exceeded'), 'fiscal');
    assert.equal(timeout.code, 'timeout');
    assert.equal(timeout.detail, 'fiscal did not answer before the deadline');
  });

  test('marks not_delivered only when the request certainly did not leave', () => {
    const refused = fromGrpcError(
      serviceError(grpc.status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED'),
      't',
    );
    assert.equal(refused.extensions.not_delivered, true);
    const dropped = fromGrpcError(serviceError(grpc.status.UNAVAILABLE, 'Connection dropped'), 't');
    assert.equal(dropped.code, 'unavailable');
    assert.equal(dropped.extensions.not_delivered, undefined);
    const reset = fromGrpcError(serviceError(grpc.status.UNAVAILABLE, 'read ECONNRESET'), 't');
    assert.equal(reset.extensions.not_delivered, undefined);
  });

  test('ignores a problem document with an unknown code', () => {
    const error = serviceError(grpc.status.NOT_FOUND, 'gone');
    error.metadata.set(
      PROBLEM_METADATA_KEY,
      Buffer.from(JSON.stringify({ code: 'no-such-code', detail: 'x' })),
    );
    assert.equal(fromGrpcError(error, 't').code, 'not-found');
  });
});
