/**
 * The asynchronous checkout's API side (seed 004): customers log in, place orders that are
 * accepted at once (202) and read their own orders with their history while the saga runs them
 * (orchestrator.ts).
 *
 * Placing an order is ONE transaction: the order, its lines, its `pedido_criado` operation and
 * the PEDIDO_CRIADO message in the outbox (order-intake.ts, shared with the synchronous path);
 * the relay is woken after the commit to publish it. An Idempotency-Key is scoped to the
 * customer: a retry gets the same order, even when it races the first request.
 */
import { bearerTokenOf, createTokenService, hashPassword, verifyPassword } from '@dslab/auth';
import type { CallContext, CatalogoPort, PedidoValue } from '@dslab/checkout-contracts';
import { destinationOf, messageIdOf, messageOf } from '@dslab/checkout-contracts/messages';
import { DEFAULT_QUEUE_PREFIX } from '@dslab/checkout-kit';
import type { Database } from '@dslab/db';
import { AppError } from '@dslab/errors';
import type { Logger } from '@dslab/logging';
import { enqueue, type OutboxRelay } from '@dslab/outbox';
import { createCredentialsStore } from '../adapters/credentials.js';
import type { PedidosTables } from '../adapters/schema.js';
import { createPedidosStore, type PedidoRow } from '../adapters/store.js';
import { isId } from '../domain/checkout-request.js';
import { intakePedido, pedidoValueOf } from './order-intake.js';

/** Who a valid access token speaks for. */
export interface Cliente {
  readonly cliente_id: number;
  readonly email: string;
}

/** One entry of an order's history (an `operacoes` row). */
export interface HistoricoValue {
  /** The operation, e.g. `pedido_criado`, `pagamento_aprovado`, `pedido_cancelado`. */
  readonly etapa: string;
  readonly mensagem: string;
  /** UTC ISO-8601. */
  readonly em: string;
}

export interface PedidoDetalhe extends PedidoValue {
  readonly historico: HistoricoValue[];
}

export interface AuthSettings {
  /** HS256 signing secret of the access tokens. */
  readonly jwtSecret: string;
  readonly tokenTtlSeconds: number;
  /**
   * Development default: every customer without a password gets this one at start-up (the
   * seed stores none), so the seed's customers can log in.
   */
  readonly senhaPadrao?: string | undefined;
}

export interface AsyncCheckoutDeps {
  readonly database: Pick<Database<PedidosTables>, 'db' | 'engine'>;
  readonly catalogo: CatalogoPort;
  readonly relay: OutboxRelay;
  readonly logger: Logger;
  readonly auth: AuthSettings;
  readonly queuePrefix?: string | undefined;
  /** Wall clock, epoch ms (default Date.now). */
  readonly now?: (() => number) | undefined;
}

export interface CriarPedidoAsyncInput {
  readonly itens: unknown;
  readonly metodo_pagamento?: unknown;
  /** Optional in the body; when given it must be the token's customer. */
  readonly cliente_id?: unknown;
  readonly idempotency_key?: string | undefined;
}

export const TOKEN_ISSUER = 'pedidos';
export const TOKEN_AUDIENCE = 'checkout';
/** Largest page of GET /pedidos. */
export const MAX_PAGE = 100;

const INVALID_CREDENTIALS = 'e-mail ou senha incorretos';

export function createAsyncCheckout(deps: AsyncCheckoutDeps) {
  const { database, logger, relay } = deps;
  const now = deps.now ?? Date.now;
  const prefix = deps.queuePrefix ?? DEFAULT_QUEUE_PREFIX;
  const store = createPedidosStore(database.db);
  const credentials = createCredentialsStore(database.db);
  const tokens = createTokenService<Cliente>({
    secret: deps.auth.jwtSecret,
    ttlSeconds: deps.auth.tokenTtlSeconds,
    now,
    issuer: TOKEN_ISSUER,
    audience: TOKEN_AUDIENCE,
    expiredMessage: 'o token expirou; peça outro em POST /auth/login',
    invalidMessage: 'o token não é válido',
    claims(payload) {
      const clienteId = Number(payload.sub);
      const email = payload['email'];
      if (!isId(clienteId) || typeof email !== 'string')
        throw new AppError('unauthenticated', 'o token não identifica um cliente', {
          headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
        });
      return { cliente_id: clienteId, email };
    },
  });
  // Checked when an e-mail is unknown, so the answer time does not tell which customers exist.
  let dummyHash: Promise<string> | undefined;

  /** Gives the development default password to every customer without one (once, at start-up). */
  async function grantDefaultPassword(): Promise<number> {
    const senha = deps.auth.senhaPadrao;
    if (senha === undefined) return 0;
    const granted = await credentials.grantDefault(await hashPassword(senha));
    if (granted > 0)
      logger.info(`Senha padrão de desenvolvimento atribuída a ${granted} cliente(s) sem senha`);
    return granted;
  }

  async function login(
    email: string,
    senha: string,
  ): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    const row = await credentials.findLogin(email);
    dummyHash ??= hashPassword('not-a-real-password-0000');
    const valid = await verifyPassword(senha, row?.senha_hash ?? (await dummyHash));
    if (row === undefined || !valid) throw new AppError('invalid-credentials', INVALID_CREDENTIALS);
    const access = await tokens.issue(String(row.cliente_id), { email: row.email });
    logger.info(`Cliente ${row.cliente_id} autenticado`);
    return { access_token: access, token_type: 'Bearer', expires_in: tokens.ttlSeconds };
  }

  /** The customer of an `Authorization: Bearer` header; 401 when absent or not valid. */
  async function authenticate(authorization: string | undefined): Promise<Cliente> {
    const token = bearerTokenOf(authorization);
    if (token === undefined)
      throw new AppError(
        'unauthenticated',
        'esta operação precisa de um token: POST /auth/login com e-mail e senha',
        {
          headers: { 'www-authenticate': 'Bearer realm="checkout"' },
        },
      );
    return tokens.verify(token);
  }

  async function detalhe(row: PedidoRow): Promise<PedidoDetalhe> {
    const [itens, historico] = await Promise.all([store.itensOf(row.id), store.historicoOf(row.id)]);
    return {
      ...pedidoValueOf(row, itens),
      historico: historico.map((h) => ({ etapa: h.operacao, mensagem: h.mensagem, em: h.registrado_em })),
    };
  }

  /** The order if it is this customer's; 404 otherwise (another's order is not shown to exist). */
  async function ownOrder(cliente: Cliente, id: number): Promise<PedidoRow> {
    const row = await store.findById(id);
    if (row?.cliente_id !== cliente.cliente_id) throw new AppError('not-found', `o pedido ${id} não existe`);
    return row;
  }

  /**
   * Accepts an order for the token's customer: validated, priced, committed with PEDIDO_CRIADO
   * in the outbox, the relay woken. A known key with the same request answers the stored order
   * (`replayed`); with another request, 422 idempotency-key-reused.
   */
  async function create(
    cliente: Cliente,
    input: CriarPedidoAsyncInput,
    ctx: CallContext,
  ): Promise<{ readonly pedido: PedidoDetalhe; readonly replayed: boolean }> {
    if (input.cliente_id !== undefined && input.cliente_id !== cliente.cliente_id)
      throw new AppError(
        'forbidden',
        `o token é do cliente ${cliente.cliente_id}: não pode criar pedidos para o cliente ${JSON.stringify(input.cliente_id)}`,
      );
    const intake = await intakePedido(
      { store, catalogo: deps.catalogo, logger, now },
      { ...input, cliente_id: cliente.cliente_id },
      ctx,
      {
        emExecucaoAte: 0,
        storedKey: (key, clienteId) => `cliente-${clienteId}:${key}`,
        async inTransaction(trx, pedidoId, pedido, at) {
          const event = messageOf(
            'PEDIDO_CRIADO',
            pedidoId,
            { itens: pedido.itens, valor_total_centavos: pedido.valor_total_centavos },
            { traceId: ctx.traceId, at },
          );
          await enqueue(
            trx,
            [{ queue: destinationOf(event, prefix), messageId: messageIdOf('pedidos', event), body: event }],
            at,
          );
        },
      },
    );
    if (intake.kind === 'replay') return { pedido: await detalhe(intake.existing), replayed: true };
    relay.wake();
    return { pedido: await detalhe(await ownOrder(cliente, intake.id)), replayed: false };
  }

  async function obter(cliente: Cliente, id: number): Promise<PedidoDetalhe> {
    return detalhe(await ownOrder(cliente, id));
  }

  /** A page of the customer's own orders, newest first, and how many they have. */
  async function listar(
    cliente: Cliente,
    limit: number,
    offset: number,
  ): Promise<{ readonly pedidos: PedidoValue[]; readonly total: number }> {
    const { rows, total } = await store.listByCliente(cliente.cliente_id, Math.min(limit, MAX_PAGE), offset);
    const itens = await store.itensOfMany(rows.map((r) => r.id));
    return { pedidos: rows.map((row) => pedidoValueOf(row, itens.get(row.id) ?? [])), total };
  }

  return { grantDefaultPassword, login, authenticate, create, obter, listar, tokens };
}

export type AsyncCheckout = ReturnType<typeof createAsyncCheckout>;
