import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { SignJWT } from 'jose';
import {
  MetodoPagamento,
  PedidosClient,
  StatusPedido,
  type CriarPedidoResponse,
} from '@dslab/checkout-contracts';
import { queueOf } from '@dslab/checkout-contracts/messages';
import { expectProblems, grpcOutcome, okResponse, type Problem } from '@dslab/checkout-kit/testing';
import { call, countByStatus, ENGINES, race } from '@dslab/testing';
import type { PedidoDetalhe } from '../src/application/async-checkout.js';
import {
  CLIENTES,
  JWT_SECRET,
  outboxOf,
  SENHA_CARLA,
  SENHA_PADRAO,
  startAsyncPedidos,
  type AsyncHarness,
} from './async-support.js';

type Link = { readonly href: string; readonly method?: string };
type Pedido = PedidoDetalhe & { readonly _links: { readonly self: Link; readonly pedidos: Link } };
interface Lista {
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
  readonly _links: Record<'self' | 'first' | 'criar', Link> & Partial<Record<'next' | 'prev', Link>>;
  readonly _embedded: { readonly pedidos: readonly Pedido[] };
}

const itens = [
  { produto_id: 1, quantidade: 2 },
  { produto_id: 2, quantidade: 1 },
];

for (const engine of ENGINES) {
  describe(`pedidos async API (${engine})`, () => {
    let h: AsyncHarness;
    before(async () => {
      h = await startAsyncPedidos(engine, { bodyLimitBytes: 16 * 1024 });
    });
    after(() => h.close());

    const post = async (id: 1 | 2 | 3, body: unknown, headers: Record<string, string> = {}) =>
      call<Pedido>(h.url, 'POST', '/pedidos', { body, token: await h.token(id), headers });

    describe('login', () => {
      test('when the e-mail and the default password are right, then a Bearer token for the customer, not cached', async () => {
        const res = await call<{ access_token: string; token_type: string; expires_in: number }>(
          h.url,
          'POST',
          '/auth/login',
          { body: { email: 'ana@exemplo.com', senha: SENHA_PADRAO } },
        );
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.token_type, 'Bearer');
        assert.equal(res.body.expires_in, 600);
        assert.equal(res.headers['cache-control'], 'no-store');
        const payload = JSON.parse(
          Buffer.from(res.body.access_token.split('.')[1] ?? '', 'base64url').toString('utf8'),
        ) as Record<string, unknown>;
        assert.equal(payload['sub'], '1');
        assert.equal(payload['email'], 'ana@exemplo.com');
        assert.equal(payload['iss'], 'pedidos');
        assert.equal(payload['aud'], 'checkout');
      });

      test('the e-mail is matched without case', async () => {
        const res = await call(h.url, 'POST', '/auth/login', {
          body: { email: ' bruno@exemplo.COM ', senha: SENHA_PADRAO },
        });
        assert.equal(res.status, 200, res.text);
      });

      test('when the password is wrong or the e-mail unknown, then 401 with the same answer for both', async () => {
        const wrong = await call<Problem>(h.url, 'POST', '/auth/login', {
          body: { email: 'ana@exemplo.com', senha: 'errada-errada' },
        });
        const unknown = await call<Problem>(h.url, 'POST', '/auth/login', {
          body: { email: 'ninguem@exemplo.com', senha: 'errada-errada' },
        });
        for (const res of [wrong, unknown]) {
          assert.equal(res.status, 401);
          assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
          assert.equal(res.body.code, 'invalid-credentials');
        }
        assert.equal(wrong.body.detail, unknown.body.detail);
      });

      test('the default password went to every customer without one, hashed once; a chosen password is kept', async () => {
        const rows = await h.db.selectFrom('credenciais').selectAll().orderBy('cliente_id').execute();
        assert.deepEqual(
          rows.map((r) => r.cliente_id),
          CLIENTES.map((c) => c.id),
        );
        assert.equal(rows[0]?.senha_hash, rows[1]?.senha_hash, 'one hash for all');
        assert.notEqual(rows[2]?.senha_hash, rows[0]?.senha_hash);
        for (const row of rows) assert.match(row.senha_hash, /^scrypt\$16384\$8\$1\$/);
        const carla = await call(h.url, 'POST', '/auth/login', {
          body: { email: 'carla@exemplo.com', senha: SENHA_PADRAO },
        });
        assert.equal(carla.status, 401);
        const own = await call(h.url, 'POST', '/auth/login', {
          body: { email: 'carla@exemplo.com', senha: SENHA_CARLA },
        });
        assert.equal(own.status, 200);
        assert.ok(!h.lines.some((l) => l.includes(SENHA_PADRAO) || l.includes(SENHA_CARLA)));
      });
    });

    describe('placing an order', () => {
      test('when a customer places an order, then 202 with Location, pendente, its history, and PEDIDO_CRIADO in the outbox', async () => {
        const before = (await outboxOf(h.db)).length;
        const res = await post(1, { itens, metodo_pagamento: 'pix' });
        assert.equal(res.status, 202, res.text);
        const pedido = res.body;
        assert.equal(res.headers['location'], `/pedidos/${pedido.id}`);
        assert.equal(res.headers['idempotent-replayed'], undefined);
        assert.equal(pedido.status, 'pendente');
        assert.equal(pedido.cliente_id, 1);
        assert.equal(pedido.valor_total_centavos, 2 * 1000 + 2550);
        assert.equal(pedido.metodo_pagamento, 'pix');
        assert.deepEqual(
          pedido.historico.map((e) => e.etapa),
          ['pedido_criado'],
        );
        assert.match(pedido.historico[0]?.em ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.deepEqual(pedido._links.self, { href: `/pedidos/${pedido.id}` });

        const outbox = await outboxOf(h.db);
        assert.equal(outbox.length, before + 1);
        const row = outbox.at(-1);
        assert.equal(row?.mensagem_id, `pedidos:${pedido.id}:PEDIDO_CRIADO`);
        assert.equal(row.fila, queueOf('pedidos', h.prefix));
        assert.deepEqual(row.body.dados, {
          itens: [
            { produto_id: 1, quantidade: 2, preco_unitario_centavos: 1000 },
            { produto_id: 2, quantidade: 1, preco_unitario_centavos: 2550 },
          ],
          valor_total_centavos: 4550,
        });
        assert.equal(row.body.trace_id, res.headers['x-request-id']);
      });

      test('the relay publishes what the order committed to pedidos’ queue', async () => {
        const pending = await h.relay.pending();
        assert.ok(pending > 0);
        assert.equal(await h.relay.drainOnce(), pending);
        assert.equal(await h.relay.pending(), 0);
        const depth = await h.bus.depth(queueOf('pedidos', h.prefix));
        assert.ok(depth.ready >= pending);
      });

      test("when the body names the token's customer, then it is accepted; another customer, then 403", async () => {
        assert.equal((await post(1, { itens, cliente_id: 1 })).status, 202);
        const other = await post(1, { itens, cliente_id: 2 });
        assert.equal(other.status, 403);
        assert.equal((other.body as unknown as Problem).code, 'forbidden');
      });

      test('when there is no token, or it is forged, expired or malformed, then 401 with a challenge and nothing written', async () => {
        const count = async () => (await h.db.selectFrom('pedidos').select('id').execute()).length;
        const before = await count();
        const sign = (secret: string, exp: number) =>
          new SignJWT({ email: 'ana@exemplo.com' })
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject('1')
            .setIssuer('pedidos')
            .setAudience('checkout')
            .setExpirationTime(exp)
            .sign(new TextEncoder().encode(secret));
        const now = Math.floor(Date.now() / 1000);
        const forged = await sign('another-secret-another-secret-0123456789', now + 600);
        const expired = await sign(JWT_SECRET, now - 60);
        const cases: Record<string, string | undefined> = {
          none: undefined,
          forged: `Bearer ${forged}`,
          expired: `Bearer ${expired}`,
          malformed: 'Bearer not-a-jwt',
          basic: 'Basic YWJjOmRlZg==',
        };
        for (const [name, authorization] of Object.entries(cases)) {
          const res = await call<Problem>(h.url, 'POST', '/pedidos', {
            body: { itens },
            ...(authorization === undefined ? {} : { headers: { authorization } }),
          });
          assert.equal(res.status, 401, name);
          assert.equal(res.body.code, 'unauthenticated', name);
          assert.ok(res.headers['www-authenticate'], name);
        }
        const exp = await call<Problem>(h.url, 'GET', '/pedidos/1', {
          headers: { authorization: `Bearer ${expired}` },
        });
        assert.match(exp.body.detail, /expirou/);
        assert.equal(await count(), before);
      });

      test('without a token, even a malformed or huge body is answered 401 (the token is checked first)', async () => {
        const res = await call<Problem>(h.url, 'POST', '/pedidos', {
          rawBody: '{"itens": [',
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(res.status, 401);
      });
    });

    describe('reading orders', () => {
      test('the owner reads the order with its history; another customer and unknown ids get 404', async () => {
        const created = await post(1, { itens: [{ produto_id: 2, quantidade: 3 }] });
        const id = created.body.id;
        const own = await call<Pedido>(h.url, 'GET', `/pedidos/${id}`, { token: await h.token(1) });
        assert.equal(own.status, 200);
        assert.deepEqual(own.body, created.body);
        const asOther = await call<Problem>(h.url, 'GET', `/pedidos/${id}`, { token: await h.token(2) });
        const unknown = await call<Problem>(h.url, 'GET', '/pedidos/999999', { token: await h.token(2) });
        for (const res of [asOther, unknown]) {
          assert.equal(res.status, 404);
          assert.equal(res.body.code, 'not-found');
        }
        assert.equal(
          asOther.body.detail,
          `o pedido ${id} não existe`,
          'the same answer as an id that does not exist',
        );
        assert.equal((await call(h.url, 'GET', `/pedidos/${id}`)).status, 401);
      });

      test("the list holds only the customer's orders, newest first, with next/prev links", async () => {
        const token = await h.token(3);
        const ids: number[] = [];
        for (let i = 0; i < 5; i++)
          ids.push((await post(3, { itens: [{ produto_id: 1, quantidade: i + 1 }] })).body.id);
        const first = await call<Lista>(h.url, 'GET', '/pedidos?limit=2', { token });
        assert.equal(first.status, 200, first.text);
        assert.equal(first.body.total, 5);
        assert.deepEqual(
          first.body._embedded.pedidos.map((p) => p.id),
          [ids[4], ids[3]],
        );
        assert.ok(first.body._embedded.pedidos.every((p) => p.cliente_id === 3 && p.itens.length === 1));
        assert.equal(first.body._links.prev, undefined);
        assert.equal(first.body._links.next?.href, '/pedidos?limit=2&offset=2');
        const last = await call<Lista>(h.url, 'GET', '/pedidos?limit=2&offset=4', { token });
        assert.deepEqual(
          last.body._embedded.pedidos.map((p) => p.id),
          [ids[0]],
        );
        assert.equal(last.body._links.next, undefined);
        assert.equal(last.body._links.prev?.href, '/pedidos?limit=2&offset=2');
        const empty = await call<Lista>(h.url, 'GET', '/pedidos', { token: await h.token(2) });
        assert.ok(empty.body._embedded.pedidos.every((p) => p.cliente_id === 2));
        assert.equal(empty.body.limit, 20);
      });
    });

    describe('Idempotency-Key', () => {
      test('when the same key and body come again, then 202 with the same order and Idempotent-Replayed', async () => {
        const key = `k-${engine}-seq`;
        const first = await post(2, { itens }, { 'idempotency-key': key });
        const again = await post(2, { itens }, { 'idempotency-key': key });
        assert.equal(first.status, 202);
        assert.equal(again.status, 202);
        assert.equal(again.headers['idempotent-replayed'], 'true');
        assert.equal(again.headers['location'], `/pedidos/${first.body.id}`);
        assert.equal(again.body.id, first.body.id);
        const outbox = await outboxOf(h.db);
        assert.equal(
          outbox.filter((r) => r.mensagem_id === `pedidos:${first.body.id}:PEDIDO_CRIADO`).length,
          1,
        );
      });

      test('when the key comes with another body, then 422 idempotency-key-reused', async () => {
        const key = `k-${engine}-reuse`;
        assert.equal((await post(2, { itens }, { 'idempotency-key': key })).status, 202);
        const other = await post(
          2,
          { itens: [{ produto_id: 1, quantidade: 9 }] },
          { 'idempotency-key': key },
        );
        assert.equal(other.status, 422);
        assert.equal((other.body as unknown as Problem).code, 'idempotency-key-reused');
      });

      test('keys are per customer: another customer with the same key gets an order of their own', async () => {
        const key = `k-${engine}-shared`;
        const ana = await post(1, { itens }, { 'idempotency-key': key });
        const bruno = await post(2, { itens }, { 'idempotency-key': key });
        assert.equal(bruno.status, 202);
        assert.notEqual(bruno.body.id, ana.body.id);
        assert.equal(bruno.body.cliente_id, 2);
      });

      test('when 20 requests with one key race, then one order, one PEDIDO_CRIADO, and every answer is that order', async () => {
        const key = `k-${engine}-race`;
        const token = await h.token(1);
        const responses = await race<Pedido>(
          h.url,
          Array.from({ length: 20 }, () => ({
            method: 'POST' as const,
            path: '/pedidos',
            body: { itens },
            headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
          })),
        );
        assert.deepEqual(countByStatus(responses), { 202: 20 });
        const ids = new Set(responses.map((r) => r.body.id));
        assert.equal(ids.size, 1);
        assert.equal(responses.filter((r) => r.headers['idempotent-replayed'] === 'true').length, 19);
        const [id] = [...ids];
        const rows = await h.db
          .selectFrom('pedidos')
          .select('id')
          .where('idempotency_key', '=', `cliente-1:${key}`)
          .execute();
        assert.equal(rows.length, 1);
        const criados = (await outboxOf(h.db)).filter(
          (r) => r.mensagem_id === `pedidos:${id ?? 0}:PEDIDO_CRIADO`,
        );
        assert.equal(criados.length, 1);
        const ops = await h.db
          .selectFrom('operacoes')
          .select('id')
          .where('pedido_id', '=', id ?? 0)
          .where('operacao', '=', 'pedido_criado')
          .execute();
        assert.equal(ops.length, 1);
      });
    });

    describe('bad input', () => {
      test('every bad request is a 4xx problem+json, never a 500', async () => {
        const token = await h.token(1);
        const auth = { authorization: `Bearer ${token}` };
        const json = { ...auth, 'content-type': 'application/json' };
        await expectProblems(h.url, [
          {
            name: 'malformed JSON',
            method: 'POST',
            path: '/pedidos',
            options: { rawBody: '{"itens": [', headers: json },
            status: 400,
            code: 'malformed-json',
          },
          {
            name: 'text body',
            method: 'POST',
            path: '/pedidos',
            options: { rawBody: 'x', headers: { ...auth, 'content-type': 'text/plain' } },
            status: 415,
            code: 'unsupported-media-type',
          },
          {
            name: 'itens as text',
            method: 'POST',
            path: '/pedidos',
            options: { body: { itens: 'muitos' }, headers: auth },
            status: 400,
            code: 'validation-failed',
            fields: 'some',
          },
          {
            name: 'quantidade as text',
            method: 'POST',
            path: '/pedidos',
            options: { body: { itens: [{ produto_id: 1, quantidade: '2' }] }, headers: auth },
            status: 400,
            code: 'validation-failed',
          },
          {
            name: 'unknown field',
            method: 'POST',
            path: '/pedidos',
            options: { body: { itens, desconto: 5 }, headers: auth },
            status: 400,
            code: 'validation-failed',
          },
          {
            name: 'no itens',
            method: 'POST',
            path: '/pedidos',
            options: { body: { itens: [] }, headers: auth },
            status: 400,
            code: 'validation-failed',
            fields: ['itens'],
          },
          {
            name: 'quantidade 0 and a repeated product',
            method: 'POST',
            path: '/pedidos',
            options: {
              body: {
                itens: [
                  { produto_id: 1, quantidade: 0 },
                  { produto_id: 1, quantidade: 1 },
                ],
              },
              headers: auth,
            },
            status: 400,
            code: 'validation-failed',
            fields: ['itens[0].quantidade', 'itens[1].produto_id'],
          },
          {
            name: 'unknown payment method',
            method: 'POST',
            path: '/pedidos',
            options: { body: { itens, metodo_pagamento: 'cheque' }, headers: auth },
            status: 400,
            code: 'validation-failed',
          },
          {
            name: 'unknown product',
            method: 'POST',
            path: '/pedidos',
            options: { body: { itens: [{ produto_id: 77, quantidade: 1 }] }, headers: auth },
            status: 422,
            code: 'unknown-product',
          },
          {
            name: 'Idempotency-Key too long',
            method: 'POST',
            path: '/pedidos',
            options: { body: { itens }, headers: { ...auth, 'idempotency-key': 'k'.repeat(300) } },
            status: 400,
            code: 'validation-failed',
            fields: ['Idempotency-Key'],
          },
          {
            name: 'huge body',
            method: 'POST',
            path: '/pedidos',
            options: { rawBody: JSON.stringify({ itens, pad: 'x'.repeat(32 * 1024) }), headers: json },
            status: 413,
            code: 'payload-too-large',
          },
          {
            name: 'id not a number',
            method: 'GET',
            path: '/pedidos/abc',
            options: { headers: auth },
            status: 400,
            code: 'validation-failed',
          },
          {
            name: 'id zero',
            method: 'GET',
            path: '/pedidos/0',
            options: { headers: auth },
            status: 400,
            code: 'validation-failed',
          },
          {
            name: 'limit too large',
            method: 'GET',
            path: '/pedidos?limit=1000',
            options: { headers: auth },
            status: 400,
            code: 'validation-failed',
          },
          {
            name: 'negative offset',
            method: 'GET',
            path: '/pedidos?offset=-1',
            options: { headers: auth },
            status: 400,
            code: 'validation-failed',
          },
          {
            name: 'login without senha',
            method: 'POST',
            path: '/auth/login',
            options: { body: { email: 'ana@exemplo.com' } },
            status: 400,
            code: 'validation-failed',
          },
          {
            name: 'login with a number as e-mail',
            method: 'POST',
            path: '/auth/login',
            options: { body: { email: 5, senha: 'x' } },
            status: 400,
            code: 'validation-failed',
          },
          {
            name: 'login malformed JSON',
            method: 'POST',
            path: '/auth/login',
            options: { rawBody: '{', headers: { 'content-type': 'application/json' } },
            status: 400,
            code: 'malformed-json',
          },
        ]);
      });

      test('the OpenAPI document lists the async routes', async () => {
        const res = await call<{ paths: Record<string, unknown> }>(h.url, 'GET', '/docs/json');
        assert.equal(res.status, 200);
        for (const path of ['/auth/login', '/pedidos', '/pedidos/{id}'])
          assert.ok(res.body.paths[path], path);
      });
    });

    describe('gRPC', () => {
      const metadata = (token?: string) => {
        const m = new grpc.Metadata();
        if (token !== undefined) m.set('authorization', `Bearer ${token}`);
        return m;
      };

      test('CriarPedido with the token in the metadata accepts the order as PENDENTE; without it, UNAUTHENTICATED', async () => {
        const client = h.service.connect(PedidosClient);
        const request = {
          cliente_id: 0,
          itens,
          idempotency_key: '',
          metodo_pagamento: MetodoPagamento.METODO_PAGAMENTO_UNSPECIFIED,
        };
        const [bruno, ana] = [await h.token(2), await h.token(1)];
        const ok = await grpcOutcome<CriarPedidoResponse>((cb) =>
          client.criarPedido(request, metadata(bruno), { deadline: Date.now() + 5000 }, cb),
        );
        const created = okResponse(ok).pedido;
        assert.equal(created?.status, StatusPedido.STATUS_PEDIDO_PENDENTE);
        assert.equal(created.cliente_id, 2);
        const anonymous = await grpcOutcome<CriarPedidoResponse>((cb) =>
          client.criarPedido(request, metadata(), { deadline: Date.now() + 5000 }, cb),
        );
        assert.equal(anonymous.code, grpc.status.UNAUTHENTICATED);
        const other = await grpcOutcome((cb) =>
          client.obterPedido({ pedido_id: created.id }, metadata(ana), cb),
        );
        assert.equal(other.code, grpc.status.NOT_FOUND);
      });
    });
  });
}
