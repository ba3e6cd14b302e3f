import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AppError } from '@dslab/errors';
import { createLogger } from '@dslab/logging';
import { Type } from 'typebox';
import { createHttpApp, type HttpApp, type HttpAppOptions } from './app.js';

describe('http-kit app', () => {
  let app: HttpApp;
  const lines: string[] = [];

  before(async () => {
    const logger = createLogger({ service: 'svc', console: false, onLine: (l) => lines.push(l) });
    app = await createHttpApp({
      service: 'svc',
      logger,
      title: 'Test',
      bodyLimit: 1024,
      rateLimitPerMinute: 0,
    });
    app.post(
      '/things',
      {
        schema: {
          body: Type.Object(
            { n: Type.Integer({ minimum: 1 }), s: Type.String() },
            { additionalProperties: false },
          ),
        },
      },
      async (request, reply) => reply.code(201).send({ n: request.body.n }),
    );
    app.get(
      '/things',
      {
        schema: {
          querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 10, default: 5 }) }),
        },
      },
      async (request) => ({ limit: request.query.limit }),
    );
    app.get('/conflict', async () => {
      throw new AppError('slot-taken', 'taken', { extensions: { recurso: 'X' } });
    });
    app.get('/boom', async () => {
      throw new Error('kaboom');
    });
    app.get('/log', async (request) => {
      const first = request.appLog;
      first.info('from the handler');
      request.log.warn('from Fastify');
      return { sameLogger: first === request.appLog, traceId: request.traceId };
    });
    await app.ready();
  });
  after(() => app.close());

  const post = (payload: string, contentType = 'application/json') =>
    app.inject({ method: 'POST', url: '/things', payload, headers: { 'content-type': contentType } });

  test('when the body is valid, then the route answers', async () => {
    const res = await post('{"n":2,"s":"x"}');
    assert.equal(res.statusCode, 201);
  });

  test('when the JSON is malformed, then 400 malformed-json as problem+json', async () => {
    const res = await post('{"n":2,');
    assert.equal(res.statusCode, 400);
    assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
    assert.equal(res.json<{ code: string }>().code, 'malformed-json');
  });

  test('when types are wrong or fields missing or unknown, then 400 naming each field', async () => {
    const res = await post('{"n":"2","extra":1}');
    assert.equal(res.statusCode, 400);
    const body = res.json<{ code: string; errors: { field: string }[] }>();
    assert.equal(body.code, 'validation-failed');
    const fields = body.errors.map((e) => e.field).sort();
    assert.deepEqual(fields, ['body.extra', 'body.n', 'body.s']);
  });

  test('when the body is too large, then 413', async () => {
    const res = await post(JSON.stringify({ n: 1, s: 'x'.repeat(5000) }));
    assert.equal(res.statusCode, 413);
    assert.equal(res.json<{ code: string }>().code, 'payload-too-large');
  });

  test('when the media type is not JSON, then 415', async () => {
    assert.equal((await post('n=1', 'application/x-www-form-urlencoded')).statusCode, 415);
    assert.equal((await post('{"n":1,"s":"x"}', 'text/plain')).statusCode, 415);
  });

  test('when the body is empty with a JSON content type, then 400', async () => {
    const res = await post('');
    assert.equal(res.statusCode, 400);
    assert.equal(res.json<{ code: string }>().code, 'malformed-json');
  });

  test('when a prototype-poisoning body arrives, then 400', async () => {
    const res = await post('{"n":1,"s":"x","__proto__":{"admin":true}}');
    assert.equal(res.statusCode, 400);
  });

  test('when query strings are text, then they are coerced and defaulted', async () => {
    assert.deepEqual((await app.inject('/things?limit=3')).json(), { limit: 3 });
    assert.deepEqual((await app.inject('/things')).json(), { limit: 5 });
    assert.equal((await app.inject('/things?limit=abc')).statusCode, 400);
  });

  test('when a handler throws an AppError, then its status and extensions are answered', async () => {
    const res = await app.inject('/conflict');
    assert.equal(res.statusCode, 409);
    assert.deepEqual(
      { ...res.json<Record<string, unknown>>() },
      {
        type: 'urn:dslab:problem:slot-taken',
        title: 'The slot is already booked',
        status: 409,
        detail: 'taken',
        code: 'slot-taken',
        instance: '/conflict',
        recurso: 'X',
      },
    );
  });

  test('when a handler crashes, then 500 problem without internals, and the error is logged', async () => {
    const res = await app.inject('/boom');
    assert.equal(res.statusCode, 500);
    assert.doesNotMatch(res.body, /kaboom/);
    assert.ok(lines.some((l) => l.startsWith('ERROR:') && l.includes('kaboom')));
  });

  test('when a route does not exist, then 404 problem', async () => {
    const res = await app.inject('/nope');
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<{ code: string }>().code, 'not-found');
  });

  test('when a traceparent arrives, then its trace id is the request id', async () => {
    const res = await app.inject({
      url: '/things',
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });
    assert.equal(res.headers['x-request-id'], '4bf92f3577b34da6a3ce929d0e0e4736');
  });

  test('when no traceparent arrives, then each request gets a new 32-hex trace id as its request id', async () => {
    const ids = await Promise.all(
      [1, 2, 3].map(async () => (await app.inject('/things')).headers['x-request-id']),
    );
    for (const id of ids) assert.match(String(id), /^[0-9a-f]{32}$/);
    assert.equal(new Set(ids).size, 3);
  });

  test('when a handler logs, then appLog is one logger per request and its lines and Fastify’s carry the trace id', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await app.inject({
      url: '/log',
      headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
    });
    assert.deepEqual(res.json(), { sameLogger: true, traceId });
    const mine = lines.filter((l) => l.includes(`[trace=${traceId}]`));
    assert.ok(mine.some((l) => l.startsWith('INFO:') && l.includes('from the handler')));
    assert.ok(mine.some((l) => l.startsWith('WARNING:') && l.includes('from Fastify')));
  });

  test('when a request fails or matches no route, then the security headers are still sent', async () => {
    for (const url of ['/nope', '/boom', '/conflict']) {
      const res = await app.inject(url);
      assert.match(String(res.headers['content-security-policy']), /default-src 'self'/, url);
      assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN', url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(res.headers['strict-transport-security'], undefined, url);
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f]{32}$/, url);
    }
  });

  test('when requests are answered, then /metrics counts them by route template, method and status', async () => {
    await app.inject('/nope');
    await app.inject('/conflict');
    const text = (await app.inject('/metrics')).body;
    const count = (labels: string) =>
      new RegExp(`^http_request_duration_seconds_count\\{service="svc",${labels}\\} [1-9]`, 'm');
    assert.match(text, count('method="GET",route="unmatched",status_code="404"'));
    assert.match(text, count('method="GET",route="/conflict",status_code="409"'));
    assert.match(text, count('method="POST",route="/things",status_code="201"'));
  });

  test('health, metrics, OpenAPI and security headers are served', async () => {
    const health = await app.inject('/health');
    assert.equal(health.statusCode, 200);
    const metrics = await app.inject('/metrics');
    assert.match(metrics.body, /http_request_duration_seconds_bucket/);
    const spec = await app.inject('/docs/json');
    assert.ok(spec.json<{ paths: Record<string, unknown> }>().paths['/things']);
    const docs = await app.inject('/docs/');
    assert.equal(docs.statusCode, 200);
    assert.ok(health.headers['x-content-type-options']);
  });
});

/** An app of its own for one test, with the options that test is about. */
const appWith = (options: Partial<HttpAppOptions>) =>
  createHttpApp({
    service: 'svc',
    logger: createLogger({ service: 'svc', console: false }),
    title: 'T',
    ...options,
  });

test('when rate limiting is on, then the request over the limit gets 429 with Retry-After', async () => {
  const app = await appWith({ rateLimitPerMinute: 2 });
  app.get('/x', async () => ({ ok: true }));
  await app.ready();
  const codes = [];
  for (let i = 0; i < 3; i++) codes.push((await app.inject('/x')).statusCode);
  const last = await app.inject('/x');
  assert.deepEqual(codes, [200, 200, 429]);
  assert.equal(last.json<{ code: string }>().code, 'rate-limited');
  assert.ok(last.headers['retry-after']);
  await app.close();
});

test('when the app adds Content-Security-Policy sources, then the header carries them', async () => {
  const app = await appWith({ contentSecurityPolicy: { connectSrc: ["'self'", 'ws://localhost:5000'] } });
  const res = await app.inject('/health');
  const csp = String(res.headers['content-security-policy']);
  assert.match(csp, /connect-src 'self' ws:\/\/localhost:5000/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /upgrade-insecure-requests/);
  await app.close();
});

test('when a health check fails, then /health answers 503 naming it', async () => {
  const app = await appWith({ health: async () => ({ db: 'ok', coordinator: 'ECONNREFUSED' }) });
  const res = await app.inject('/health');
  assert.equal(res.statusCode, 503);
  assert.equal(res.json<{ checks: Record<string, string> }>().checks.coordinator, 'ECONNREFUSED');
  await app.close();
});
