/**
 * The auditor: once a phase has ended, it waits for the orders still in flight to settle, then
 * reads the six databases and reports what it found (results.ts AuditFindings): orders and their
 * payments by status, the stock identity initial = available + reserved + sold, and one line per
 * broken invariant.
 *
 * The invariants are the checkout's own checkers (systems/checkout/e2e/invariants.ts:
 * findCheckoutViolations for grpc/rest, findAsyncCheckoutViolations for async) plus what the
 * issue asks of every transport on top of them:
 *
 * - no order charged twice (one payment row per order; async's checker already counts them);
 * - one invoice and one dispatch per order at most (a shipped order without them is the
 *   checkers' "no nota fiscal" / "no dispatch"; async's checker counts them exactly);
 * - no dispatch without an approved payment;
 * - every order ended: async's checker says "not terminal"; a synchronous order still mid-chain
 *   after settling is "not cleanly failed" (the request's caller got an error, and the recovery
 *   loop did not finish it either);
 * - the stock identity over the products the checkout's orders asked for;
 * - async: nothing left in the queues, and no dead letter (a message the system gave up on).
 *
 * The findings cover every order placed through the checkout in the namespace so far (the
 * seed's imported history excluded), not only the last phase's: a violation stays reported.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { checkoutQueues } from '@dslab/checkout-async';
import {
  findAsyncCheckoutViolations,
  findCheckoutViolations,
  num,
  rows,
  type CheckoutDatabases,
} from '@dslab/checkout-e2e/invariants.js';
import { sql } from 'kysely';
import type { AuditFindings, LoadTransport } from './results.js';

/** What the auditor needs of a queue (a MessageBus of @dslab/messaging fits). */
export interface QueueDepths {
  depth(queue: string): Promise<{ readonly ready: number; readonly retrying: number; readonly dead: number }>;
}

/** The namespace audited; a Namespace of @dslab/checkout-async/testing fits. */
export interface AuditNamespace {
  readonly dbs: CheckoutDatabases;
  /** Stock per product before the first order (the stock identity's start). */
  readonly initialStock: ReadonlyMap<number, number>;
  /** Async only: the queues' prefix, and a bus to read their depths. */
  readonly prefix?: string;
  readonly bus?: QueueDepths;
}

export interface AuditOptions {
  readonly ns: AuditNamespace;
  readonly transport: LoadTransport;
  /** Longest wait for the orders in flight (and, async, the outboxes and queues) to drain. */
  readonly settleTimeoutMs: number;
  /** How often the settling is looked at (default 250 ms). */
  readonly pollMs?: number;
}

/** Where the checkout's chain ends (pedidos' CHAIN_DONE): nothing drives these orders any more. */
const ENDED = ['enviado', 'entregue', 'cancelado'];
const SHIPPED = new Set(['enviado', 'entregue']);

function queuesOf(ns: AuditNamespace): { readonly names: readonly string[]; readonly bus: QueueDepths } {
  if (ns.prefix === undefined || ns.bus === undefined)
    throw new Error('auditing the async checkout needs the namespace’s queue prefix and bus');
  return { names: checkoutQueues(ns.prefix), bus: ns.bus };
}

/** What is still moving: orders not ended, and (async) outbox rows and queued messages. */
async function inFlight(ns: AuditNamespace, transport: LoadTransport): Promise<number> {
  const [orders] = await rows<{ n: number | string }>(
    ns.dbs.pedidos,
    sql`SELECT COUNT(*) AS n FROM pedidos WHERE origem = 'checkout' AND status NOT IN (${sql.join(ENDED)})`,
  );
  let moving = num(orders?.n ?? 0);
  if (transport !== 'async' || moving > 0) return moving;
  for (const service of ['pedidos', 'estoque', 'pagamentos', 'fiscal', 'logistica'] as const) {
    const [outbox] = await rows<{ n: number | string }>(
      ns.dbs[service],
      sql`SELECT COUNT(*) AS n FROM outbox`,
    );
    moving += num(outbox?.n ?? 0);
  }
  const { names, bus } = queuesOf(ns);
  for (const depth of await Promise.all(names.map((queue) => bus.depth(queue))))
    moving += depth.ready + depth.retrying;
  return moving;
}

/** Waits until nothing moves or `timeoutMs` passed; answers the seconds waited. */
async function settle(
  ns: AuditNamespace,
  transport: LoadTransport,
  timeoutMs: number,
  pollMs: number,
): Promise<number> {
  const started = performance.now();
  for (;;) {
    const moving = await inFlight(ns, transport);
    const elapsed = performance.now() - started;
    if (moving === 0 || elapsed >= timeoutMs) return elapsed / 1000;
    await sleep(Math.max(1, Math.min(pollMs, timeoutMs - elapsed)));
  }
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function groupBy<T>(items: readonly T[], key: (item: T) => number): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const list = groups.get(key(item));
    if (list === undefined) groups.set(key(item), [item]);
    else list.push(item);
  }
  return groups;
}

/**
 * Waits for the checkout to settle (at most `settleTimeoutMs`), then audits the six databases.
 * Never throws for what it finds: findings are data; it throws only when a database cannot be read.
 */
export async function auditCheckout(options: AuditOptions): Promise<AuditFindings> {
  const { ns, transport } = options;
  const { dbs, initialStock } = ns;
  const settledAfterSeconds = await settle(ns, transport, options.settleTimeoutMs, options.pollMs ?? 250);

  const violations =
    transport === 'async'
      ? await findAsyncCheckoutViolations(dbs, initialStock)
      : await findCheckoutViolations(dbs, initialStock);

  const pedidos = await rows<{ id: number | string; status: string; motivo: string | null }>(
    dbs.pedidos,
    sql`SELECT id, status, motivo FROM pedidos WHERE origem = 'checkout' ORDER BY id`,
  );
  const statusOf = new Map(pedidos.map((p) => [num(p.id), p.status]));
  const ours = <T extends { pedido_id: number | string }>(list: readonly T[]) =>
    list.filter((row) => statusOf.has(num(row.pedido_id)));

  const pagamentos = ours(
    await rows<{ pedido_id: number | string; status: string }>(
      dbs.pagamentos,
      sql`SELECT pedido_id, status FROM pagamentos ORDER BY id`,
    ),
  );
  const notas = ours(
    await rows<{ pedido_id: number | string }>(dbs.fiscal, sql`SELECT pedido_id FROM notas_fiscais`),
  );
  const envios = ours(
    await rows<{ pedido_id: number | string }>(
      dbs.logistica,
      sql`SELECT pedido_id FROM envios ORDER BY pedido_id`,
    ),
  );
  const pagamentosPorPedido = groupBy(pagamentos, (p) => num(p.pedido_id));
  const notasPorPedido = groupBy(notas, (n) => num(n.pedido_id));
  const enviosPorPedido = groupBy(envios, (e) => num(e.pedido_id));

  let unsettled = 0;
  for (const p of pedidos) {
    const id = num(p.id);
    if (!ENDED.includes(p.status)) {
      unsettled++;
      // Async's checker already reports it ("not terminal").
      if (transport !== 'async')
        violations.push(
          `pedido ${id}: not cleanly failed (still ${p.status}${p.motivo === null ? '' : `: ${p.motivo}`})`,
        );
    }
    if (transport === 'async') continue; // its checker counts payments, invoices and dispatches exactly
    const charged = pagamentosPorPedido.get(id)?.length ?? 0;
    if (charged > 1) violations.push(`pedido ${id}: charged ${charged} times (${charged} payments)`);
    const invoiced = notasPorPedido.get(id)?.length ?? 0;
    if (invoiced > 1) violations.push(`pedido ${id}: ${invoiced} invoices`);
    const dispatched = enviosPorPedido.get(id)?.length ?? 0;
    if (dispatched > 1) violations.push(`pedido ${id}: ${dispatched} dispatches`);
  }
  for (const id of enviosPorPedido.keys()) {
    const paid = (pagamentosPorPedido.get(id) ?? []).map((p) => p.status);
    if (!paid.includes('aprovado'))
      violations.push(
        `pedido ${id}: dispatched without an approved payment (payment ${paid.join(',') || 'missing'})`,
      );
  }

  // The stock identity over the products the checkout's orders asked for.
  const itens = ours(
    await rows<{ pedido_id: number | string; produto_id: number | string }>(
      dbs.pedidos,
      sql`SELECT pedido_id, produto_id FROM itens_pedido`,
    ),
  );
  const produtos = new Set(itens.map((i) => num(i.produto_id)).filter((p) => initialStock.has(p)));
  const shelf = await rows<{ produto_id: number | string; quantidade: number | string }>(
    dbs.estoque,
    sql`SELECT produto_id, quantidade FROM estoque`,
  );
  const held = ours(
    await rows<{
      pedido_id: number | string;
      produto_id: number | string;
      reservado: number | string;
      liberado: number | string;
    }>(dbs.estoque, sql`SELECT pedido_id, produto_id, reservado, liberado FROM reserva_itens`),
  );
  let initial = 0;
  for (const produto of produtos) initial += initialStock.get(produto) ?? 0;
  let available = 0;
  for (const s of shelf) if (produtos.has(num(s.produto_id))) available += num(s.quantidade);
  let reserved = 0;
  let sold = 0;
  for (const h of held) {
    if (!produtos.has(num(h.produto_id))) continue;
    const units = num(h.reservado) - num(h.liberado);
    if (SHIPPED.has(statusOf.get(num(h.pedido_id)) ?? '')) sold += units;
    else reserved += units;
  }
  if (initial !== available + reserved + sold)
    violations.push(
      `stock: ${initial} units at the start ≠ ${available} available + ${reserved} reserved + ${sold} sold`,
    );

  if (transport === 'async') {
    const { names, bus } = queuesOf(ns);
    const depths = await Promise.all(names.map(async (queue) => [queue, await bus.depth(queue)] as const));
    for (const [queue, depth] of depths) {
      const waiting = depth.ready + depth.retrying;
      if (waiting > 0) violations.push(`queue ${queue}: ${waiting} message(s) still waiting`);
      if (depth.dead > 0) violations.push(`queue ${queue}: ${depth.dead} dead letter(s)`);
    }
  }

  return {
    orders: countBy(pedidos, (p) => p.status),
    payments: countBy(pagamentos, (p) => p.status),
    stock: { initial, available, reserved, sold },
    settledAfterSeconds,
    unsettled,
    violations,
  };
}
