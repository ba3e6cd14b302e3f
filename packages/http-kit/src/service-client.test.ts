import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, isAppError } from '@dslab/errors';
import { createLogger, newTraceId } from '@dslab/logging';
import { expectAppError, freePort } from '@dslab/testing';
import { createHttpApp, type HttpApp } from './app.js';
import { callContextFromRequest } from './deadline.js';
import { createServiceClient, type ServiceClient } from './service-client.js';

const SETTINGS = { defaultMs: 4_000, maxMs: 8_000 };

interface Echo {
  body: unknown;
  query: Record<string, string>;
  headers: Record<string, string | undefined>;
  deadline: number;
  traceId: string;
}

describe('createServiceClient against a real createHttpApp server', () => {
  let app: HttpApp;
  let client: ServiceClient;
  let baseUrl: string;
  let hits = 0;
  const ctx = () => ({ deadline: Date.now() + 2_000, traceId: newTraceId() });

  before(async () => {
    const logger = createLogger({ service: 'http-kit-test', console: false });
    app = await createHttpApp({ service: 'svc', logger, title: 'Test', rateLimitPerMinute: 0 });
    app.addHook('onRequest', async () => {
      hits += 1;
    });
    const echo = async (request: {
      body: unknown;
      query: unknown;
      headers: Record<string, string | string[] | undefined>;
      traceId: string;
    }): Promise<Echo> => {
      const callCtx = callContextFromRequest(request, SETTINGS);
      return {
        body: request.body ?? null,
        query: request.query as Record<string, string>,
        headers: {
          'x-timeout-ms': request.headers['x-timeout-ms'] as string | undefined,
          traceparent: request.headers.traceparent as string | undefined,
          'idempotency-key': request.headers['idempotency-key'] as string | undefined,
          'content-type': request.headers['content-type'] as string | undefined,
        },
        deadline: callCtx.deadline,
        traceId: callCtx.traceId,
      };
    };
    app.post('/echo', async (request, reply) => reply.code(201).send(await echo(request)));
    app.get('/echo', async (request) => echo(request));
    app.get('/counted', async (_request, reply) => reply.header('x-total-count', '57').send([1, 2]));
    app.get('/empty', async (_request, reply) => reply.code(204).send());
    app.get('/insufficient', async () => {
      throw new AppError('insufficient-stock', 'Estoque insuficiente para 1 produto', {
        extensions: { faltas: [{ produto_id: 3, solicitado: 5, disponivel: 1 }] },
      });
    });
    app.get('/neighbour-down', async () => {
      throw new AppError('unavailable', 'estoque is unavailable', { extensions: { not_delivered: true } });
    });
    app.get('/mismatch', async (_request, reply) =>
      reply.code(400).type('application/problem+json').send({ code: 'not-found', detail: 'x' }),
    );
    app.get('/unknown-code', async (_request, reply) =>
      reply.code(409).type('application/problem+json').send({ code: 'no-such-thing', detail: 'x' }),
    );
    app.get('/text-502', async (_request, reply) => reply.code(502).type('text/plain').send('bad gateway'));
    app.get('/text-418', async (_request, reply) => reply.code(418).type('text/plain').send('teapot'));
    app.get('/garbage', async (_request, reply) => reply.type('application/json').send('{"a":'));
    app.get('/slow', async () => {
      await sleep(1_500);
      return { late: true };
    });
    app.post('/reset', async (request) => {
      request.raw.socket.destroy();
      await sleep(1_000);
      return {};
    });
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    client = createServiceClient({ baseUrl, target: 'svc' });
  });

  after(async () => {
    await client.close();
    await app.close();
  });

  test('when the server answers 2xx, then status, JSON body and headers arrive', async () => {
    const answer = await client.request<Echo>('POST', '/echo', {
      body: { pedido_id: 42, itens: [{ produto_id: 1, quantidade: 2 }] },
      query: { a: 1, b: undefined, ids: [1, 2, 3], flag: false },
      headers: { 'idempotency-key': 'k-1' },
      ctx: ctx(),
    });
    assert.equal(answer.status, 201);
    assert.deepEqual(answer.body.body, { pedido_id: 42, itens: [{ produto_id: 1, quantidade: 2 }] });
    assert.deepEqual({ ...answer.body.query }, { a: '1', ids: '1,2,3', flag: 'false' });
    assert.equal(answer.body.headers['idempotency-key'], 'k-1');
    assert.equal(answer.body.headers['content-type'], 'application/json');
    const counted = await client.request<number[]>('GET', '/counted', { ctx: ctx() });
    assert.equal(counted.headers['x-total-count'], '57');
    assert.deepEqual(counted.body, [1, 2]);
    const empty = await client.request<undefined>('GET', '/empty', { ctx: ctx() });
    assert.equal(empty.status, 204);
    assert.equal(empty.body, undefined);
  });

  test('when the caller has a deadline, then the server sees the remaining budget and derives the same deadline', async () => {
    const deadline = Date.now() + 3_000;
    const answer = await client.request<Echo>('GET', '/echo', { ctx: { deadline, traceId: newTraceId() } });
    const sent = Number(answer.body.headers['x-timeout-ms']);
    assert.ok(sent > 2_800 && sent <= 3_000, `x-timeout-ms ${sent}`);
    assert.ok(
      Math.abs(answer.body.deadline - deadline) < 100,
      `server ${answer.body.deadline} vs ${deadline}`,
    );
  });

  test('when the caller has a trace id, then the server reads it from traceparent', async () => {
    const traceId = newTraceId();
    const answer = await client.request<Echo>('GET', '/echo', {
      ctx: { deadline: Date.now() + 2_000, traceId },
    });
    assert.equal(answer.body.traceId, traceId);
    assert.match(answer.body.headers.traceparent ?? '', new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  test('when the server throws an AppError, then the client gets the same code, detail and extensions', async () => {
    const error = await expectAppError(client.request('GET', '/insufficient', { ctx: ctx() }));
    assert.equal(error.code, 'insufficient-stock');
    assert.equal(error.status, 409);
    assert.equal(error.detail, 'Estoque insuficiente para 1 produto');
    assert.deepEqual(error.extensions, { faltas: [{ produto_id: 3, solicitado: 5, disponivel: 1 }] });
  });

  test('when the route does not exist, then not-found as the server said', async () => {
    const error = await expectAppError(client.request('GET', '/nowhere', { ctx: ctx() }));
    assert.equal(error.code, 'not-found');
  });

  test('when a server passes on its neighbour’s not_delivered, then the caller does not see it', async () => {
    const error = await expectAppError(client.request('GET', '/neighbour-down', { ctx: ctx() }));
    assert.equal(error.code, 'unavailable');
    assert.deepEqual(error.extensions, {});
  });

  test('when the problem’s status does not match the catalog or its code is unknown, then internal', async () => {
    assert.equal((await expectAppError(client.request('GET', '/mismatch', { ctx: ctx() }))).code, 'internal');
    assert.equal(
      (await expectAppError(client.request('GET', '/unknown-code', { ctx: ctx() }))).code,
      'internal',
    );
  });

  test('when the error answer is not JSON, then unavailable for 5xx and internal otherwise', async () => {
    assert.equal(
      (await expectAppError(client.request('GET', '/text-502', { ctx: ctx() }))).code,
      'unavailable',
    );
    assert.equal((await expectAppError(client.request('GET', '/text-418', { ctx: ctx() }))).code, 'internal');
  });

  test('when a 2xx body is not JSON, then internal', async () => {
    assert.equal((await expectAppError(client.request('GET', '/garbage', { ctx: ctx() }))).code, 'internal');
  });

  test('when the server is slower than the deadline, then timeout at the deadline', async () => {
    const start = performance.now();
    const error = await expectAppError(
      client.request('GET', '/slow', { ctx: { deadline: Date.now() + 150, traceId: newTraceId() } }),
    );
    const elapsed = performance.now() - start;
    assert.equal(error.code, 'timeout');
    assert.equal(error.extensions.not_delivered, undefined);
    assert.ok(elapsed < 700, `took ${elapsed} ms`);
    // The pool still works afterwards.
    assert.equal((await client.request('GET', '/counted', { ctx: ctx() })).status, 200);
  });

  test('when the deadline has already passed, then nothing is sent and the answer is timeout', async () => {
    const before = hits;
    const error = await expectAppError(
      client.request('POST', '/echo', { body: {}, ctx: { deadline: Date.now() - 1, traceId: newTraceId() } }),
    );
    assert.equal(error.code, 'timeout');
    assert.equal(error.extensions.not_delivered, true);
    assert.equal(hits, before);
  });

  test('when the server drops the connection mid-request, then unavailable without not_delivered', async () => {
    const error = await expectAppError(client.request('POST', '/reset', { body: {}, ctx: ctx() }));
    assert.equal(error.code, 'unavailable');
    assert.equal(error.extensions.not_delivered, undefined);
    assert.ok(error.cause !== undefined);
  });

  test('when nothing listens, then unavailable with not_delivered and the original as cause', async () => {
    const port = await freePort();
    const nowhere = createServiceClient({ baseUrl: `http://127.0.0.1:${port}`, target: 'pagamentos' });
    try {
      const error = await expectAppError(nowhere.request('POST', '/pagamentos', { body: {}, ctx: ctx() }));
      assert.equal(error.code, 'unavailable');
      assert.equal(error.status, 503);
      assert.equal(error.extensions.not_delivered, true);
      assert.equal(error.detail, 'pagamentos is unavailable (ECONNREFUSED)');
      assert.equal((error.cause as { code?: string }).code, 'ECONNREFUSED');
    } finally {
      await nowhere.close();
    }
  });
});

describe('callContextFromRequest', () => {
  const request = (value?: string | string[]) => ({
    headers: value === undefined ? {} : { 'x-timeout-ms': value },
    traceId: 'abc',
  });

  test('without X-Timeout-Ms, the default budget', () => {
    const start = Date.now();
    const ctx = callContextFromRequest(request(), SETTINGS);
    assert.ok(ctx.deadline - start >= 4_000 && ctx.deadline - start < 4_100);
    assert.equal(ctx.traceId, 'abc');
  });

  test('a smaller budget is taken as is, a larger one is capped', () => {
    const start = Date.now();
    const small = callContextFromRequest(request('250'), SETTINGS);
    assert.ok(small.deadline - start >= 250 && small.deadline - start < 350);
    const large = callContextFromRequest(request('60000'), SETTINGS);
    assert.ok(large.deadline - start >= 8_000 && large.deadline - start < 8_100);
  });

  test('anything but a positive integer is validation-failed naming the header', () => {
    for (const bad of ['0', '-5', '1.5', 'abc', '', '1e3', ['100', '200'], '99999999999999999999']) {
      assert.throws(
        () => callContextFromRequest(request(bad), SETTINGS),
        (error: unknown) =>
          isAppError(error) && error.code === 'validation-failed' && /X-Timeout-Ms/.test(error.detail),
        `value ${JSON.stringify(bad)}`,
      );
    }
  });

  test('over HTTP, a bad header is a 400 problem', async () => {
    const logger = createLogger({ service: 'http-kit-test', console: false });
    const app = await createHttpApp({ service: 'svc', logger, title: 'Test' });
    app.get('/x', async (req) => callContextFromRequest(req, SETTINGS));
    try {
      const res = await app.inject({ method: 'GET', url: '/x', headers: { 'x-timeout-ms': 'soon' } });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json<{ code: string }>().code, 'validation-failed');
    } finally {
      await app.close();
    }
  });
});
