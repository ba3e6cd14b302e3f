/**
 * How the load generator places one order on each transport and reads how it ended: the order
 * mix (the same order i on every transport), the three drivers (gRPC, REST, async) and, for the
 * async checkout, the completion tracker that sees an accepted order reach its terminal status.
 *
 * An operation never rejects: every answer and every failure becomes an Outcome (results.ts).
 * What the synchronous pedidos answers (entry-points/http.ts, application/pedidos-service.ts):
 *
 * - 201 (200 for a replay) with the order `enviado` → shipped;
 * - 201 with the order `cancelado` → cancelled: a rejected payment, missing stock, or a neighbour
 *   that was down before the step could happen (pagamentos or estoque refusing the connection,
 *   fiscal down: the steps done are compensated inside the request);
 * - 201 with the order `nf_emitida` → error `incomplete-nf_emitida`: logistica is down or slow; the
 *   sale stands and the recovery loop dispatches it later, but the request did not see it end;
 * - 503 / 504 (`unavailable` / `timeout`, with `pedido_id`) → error `http-503` / `http-504`: a
 *   neighbour down or slow mid-chain with a compensation still owed, or catalogo down (nothing
 *   written); the order, if one was created, is finished in the background;
 * - pedidos itself down → the connection's error code (`ECONNREFUSED`, `UND_ERR_SOCKET`, …).
 *
 * gRPC answers the same AppErrors, named by their gRPC status (`grpc-UNAVAILABLE`,
 * `grpc-DEADLINE_EXCEEDED`); a cancelled order's reason is the head of its motivo (the text
 * before the first colon, e.g. `pagamento rejeitado`), so reasons group instead of naming ids.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SENHA } from '@dslab/checkout-async/testing';
import { createClients } from '@dslab/checkout-clients';
import type { Dataset } from '@dslab/checkout-datagen';
import { errorCatalog, isAppError } from '@dslab/errors';
import { seededRandom } from '@dslab/random';
import { sql, type Kysely } from 'kysely';
import { Pool } from 'undici';
import type { Operation, OperationResult } from './models.js';
import type { LoadTransport, Outcome } from './results.js';

// ---------------------------------------------------------------------------------------------
// The order mix

export interface OrderLine {
  readonly produto_id: number;
  readonly quantidade: number;
}

/** One order as the checkout's POST /pedidos takes it. */
export interface OrderRequest {
  readonly cliente_id: number;
  readonly itens: readonly OrderLine[];
}

/** Order number i (0-based, global across phases) → the order to place. */
export type OrderMix = (i: number) => OrderRequest;

/**
 * The orders of a run: order i is drawn from `seededRandom(seed ^ i)` alone, so it is the same
 * order on every transport and in every phase that places it, whatever ran before. 1 to 3 lines of
 * distinct products (any product of the data set), 1 or 2 units each, for one of the first
 * `customers` customers (the ones the async driver logs in).
 */
export function orderMix(
  dataset: Pick<Dataset, 'clientes' | 'produtos'>,
  seed: number,
  customers: number = dataset.clientes.length,
): OrderMix {
  const clientes = dataset.clientes.slice(0, Math.max(0, customers)).map((c) => c.id);
  const produtos = dataset.produtos.map((p) => p.id);
  if (clientes.length === 0) throw new Error('the order mix needs at least one customer');
  if (produtos.length === 0) throw new Error('the order mix needs at least one product');
  if (!Number.isInteger(seed)) throw new RangeError(`the seed must be an integer (got ${seed})`);
  return (i) => {
    if (!Number.isInteger(i) || i < 0) throw new RangeError(`order numbers are integers ≥ 0 (got ${i})`);
    const random = seededRandom(seed ^ i);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
    const cliente_id = pick(clientes);
    const lines = Math.min(produtos.length, 1 + Math.floor(random() * 3));
    const itens = new Map<number, number>();
    while (itens.size < lines) {
      const produto = pick(produtos);
      if (!itens.has(produto)) itens.set(produto, 1 + Math.floor(random() * 2));
    }
    return {
      cliente_id,
      itens: [...itens].map(([produto_id, quantidade]) => ({ produto_id, quantidade })),
    };
  };
}

// ---------------------------------------------------------------------------------------------
// Outcomes

/** The group a cancelled order's motivo belongs to: the text before its first colon. */
export function reasonOf(motivo: string | null | undefined): string {
  const head = (motivo ?? '').split(':', 1)[0]?.trim() ?? '';
  return head === '' ? 'cancelado' : head;
}

/** How an order the checkout answered (or reached terminal) ended. */
export function outcomeOfOrder(pedido: {
  readonly status: string;
  readonly motivo?: string | null;
}): Outcome {
  if (pedido.status === 'enviado') return { kind: 'shipped' };
  if (pedido.status === 'cancelado') return { kind: 'cancelled', reason: reasonOf(pedido.motivo) };
  return { kind: 'error', error: `incomplete-${pedido.status}` };
}

/** The outcome of the synchronous POST /pedidos's answer (status code and body text). */
export function outcomeOfAnswer(statusCode: number, body: string): Outcome {
  if (statusCode !== 200 && statusCode !== 201) return { kind: 'error', error: `http-${statusCode}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { kind: 'error', error: `incomplete-${statusCode}` };
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    typeof (parsed as { status?: unknown }).status !== 'string'
  )
    return { kind: 'error', error: `incomplete-${statusCode}` };
  const pedido = parsed as { status: string; motivo?: unknown };
  return outcomeOfOrder({
    status: pedido.status,
    motivo: typeof pedido.motivo === 'string' ? pedido.motivo : null,
  });
}

const CODE_PATTERN = /^(E[A-Z0-9_]+|UND_ERR_[A-Z_]+)$/;

/**
 * The kind of a failure that brought no answer: a gRPC AppError by its status, a socket or undici
 * error by its code (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET…), an abort as `aborted`; causes and
 * an AggregateError's first error are looked into before giving up with the error's name.
 */
export function classifyError(error: unknown, depth = 0): string {
  if (isAppError(error)) return `grpc-${errorCatalog[error.code].grpc}`;
  if (typeof error !== 'object' || error === null) return 'unknown';
  const { name, code, cause } = error as { name?: unknown; code?: unknown; cause?: unknown };
  if (name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') return 'aborted';
  if (name === 'TimeoutError') return 'timeout';
  if (typeof code === 'string' && CODE_PATTERN.test(code)) return code;
  if (depth < 4) {
    if (error instanceof AggregateError && error.errors.length > 0)
      return classifyError(error.errors[0], depth + 1);
    if (cause !== undefined) {
      const inner = classifyError(cause, depth + 1);
      if (inner !== 'unknown') return inner;
    }
  }
  return typeof name === 'string' && name !== '' && name !== 'Error' ? name : 'unknown';
}

const failed = (error: unknown): OperationResult => ({
  outcome: { kind: 'error', error: classifyError(error) },
});

function abortError(): Error {
  return new DOMException('the load generator gave up on the order', 'AbortError');
}

/** `promise`, or an AbortError as soon as `signal` aborts (the promise is left to settle alone). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortError());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      reject(abortError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Completion tracker (async)

/** An order that reached a terminal status. */
export interface Completion {
  readonly id: number;
  readonly status: 'enviado' | 'cancelado';
  readonly motivo: string | null;
  /** The order's atualizado_em (when it turned terminal, by the service's clock). */
  readonly atualizadoEm: string;
  /** The same instant on this process's performance.now() scale (never later than when it was seen). */
  readonly endedAt: number;
}

export interface CompletionTracker {
  /** Resolves when order `id` is enviado or cancelado; rejects with an AbortError when `signal` aborts. */
  wait(id: number, signal?: AbortSignal): Promise<Completion>;
  /** Orders waited for now. */
  readonly pending: number;
  /** Stops polling; waits still pending reject. */
  close(): Promise<void>;
}

/** Ids per query: PostgreSQL takes more parameters, but a bounded statement stays cheap to plan. */
const IDS_PER_QUERY = 1000;

interface Waiter {
  readonly resolve: (completion: Completion) => void;
  readonly reject: (error: Error) => void;
}

interface TerminalRow {
  id: number | string;
  status: 'enviado' | 'cancelado';
  motivo: string | null;
  atualizado_em: string;
}

/**
 * One poll loop over pedidos' database for every order waited for: each round reads the terminal
 * ones among them (`id IN (…) AND status IN ('enviado','cancelado')`, 1000 ids per query), resolves
 * their waiters, then sleeps `pollMs`; it idles while nothing is waited for. The end of an order is
 * its `atualizado_em`, so the poll interval does not add to the measured latency. A failed query
 * is retried on the next round: the waits' own signals bound how long an order is waited for.
 */
export function createCompletionTracker(db: Kysely<unknown>, pollMs = 20): CompletionTracker {
  const waiters = new Map<number, Waiter[]>();
  const stop = new AbortController();
  let wake: (() => void) | undefined;

  function settle(row: TerminalRow): void {
    const id = Number(row.id);
    const list = waiters.get(id);
    if (list === undefined) return;
    waiters.delete(id);
    // Wall clock to the monotonic scale with the offset of now (performance.timeOrigin drifts
    // from Date.now() over long runs); an end "after now" is clock granularity: now.
    const seenAt = performance.now();
    const endedAt = Math.min(seenAt, seenAt - (Date.now() - Date.parse(row.atualizado_em)));
    const completion: Completion = {
      id,
      status: row.status,
      motivo: row.motivo,
      atualizadoEm: row.atualizado_em,
      endedAt: Number.isFinite(endedAt) ? endedAt : seenAt,
    };
    for (const waiter of list) waiter.resolve(completion);
  }

  async function pollOnce(): Promise<void> {
    const ids = [...waiters.keys()];
    const chunks: number[][] = [];
    for (let at = 0; at < ids.length; at += IDS_PER_QUERY) chunks.push(ids.slice(at, at + IDS_PER_QUERY));
    await Promise.all(
      chunks.map(async (chunk) => {
        const { rows } =
          await sql<TerminalRow>`SELECT id, status, motivo, atualizado_em FROM pedidos WHERE id IN (${sql.join(chunk)}) AND status IN ('enviado', 'cancelado')`.execute(
            db,
          );
        for (const row of rows) settle(row);
      }),
    );
  }

  async function loop(): Promise<void> {
    while (!stop.signal.aborted) {
      if (waiters.size === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      try {
        await pollOnce();
      } catch {
        // Retried next round (the database restarting, a pool briefly exhausted).
      }
      if (waiters.size > 0) await sleep(pollMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  }

  const running = loop();

  return {
    wait(id, signal) {
      if (stop.signal.aborted) return Promise.reject(new Error('the completion tracker is closed'));
      if (signal?.aborted === true) return Promise.reject(abortError());
      return new Promise<Completion>((resolve, reject) => {
        const onAbort = () => {
          const list = waiters.get(id);
          const rest = list?.filter((w) => w !== waiter) ?? [];
          if (rest.length === 0) waiters.delete(id);
          else waiters.set(id, rest);
          reject(abortError());
        };
        const waiter: Waiter = {
          resolve: (completion) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(completion);
          },
          reject: (error) => {
            signal?.removeEventListener('abort', onAbort);
            reject(error);
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.set(id, [...(waiters.get(id) ?? []), waiter]);
        wake?.();
      });
    },
    get pending() {
      return waiters.size;
    },
    async close() {
      stop.abort();
      wake?.();
      await running;
      const left = [...waiters.values()].flat();
      waiters.clear();
      for (const waiter of left) waiter.reject(new Error('the completion tracker is closed'));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Drivers

export interface OrderDriverOptions {
  readonly transport: LoadTransport;
  /** Where pedidos listens: its HTTP base URL and its gRPC `host:port`. */
  readonly pedidos: { readonly http: string; readonly grpc: string };
  /**
   * The namespace's data set (the customers the async driver logs in) and pedidos' database
   * (the async completion tracker reads it); a Namespace of @dslab/checkout-async/testing fits.
   */
  readonly ns: {
    readonly dataset: Pick<Dataset, 'clientes'>;
    readonly dbs: { readonly pedidos: Kysely<unknown> };
  };
  readonly mix: OrderMix;
  /** Async: the first `customers` customers of the data set are logged in (the mix picks among them). */
  readonly customers: number;
  /** Budget of one order: sent as X-Timeout-Ms (REST, async's POST) or as the gRPC deadline. */
  readonly timeoutMs: number;
  /** Idempotency-Key of order i is `<keyPrefix>-<i>`: unique per run (default: a random one). */
  readonly keyPrefix?: string;
  /** Keep-alive connections to pedidos (REST, async; default 512). */
  readonly connections?: number;
  /** Async: the completion tracker's poll interval (default 20 ms). */
  readonly pollMs?: number;
}

export interface OrderDriver {
  readonly operation: Operation;
  close(): Promise<void>;
}

const traceId = () => randomBytes(16).toString('hex');

/**
 * Places orders on one transport: REST and async over one keep-alive undici Pool (pipelining 1),
 * gRPC over one long-lived channel. Async logs the customers in first (a failed login throws
 * here: nothing could be measured), then answers each order once it is terminal.
 */
export async function createOrderDriver(options: OrderDriverOptions): Promise<OrderDriver> {
  const keyPrefix = options.keyPrefix ?? `lg-${randomBytes(6).toString('hex')}`;
  const keyOf = (i: number) => `${keyPrefix}-${i}`;
  switch (options.transport) {
    case 'grpc':
      return grpcDriver(options, keyOf);
    case 'rest':
      return restDriver(options, keyOf);
    case 'async':
      return asyncDriver(options, keyOf);
  }
}

function poolOf(options: OrderDriverOptions): Pool {
  return new Pool(options.pedidos.http, {
    connections: options.connections ?? 512,
    pipelining: 1,
    // The bench's orders may take up to the timeout; undici's own timers must not cut them first.
    headersTimeout: options.timeoutMs + 30_000,
    bodyTimeout: options.timeoutMs + 30_000,
  });
}

function grpcDriver(options: OrderDriverOptions, keyOf: (i: number) => string): OrderDriver {
  const { pedidos } = createClients('grpc', { pedidos: options.pedidos });
  const operation: Operation = async (i, signal) => {
    try {
      const order = options.mix(i);
      const call = pedidos.criarPedido(
        { cliente_id: order.cliente_id, itens: order.itens, idempotency_key: keyOf(i) },
        { deadline: Date.now() + options.timeoutMs, traceId: traceId() },
      );
      return { outcome: outcomeOfOrder(await untilAborted(call, signal)) };
    } catch (error) {
      return failed(error);
    }
  };
  return { operation, close: () => pedidos.close() };
}

function restDriver(options: OrderDriverOptions, keyOf: (i: number) => string): OrderDriver {
  const pool = poolOf(options);
  const operation: Operation = async (i, signal) => {
    try {
      const order = options.mix(i);
      const response = await pool.request({
        method: 'POST',
        path: '/pedidos',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': keyOf(i),
          'x-timeout-ms': String(options.timeoutMs),
        },
        body: JSON.stringify(order),
        signal,
      });
      return { outcome: outcomeOfAnswer(response.statusCode, await response.body.text()) };
    } catch (error) {
      return failed(error);
    }
  };
  return { operation, close: () => pool.destroy() };
}

/** The order id of a 202: its Location `/pedidos/<id>`, else the body's id. */
function acceptedId(location: string | string[] | undefined, body: string): number | undefined {
  const header = Array.isArray(location) ? location[0] : location;
  const match = header === undefined ? null : /\/pedidos\/(\d+)$/.exec(header);
  if (match?.[1] !== undefined) return Number(match[1]);
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'number' && Number.isInteger(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

async function loginAll(
  pool: Pool,
  clientes: readonly { readonly id: number; readonly email: string }[],
): Promise<Map<number, string>> {
  const tokens = new Map<number, string>();
  for (const cliente of clientes) {
    const response = await pool.request({
      method: 'POST',
      path: '/auth/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: cliente.email, senha: SENHA }),
    });
    const text = await response.body.text();
    const token =
      response.statusCode === 200 ? (JSON.parse(text) as { access_token?: unknown }).access_token : undefined;
    if (typeof token !== 'string')
      throw new Error(
        `customer ${cliente.id} could not log in: ${response.statusCode} ${text.slice(0, 300)}`,
      );
    tokens.set(cliente.id, token);
  }
  return tokens;
}

async function asyncDriver(options: OrderDriverOptions, keyOf: (i: number) => string): Promise<OrderDriver> {
  const pool = poolOf(options);
  let tokens: Map<number, string>;
  try {
    tokens = await loginAll(pool, options.ns.dataset.clientes.slice(0, Math.max(0, options.customers)));
  } catch (error) {
    await pool.destroy();
    throw error;
  }
  const tracker = createCompletionTracker(options.ns.dbs.pedidos, options.pollMs);
  const operation: Operation = async (i, signal) => {
    let acceptedAt: number | undefined;
    try {
      const order = options.mix(i);
      const token = tokens.get(order.cliente_id);
      if (token === undefined) return { outcome: { kind: 'error', error: 'not-logged-in' } };
      const response = await pool.request({
        method: 'POST',
        path: '/pedidos',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': keyOf(i),
          'x-timeout-ms': String(options.timeoutMs),
        },
        body: JSON.stringify(order),
        signal,
      });
      const text = await response.body.text();
      if (response.statusCode !== 202)
        return { outcome: { kind: 'error', error: `http-${response.statusCode}` } };
      acceptedAt = performance.now();
      const id = acceptedId(response.headers.location, text);
      if (id === undefined) return { outcome: { kind: 'error', error: 'accepted-without-id' }, acceptedAt };
      const done = await tracker.wait(id, signal);
      // A saga faster than this process reading its 202 (a busy event loop) ended "before" the
      // 202 as seen here: the order is not over before the load generator knew it was accepted.
      return { outcome: outcomeOfOrder(done), acceptedAt, finishedAt: Math.max(acceptedAt, done.endedAt) };
    } catch (error) {
      return { ...failed(error), ...(acceptedAt === undefined ? {} : { acceptedAt }) };
    }
  };
  return {
    operation,
    async close() {
      await tracker.close();
      await pool.destroy();
    },
  };
}
