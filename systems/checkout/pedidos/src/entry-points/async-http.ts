import { MAX_ITENS, MAX_QUANTIDADE, METODO_PAGAMENTO_VALUES } from '@dslab/checkout-contracts';
import { idParams, stringEnum, type TimeoutSettings } from '@dslab/checkout-kit';
import { callContextFromRequest, problemResponses, type HttpApp } from '@dslab/http-kit';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  MAX_PAGE,
  type AsyncCheckout,
  type Cliente,
  type PedidoDetalhe,
} from '../application/async-checkout.js';
import { PedidoSchema } from './http.js';

/**
 * The REST API of the asynchronous checkout (TRANSPORT=async): login, orders accepted with 202
 * and read back by their owner with their history. Hypermedia is HAL (`_links`).
 */

const Link = Type.Object({ href: Type.String(), method: Type.Optional(Type.String()) });

const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    senha: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

const TokenSchema = Type.Object({
  access_token: Type.String({ description: 'JWT (HS256) to send as Authorization: Bearer <access_token>' }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'seconds' }),
});

const ItemBody = Type.Object(
  {
    produto_id: Type.Integer({ description: 'product id (catalogo)' }),
    quantidade: Type.Integer({ description: `units, 1 to ${MAX_QUANTIDADE}` }),
  },
  { additionalProperties: false },
);

const CriarPedidoBody = Type.Object(
  {
    itens: Type.Array(ItemBody, { description: `one line per product, 1 to ${MAX_ITENS} lines` }),
    metodo_pagamento: Type.Optional(stringEnum(METODO_PAGAMENTO_VALUES, 'default cartao_credito')),
    cliente_id: Type.Optional(
      Type.Integer({ description: "optional; when sent it must be the token's customer (else 403)" }),
    ),
  },
  { additionalProperties: false },
);

const HistoricoSchema = Type.Object({
  etapa: Type.String({ description: 'the operation, e.g. pedido_criado, pagamento_aprovado' }),
  mensagem: Type.String(),
  em: Type.String({ description: 'UTC ISO-8601' }),
});

const PedidoLinks = Type.Object({ self: Link, pedidos: Link });

const PedidoDetalheSchema = Type.Object({
  ...PedidoSchema.properties,
  historico: Type.Array(HistoricoSchema, { description: "the order's steps so far, oldest first" }),
  _links: PedidoLinks,
});

const PedidoResumoSchema = Type.Object({ ...PedidoSchema.properties, _links: PedidoLinks });

const ListaSchema = Type.Object({
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
  _links: Type.Object({
    self: Link,
    first: Link,
    next: Type.Optional(Link),
    prev: Type.Optional(Link),
    criar: Link,
  }),
  _embedded: Type.Object({ pedidos: Type.Array(PedidoResumoSchema) }),
});

const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: MAX_PAGE, default: 20 }),
    offset: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }),
  },
  { additionalProperties: false },
);

const AuthHeaders = Type.Object({
  authorization: Type.Optional(Type.String({ description: 'Bearer <access_token> from POST /auth/login' })),
});

const CreateHeaders = Type.Object({
  authorization: Type.Optional(Type.String({ description: 'Bearer <access_token> from POST /auth/login' })),
  'idempotency-key': Type.Optional(
    Type.String({ description: 'makes a retry answer the same order (per customer)' }),
  ),
});

const pedidoHref = (id: number) => `/pedidos/${id}`;

function linksOf(id: number) {
  return { self: { href: pedidoHref(id) }, pedidos: { href: '/pedidos' } };
}

function withLinks(pedido: PedidoDetalhe) {
  return { ...pedido, _links: linksOf(pedido.id) };
}

export function registerAsyncPedidosRoutes(
  app: HttpApp,
  checkout: AsyncCheckout,
  timeouts: TimeoutSettings,
): void {
  /** The token's customer of each authenticated request (set before the body is read). */
  const clientes = new WeakMap<FastifyRequest, Cliente>();
  const clienteOf = (request: FastifyRequest): Cliente => {
    const cliente = clientes.get(request);
    if (cliente === undefined) throw new Error('route without the authentication hook');
    return cliente;
  };
  // A route hook that runs first of all: no token, no body parsing (a 401 before a 400 or 413).
  const authenticate = async (request: FastifyRequest) => {
    clientes.set(request, await checkout.authenticate(request.headers.authorization));
  };

  app.post(
    '/auth/login',
    {
      schema: {
        summary: 'Exchange e-mail and senha for a Bearer access token (JWT)',
        tags: ['auth'],
        body: LoginBody,
        response: { 200: TokenSchema, ...problemResponses(400, 401, 413, 415) },
      },
    },
    async (request, reply) => {
      const token = await checkout.login(request.body.email, request.body.senha);
      return reply.header('cache-control', 'no-store').send(token);
    },
  );

  app.post(
    '/pedidos',
    {
      onRequest: authenticate,
      schema: {
        summary: 'Place an order: accepted at once (202); the saga runs it in the background',
        description:
          'The order is committed with its PEDIDO_CRIADO message and answered `pendente`; follow `_links.self` ' +
          '(GET /pedidos/{id}) to see it move through payment, stock, invoice and dispatch, with its `historico`. ' +
          'A repeat with the same Idempotency-Key and body answers the same order (header Idempotent-Replayed: true); ' +
          'another body with that key is 422.',
        tags: ['pedidos'],
        headers: CreateHeaders,
        body: CriarPedidoBody,
        response: {
          202: PedidoDetalheSchema,
          ...problemResponses(400, 401, 403, 413, 415, 422, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const ctx = callContextFromRequest(request, timeouts);
      const { pedido, replayed } = await checkout.create(
        clienteOf(request),
        { ...request.body, idempotency_key: request.headers['idempotency-key'] },
        ctx,
      );
      void reply.header('location', pedidoHref(pedido.id));
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(202).send(withLinks(pedido));
    },
  );

  app.get(
    '/pedidos/:id',
    {
      onRequest: authenticate,
      schema: {
        summary: 'Read one of your orders, with its history',
        tags: ['pedidos'],
        headers: AuthHeaders,
        params: idParams(),
        response: { 200: PedidoDetalheSchema, ...problemResponses(400, 401, 404) },
      },
    },
    async (request) => withLinks(await checkout.obter(clienteOf(request), request.params.id)),
  );

  app.get(
    '/pedidos',
    {
      onRequest: authenticate,
      schema: {
        summary: 'Your orders, newest first, paginated',
        tags: ['pedidos'],
        headers: AuthHeaders,
        querystring: ListQuery,
        response: { 200: ListaSchema, ...problemResponses(400, 401) },
      },
    },
    async (request) => {
      const { limit, offset } = request.query;
      const { pedidos, total } = await checkout.listar(clienteOf(request), limit, offset);
      const page = (at: number) => ({ href: `/pedidos?limit=${limit}&offset=${at}` });
      return {
        total,
        limit,
        offset,
        _links: {
          self: page(offset),
          first: page(0),
          ...(offset + limit < total ? { next: page(offset + limit) } : {}),
          ...(offset > 0 ? { prev: page(Math.max(0, offset - limit)) } : {}),
          criar: { href: '/pedidos', method: 'POST' },
        },
        _embedded: { pedidos: pedidos.map((p) => ({ ...p, _links: linksOf(p.id) })) },
      };
    },
  );
}
