/**
 * servico-coordenador through real HTTP on a free port: the seed's lock/unlock contract, its log
 * lines, leases on the monotonic clock, FIFO waiting, the shared secret and hostile input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isAppError } from '@dslab/errors';
import { createLockClient } from '@dslab/lock-client';
import { call, countByStatus, race } from '@dslab/testing';
import type { Socket } from 'node:net';
import { Client, request } from 'undici';
import { MAX_TTL_MS, MAX_WAIT_MS } from '../src/domain/lock-service.js';
import { sleep, startCoordinator, until, type Coordinator } from './helpers.js';

const PROBLEM = /^application\/problem\+json/;

interface Granted {
  recurso: string;
  token: number;
  ttl_restante_ms: number;
}
interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  recurso?: string;
  ttl_restante_ms?: number;
  errors?: { field: string; message: string }[];
}

let unique = 0;
/** A fresh resource name per test, so tests sharing a coordinator never meet. */
const fresh = (label: string) => `${label}-${++unique}_2025-12-01T03:00:00Z`;

describe('servico-coordenador over HTTP', () => {
  let coordinator: Coordinator;
  const lock = (body: unknown, headers?: Record<string, string>) =>
    call<Granted & Problem>(coordinator.url, 'POST', '/lock', { body, ...(headers ? { headers } : {}) });
  const unlock = (body: unknown) =>
    call<Problem & { liberado?: boolean }>(coordinator.url, 'POST', '/unlock', { body });

  before(async () => {
    coordinator = await startCoordinator();
  });
  after(() => coordinator.close());

  test('when 50 clients race for one resource, then exactly one gets 200 and 49 get 409 resource-locked', async () => {
    const recurso = fresh('race');
    const responses = await race<Granted & Problem>(
      coordinator.url,
      Array.from({ length: 50 }, () => ({
        method: 'POST' as const,
        path: '/lock',
        body: { recurso, ttl_ms: 30_000 },
      })),
    );
    assert.deepEqual(countByStatus(responses), { 200: 1, 409: 49 });
    const winner = responses.find((r) => r.status === 200);
    assert.ok(winner);
    assert.equal(winner.body.recurso, recurso);
    assert.ok(Number.isSafeInteger(winner.body.token) && winner.body.token >= 1);
    assert.ok(winner.body.ttl_restante_ms > 29_000 && winner.body.ttl_restante_ms <= 30_000);
    for (const loser of responses.filter((r) => r.status === 409)) {
      assert.match(String(loser.headers['content-type']), PROBLEM);
      assert.equal(loser.body.code, 'resource-locked');
      assert.equal(loser.body.recurso, recurso);
      assert.ok(typeof loser.body.ttl_restante_ms === 'number' && loser.body.ttl_restante_ms > 0);
      assert.ok(loser.body.ttl_restante_ms <= 30_000);
      assert.ok(Number(loser.headers['retry-after']) >= 1);
    }
    const messages = coordinator.messages();
    assert.equal(
      messages.filter((m) => m === `Recebido pedido de lock para o recurso ${recurso}`).length,
      50,
    );
    assert.equal(messages.filter((m) => m === `Lock concedido para o recurso ${recurso}`).length, 1);
    assert.equal(messages.filter((m) => m === `Recurso ${recurso} já em uso, negando lock`).length, 49);
  });

  test('when a holder and three waiters queue, then each waiter is granted in join order with increasing tokens', async () => {
    const recurso = fresh('fifo');
    const client = createLockClient({ baseUrl: coordinator.url });
    try {
      const holder = await client.lock({ recurso, ttlMs: 30_000 });
      assert.ok(holder.granted);
      const order: number[] = [];
      const waiters = [];
      for (let i = 0; i < 3; i++) {
        waiters.push(
          client.lock({ recurso, ttlMs: 30_000, esperaMs: 10_000 }).then((result) => {
            order.push(i);
            return result;
          }),
        );
        // Join order is arrival order at the server: let each one queue before the next is sent.
        await until(() => coordinator.lockService.waiting === i + 1, `waiter ${i} is queued`);
      }
      let previous = holder;
      for (let i = 0; i < 3; i++) {
        assert.equal(await client.unlock({ recurso, token: previous.token }), 'released');
        const next = await waiters[i];
        assert.ok(next?.granted, `waiter ${i} was granted`);
        assert.ok(next.token > previous.token, `token ${next.token} > ${previous.token}`);
        assert.ok(next.ttlRestanteMs > 29_000, 'a waiter lease starts when it is granted');
        previous = next;
      }
      assert.deepEqual(order, [0, 1, 2]);
      assert.equal(await client.unlock({ recurso, token: previous.token }), 'released');
      const queued = coordinator
        .messages()
        .filter((m) => m.startsWith(`Recurso ${recurso} em uso; pedido entra na fila`));
      assert.deepEqual(
        queued.map((m) => /posição (\d+)/.exec(m)?.[1]),
        ['1', '2', '3'],
      );
    } finally {
      await client.close();
    }
  });

  test('when the wait runs out, then 409 resource-locked arrives after about espera_ms', async () => {
    const recurso = fresh('timeout');
    assert.equal((await lock({ recurso, ttl_ms: 30_000 })).status, 200);
    const started = performance.now();
    const res = await lock({ recurso, espera_ms: 300 });
    const elapsed = performance.now() - started;
    assert.equal(res.status, 409);
    assert.match(String(res.headers['content-type']), PROBLEM);
    assert.equal(res.body.code, 'resource-locked');
    assert.match(res.body.detail, /after waiting 300 ms/);
    assert.ok(elapsed >= 290, `answered after ${elapsed.toFixed(0)} ms, before the wait ran out`);
    assert.ok(elapsed < 2_000, `answered after ${elapsed.toFixed(0)} ms`);
    assert.equal(coordinator.lockService.waiting, 0);
    const messages = coordinator.messages();
    assert.ok(messages.includes(`Tempo de espera (300 ms) esgotado para o recurso ${recurso}`));
    assert.ok(messages.includes(`Recurso ${recurso} já em uso, negando lock`));
  });

  test('when a lease runs out, then the next caller wins with a higher token and the old holder can no longer unlock', async () => {
    const recurso = fresh('expiry');
    const first = await lock({ recurso, ttl_ms: 200 });
    assert.equal(first.status, 200);
    assert.equal((await lock({ recurso })).status, 409, 'still held within the lease');
    await sleep(300);
    assert.ok(
      coordinator.messages().includes(`Lock para o recurso ${recurso} expirou`),
      'the expiry timer logged the expiry with nobody asking',
    );
    const second = await lock({ recurso, ttl_ms: 30_000 });
    assert.equal(second.status, 200);
    assert.ok(second.body.token > first.body.token);
    const stale = await unlock({ recurso, token: first.body.token });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.code, 'stale-token');
    const state = await call<{ travado: boolean }>(
      coordinator.url,
      'GET',
      `/locks/${encodeURIComponent(recurso)}`,
    );
    assert.equal(state.body.travado, true, 'the new holder keeps the lock');
    assert.equal((await lock({ recurso })).status, 409);
    assert.equal((await unlock({ recurso, token: second.body.token })).status, 200);
  });

  test('when a wrong or stale token unlocks, then 409 stale-token and the holder keeps the lock', async () => {
    const recurso = fresh('stale');
    const held = await lock({ recurso });
    for (const token of [held.body.token + 1, Math.max(1, held.body.token - 1), 999_999_999]) {
      if (token === held.body.token) continue;
      const res = await unlock({ recurso, token });
      assert.equal(res.status, 409);
      assert.match(String(res.headers['content-type']), PROBLEM);
      assert.equal(res.body.code, 'stale-token');
      assert.equal(res.body.recurso, recurso);
    }
    assert.equal((await lock({ recurso })).status, 409, 'still held');
    const released = await unlock({ recurso, token: held.body.token });
    assert.deepEqual([released.status, released.body], [200, { recurso, liberado: true }]);
    const again = await unlock({ recurso, token: held.body.token });
    assert.equal(again.status, 409, 'a second unlock with the same token finds nothing to release');
    assert.equal(again.body.code, 'stale-token');
    assert.ok(
      coordinator.messages().some((m) => m.startsWith(`Unlock recusado para o recurso ${recurso}: o token`)),
    );
  });

  test('when the lock client drives the coordinator, then lock, conflict and unlock map to its results', async () => {
    const recurso = fresh('client');
    const client = createLockClient({ baseUrl: coordinator.url });
    try {
      const first = await client.lock({ recurso, ttlMs: 5_000 });
      assert.ok(first.granted);
      assert.ok(first.ttlRestanteMs <= 5_000 && first.ttlRestanteMs > 4_000);
      const second = await client.lock({ recurso });
      assert.ok(!second.granted, 'the second caller is refused');
      assert.ok(typeof second.ttlRestanteMs === 'number' && second.ttlRestanteMs > 0);
      assert.equal(await client.unlock({ recurso, token: first.token + 1 }), 'not-holder');
      assert.equal(await client.unlock({ recurso, token: first.token }), 'released');
      const third = await client.lock({ recurso });
      assert.ok(third.granted && third.token > first.token);
      assert.ok(third.ttlRestanteMs > 9_000, 'the default lease applies without ttl_ms');
      assert.equal(await client.unlock({ recurso, token: third.token }), 'released');
    } finally {
      await client.close();
    }
  });

  test('when lock, denial and unlock happen, then the seed lines appear exactly, each with the caller trace id', async () => {
    const recurso = fresh('logs');
    const traceA = '4bf92f3577b34da6a3ce929d0e0e4736';
    const traceB = '0af7651916cd43dd8448eb211c80319c';
    const tp = (trace: string) => ({ traceparent: `00-${trace}-00f067aa0ba902b7-01` });
    const from = coordinator.rawLines.length;
    const held = await call<Granted>(coordinator.url, 'POST', '/lock', {
      body: { recurso },
      headers: tp(traceA),
    });
    await call(coordinator.url, 'POST', '/lock', { body: { recurso }, headers: tp(traceB) });
    await call(coordinator.url, 'POST', '/unlock', {
      body: { recurso, token: held.body.token },
      headers: tp(traceA),
    });
    const story = coordinator
      .lines()
      .slice(from)
      .map((l) => `${l.level}|${l.message}|${l.trace ?? '-'}`);
    assert.deepEqual(story, [
      `INFO|Recebido pedido de lock para o recurso ${recurso}|${traceA}`,
      `INFO|Lock concedido para o recurso ${recurso}|${traceA}`,
      `INFO|Recebido pedido de lock para o recurso ${recurso}|${traceB}`,
      `INFO|Recurso ${recurso} já em uso, negando lock|${traceB}`,
      `INFO|Recebido pedido de unlock para o recurso ${recurso}|${traceA}`,
      `INFO|Lock para o recurso ${recurso} liberado|${traceA}`,
    ]);
    // Exactly the seed's shape, nothing appended to the message.
    const raw = coordinator.rawLines[from + 1] ?? '';
    assert.match(
      raw,
      /^INFO:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z:servico-coordenador:Lock concedido para o recurso logs-\d+_2025-12-01T03:00:00Z \[trace=4bf92f3577b34da6a3ce929d0e0e4736\]$/,
    );
  });

  test('when a queued client disconnects, then it leaves the queue and the lock is never granted to it', async () => {
    const recurso = fresh('gone');
    const held = await lock({ recurso, ttl_ms: 30_000 });
    const controller = new AbortController();
    const abandoned = request(`${coordinator.url}/lock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recurso, espera_ms: 10_000 }),
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await until(() => coordinator.lockService.waiting === 1, 'the client is queued');
    controller.abort();
    await abandoned;
    await until(() => coordinator.lockService.waiting === 0, 'the server dropped the waiter');
    assert.equal((await unlock({ recurso, token: held.body.token })).status, 200);
    const state = await call<{ travado: boolean }>(
      coordinator.url,
      'GET',
      `/locks/${encodeURIComponent(recurso)}`,
    );
    assert.equal(state.body.travado, false, 'nobody inherited the lock');
    const next = await lock({ recurso });
    assert.equal(next.status, 200);
    assert.equal(next.body.token, held.body.token + 1, 'no token was spent on the departed client');
    assert.ok(
      coordinator
        .messages()
        .includes(`Cliente desconectou enquanto esperava pelo recurso ${recurso}; pedido retirado da fila`),
    );
    await unlock({ recurso, token: next.body.token });
  });

  test('when the client is gone by the time the lock reaches it, then the lock is released at once', async () => {
    const recurso = fresh('late');
    const held = await coordinator.lockService.acquire({ resource: recurso, ttlMs: 30_000 });
    assert.ok(held.granted);
    let socket: Socket | undefined;
    const onConnection = (s: Socket) => (socket = s);
    coordinator.app.server.on('connection', onConnection);
    const client = new Client(coordinator.url);
    try {
      const abandoned = client
        .request({
          path: '/lock',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ recurso, espera_ms: 10_000 }),
        })
        .catch((error: unknown) => error);
      await until(() => coordinator.lockService.waiting === 1, 'the client is queued');
      assert.ok(socket);
      // In one synchronous step: the connection dies (its 'close' event comes later, from the
      // event loop) and the holder releases, so the hand-off reaches a request whose client is gone.
      socket.destroy();
      await coordinator.lockService.release({ resource: recurso, token: held.token });
      await abandoned;
      await until(
        () =>
          coordinator
            .messages()
            .includes(`Cliente desconectou antes de receber o lock para o recurso ${recurso}; liberando`),
        'the late grant is given back',
      );
      assert.equal(await coordinator.lockService.holder(recurso), undefined, 'the resource is free again');
    } finally {
      coordinator.app.server.off('connection', onConnection);
      await client.destroy();
    }
  });

  test('when GET /locks/{recurso} is asked, then it shows holder state without the token', async () => {
    const recurso = 'Hubble/Acad_2025-12-01T03:00:00Z ç';
    const path = `/locks/${encodeURIComponent(recurso)}`;
    assert.deepEqual((await call(coordinator.url, 'GET', path)).body, {
      recurso,
      travado: false,
      ttl_restante_ms: 0,
      na_fila: 0,
    });
    const held = await lock({ recurso, ttl_ms: 20_000 });
    assert.equal(held.status, 200);
    const state = await call<Record<string, unknown>>(coordinator.url, 'GET', path);
    assert.equal(state.body.travado, true);
    assert.ok(Number(state.body.ttl_restante_ms) > 19_000);
    assert.equal(state.body.token, undefined);
    await unlock({ recurso, token: held.body.token });
  });

  test('when locks are held and requests denied, then /metrics reports gauges and counters', async () => {
    const recurso = fresh('metrics');
    const held = await lock({ recurso, ttl_ms: 30_000 });
    await lock({ recurso });
    const text = (await call<string>(coordinator.url, 'GET', '/metrics')).text;
    const value = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
    assert.ok(value('coordinator_locks_held') >= 1);
    assert.equal(value('coordinator_waiters'), 0);
    assert.ok(value('coordinator_lock_grants_total') >= 1);
    assert.match(
      text,
      /^coordinator_lock_denials_total\{reason="held",service="servico-coordenador"\} [1-9]\d*$/m,
    );
    assert.match(text, /^coordinator_lock_releases_total\{service="servico-coordenador"\} \d+$/m);
    assert.match(text, /^coordinator_lock_expiries_total\{service="servico-coordenador"\} \d+$/m);
    await unlock({ recurso, token: held.body.token });
    const health = await call<{ status: string }>(coordinator.url, 'GET', '/health');
    assert.deepEqual([health.status, health.body.status], [200, 'ok']);
  });

  test('when /docs/json is read, then the lock routes document their answers', async () => {
    const spec = await call<{
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>(coordinator.url, 'GET', '/docs/json');
    assert.deepEqual(Object.keys(spec.body.paths['/lock']?.post?.responses ?? {}).sort(), [
      '200',
      '400',
      '409',
      '413',
      '415',
      '503',
    ]);
    assert.ok(spec.body.paths['/unlock']?.post?.responses['409']);
    assert.ok(spec.body.paths['/locks/{recurso}']?.get);
  });

  describe('when the input is bad, then 4xx problem+json and never 5xx', () => {
    const R = 'bad-input_2025-12-01T03:00:00Z';
    const cases: {
      name: string;
      path?: string;
      body?: unknown;
      raw?: string;
      contentType?: string;
      status: number;
      code: string;
    }[] = [
      { name: 'malformed JSON', raw: '{"recurso": "x",', status: 400, code: 'malformed-json' },
      { name: 'empty body', raw: '', status: 400, code: 'malformed-json' },
      { name: 'a JSON array', raw: '[]', status: 400, code: 'validation-failed' },
      { name: 'JSON null', raw: 'null', status: 400, code: 'validation-failed' },
      {
        name: 'ttl_ms as a string',
        body: { recurso: R, ttl_ms: '100' },
        status: 400,
        code: 'validation-failed',
      },
      { name: 'ttl_ms 0', body: { recurso: R, ttl_ms: 0 }, status: 400, code: 'validation-failed' },
      { name: 'ttl_ms negative', body: { recurso: R, ttl_ms: -5 }, status: 400, code: 'validation-failed' },
      {
        name: 'ttl_ms fractional',
        body: { recurso: R, ttl_ms: 1.5 },
        status: 400,
        code: 'validation-failed',
      },
      {
        name: 'ttl_ms too large',
        body: { recurso: R, ttl_ms: MAX_TTL_MS + 1 },
        status: 400,
        code: 'validation-failed',
      },
      {
        name: 'ttl_ms huge',
        raw: `{"recurso":"${R}","ttl_ms":1e308}`,
        status: 400,
        code: 'validation-failed',
      },
      {
        name: 'espera_ms too large',
        body: { recurso: R, espera_ms: MAX_WAIT_MS + 1 },
        status: 400,
        code: 'validation-failed',
      },
      {
        name: 'espera_ms negative',
        body: { recurso: R, espera_ms: -1 },
        status: 400,
        code: 'validation-failed',
      },
      {
        name: 'espera_ms null',
        body: { recurso: R, espera_ms: null },
        status: 400,
        code: 'validation-failed',
      },
      { name: 'missing recurso', body: { ttl_ms: 100 }, status: 400, code: 'validation-failed' },
      { name: 'empty recurso', body: { recurso: '' }, status: 400, code: 'validation-failed' },
      { name: 'recurso as a number', body: { recurso: 42 }, status: 400, code: 'validation-failed' },
      { name: 'recurso as an object', body: { recurso: { a: 1 } }, status: 400, code: 'validation-failed' },
      {
        name: 'recurso with a newline',
        body: { recurso: 'a\nINFO:forged line' },
        status: 400,
        code: 'validation-failed',
      },
      { name: 'recurso with a NUL', body: { recurso: 'a\u0000b' }, status: 400, code: 'validation-failed' },
      {
        name: 'recurso of 257 characters',
        body: { recurso: 'x'.repeat(257) },
        status: 400,
        code: 'validation-failed',
      },
      // 200 code points (JSON Schema's count) but 400 UTF-16 units (the domain's count).
      {
        name: 'recurso of 200 emoji',
        body: { recurso: '🔭'.repeat(200) },
        status: 400,
        code: 'validation-failed',
      },
      { name: 'an unknown field', body: { recurso: R, extra: true }, status: 400, code: 'validation-failed' },
      {
        name: 'prototype poisoning',
        raw: `{"recurso":"${R}","__proto__":{"x":1}}`,
        status: 400,
        code: 'malformed-json',
      },
      {
        name: 'a huge body',
        body: { recurso: R, pad: 'x'.repeat(100_000) },
        status: 413,
        code: 'payload-too-large',
      },
      {
        name: 'a form body',
        raw: 'recurso=x',
        contentType: 'application/x-www-form-urlencoded',
        status: 415,
        code: 'unsupported-media-type',
      },
      {
        name: 'unlock without token',
        path: '/unlock',
        body: { recurso: R },
        status: 400,
        code: 'validation-failed',
      },
      {
        name: 'unlock with token 0',
        path: '/unlock',
        body: { recurso: R, token: 0 },
        status: 400,
        code: 'validation-failed',
      },
      {
        name: 'unlock with token "1"',
        path: '/unlock',
        body: { recurso: R, token: '1' },
        status: 400,
        code: 'validation-failed',
      },
      {
        name: 'unlock with token 2^53',
        path: '/unlock',
        body: { recurso: R, token: 2 ** 53 },
        status: 400,
        code: 'validation-failed',
      },
      {
        name: 'unlock with a fractional token',
        path: '/unlock',
        body: { recurso: R, token: 1.5 },
        status: 400,
        code: 'validation-failed',
      },
      {
        name: 'unlock with an unknown field',
        path: '/unlock',
        body: { recurso: R, token: 1, x: 1 },
        status: 400,
        code: 'validation-failed',
      },
    ];
    for (const c of cases) {
      test(`${c.path ?? '/lock'}: ${c.name} → ${c.status} ${c.code}`, async () => {
        const res = await call<Problem>(coordinator.url, 'POST', c.path ?? '/lock', {
          ...(c.raw === undefined ? { body: c.body } : { rawBody: c.raw }),
          headers: { 'content-type': c.contentType ?? 'application/json' },
        });
        assert.equal(res.status, c.status, res.text);
        assert.match(String(res.headers['content-type']), PROBLEM);
        assert.equal(res.body.code, c.code);
        assert.equal(res.body.status, c.status);
      });
    }

    test('GET /locks/{recurso} with a control character → 400', async () => {
      const res = await call<Problem>(coordinator.url, 'GET', '/locks/a%0Ab');
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'validation-failed');
    });

    test('a bad request leaves no lock behind and never logs the bad name', async () => {
      assert.equal(await coordinator.lockService.holder(R), undefined);
      assert.ok(!coordinator.rawLines.some((l) => l.includes('forged line')));
      assert.ok(!coordinator.rawLines.some((l) => l.startsWith('ERROR:')));
    });
  });
});

describe('servico-coordenador with COORDINATOR_SECRET', () => {
  const SECRET = 'test-only-coordinator-secret-123';
  let coordinator: Coordinator;
  before(async () => {
    coordinator = await startCoordinator({ secret: SECRET });
  });
  after(() => coordinator.close());

  test('when the secret is missing or wrong, then 401 problem+json; when right, then 200', async () => {
    const recurso = fresh('secret');
    const attempt = (headers: Record<string, string>) =>
      call<Problem & Granted>(coordinator.url, 'POST', '/lock', { body: { recurso }, headers });
    for (const headers of [
      {},
      { authorization: 'Bearer wrong-secret' },
      { authorization: `Bearer ${SECRET}x` },
      { authorization: `Basic ${SECRET}` },
      { authorization: SECRET },
      { authorization: 'Bearer ' },
    ]) {
      const res = await attempt(headers);
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.match(String(res.headers['content-type']), PROBLEM);
      assert.equal(res.body.code, 'unauthenticated');
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
    }
    assert.equal(await coordinator.lockService.holder(recurso), undefined, 'nothing was locked');
    const ok = await attempt({ authorization: `Bearer ${SECRET}` });
    assert.equal(ok.status, 200);
    const noAuthUnlock = await call<Problem>(coordinator.url, 'POST', '/unlock', {
      body: { recurso, token: ok.body.token },
    });
    assert.equal(noAuthUnlock.status, 401);
    const unlocked = await call(coordinator.url, 'POST', '/unlock', {
      body: { recurso, token: ok.body.token },
      headers: { authorization: `bearer ${SECRET}` },
    });
    assert.equal(unlocked.status, 200);
    assert.ok(!coordinator.rawLines.some((l) => l.includes(SECRET)), 'the secret is never logged');
  });

  test('when the body is also bad, then 401 comes first: an unauthenticated caller learns nothing more', async () => {
    const res = await call<Problem>(coordinator.url, 'POST', '/lock', {
      rawBody: '{oops',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(res.status, 401);
    assert.equal((await call(coordinator.url, 'GET', '/locks/x')).status, 401);
    assert.equal(
      (await call(coordinator.url, 'GET', '/health')).status,
      200,
      '/health stays open for probes',
    );
  });

  test('when the lock client carries the secret, then it works; with a wrong one it fails loudly', async () => {
    const recurso = fresh('secret-client');
    const good = createLockClient({ baseUrl: coordinator.url, secret: SECRET });
    const bad = createLockClient({ baseUrl: coordinator.url, secret: 'not-the-secret' });
    try {
      const held = await good.lock({ recurso });
      assert.ok(held.granted);
      await assert.rejects(
        bad.lock({ recurso }),
        (error: unknown) => isAppError(error) && error.code === 'unavailable',
      );
      assert.equal(await good.unlock({ recurso, token: held.token }), 'released');
    } finally {
      await good.close();
      await bad.close();
    }
  });
});

test('when the coordinator shuts down, then queued callers get 503 at once instead of holding the shutdown', async () => {
  const coordinator = await startCoordinator();
  const recurso = fresh('shutdown');
  const held = await call<Granted>(coordinator.url, 'POST', '/lock', { body: { recurso } });
  assert.equal(held.status, 200);
  const waiting = call<Problem>(coordinator.url, 'POST', '/lock', {
    body: { recurso, espera_ms: MAX_WAIT_MS },
  });
  await until(() => coordinator.lockService.waiting === 1, 'the caller is queued');
  const started = performance.now();
  const closing = coordinator.close();
  const res = await waiting;
  await closing;
  assert.equal(res.status, 503);
  assert.equal(res.body.code, 'unavailable');
  assert.ok(performance.now() - started < 5_000);
});
