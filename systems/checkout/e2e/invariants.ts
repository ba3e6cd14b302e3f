import { sql, type Kysely } from 'kysely';

/** The six services' databases, read directly (tests only: services never read each other's). */
export interface CheckoutDatabases {
  readonly pedidos: Kysely<unknown>;
  readonly pagamentos: Kysely<unknown>;
  readonly estoque: Kysely<unknown>;
  readonly fiscal: Kysely<unknown>;
  readonly logistica: Kysely<unknown>;
  readonly catalogo: Kysely<unknown>;
}

interface PedidoRow {
  id: number;
  status: string;
  valor_total_centavos: number;
  nota_fiscal_id: number | null;
  numero_nota_fiscal: string | null;
  codigo_rastreamento: string | null;
}

/** The rows of a raw query (the checkers read several engines' tables the same way). */
export async function rows<T>(db: Kysely<unknown>, query: ReturnType<typeof sql<T>>): Promise<T[]> {
  const result = await query.execute(db);
  return result.rows;
}

/** A count or id as a number (PostgreSQL answers bigints as strings). */
export const num = (value: unknown) => Number(value);

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
 * Checks the checkout's cross-service invariants over the six databases, for the orders placed
 * through the checkout (not the seed's imported history). `initialStock` is the stock per product
 * before the orders. Answers one message per violation; [] when everything holds.
 */
export async function findCheckoutViolations(
  dbs: CheckoutDatabases,
  initialStock: ReadonlyMap<number, number>,
): Promise<string[]> {
  const problems: string[] = [];
  const pedidos = await rows<PedidoRow>(
    dbs.pedidos,
    sql`SELECT id, status, valor_total_centavos, nota_fiscal_id, numero_nota_fiscal, codigo_rastreamento FROM pedidos WHERE origem = 'checkout'`,
  );
  const ids = new Set(pedidos.map((p) => num(p.id)));
  const itens = await rows<{ pedido_id: number; produto_id: number; quantidade: number }>(
    dbs.pedidos,
    sql`SELECT i.pedido_id, i.produto_id, i.quantidade FROM itens_pedido i JOIN pedidos p ON p.id = i.pedido_id WHERE p.origem = 'checkout'`,
  );
  const pagamentos = new Map(
    (
      await rows<{ pedido_id: number; status: string; valor_centavos: number }>(
        dbs.pagamentos,
        sql`SELECT pedido_id, status, valor_centavos FROM pagamentos`,
      )
    ).map((p) => [num(p.pedido_id), p]),
  );
  const reservas = new Map(
    (
      await rows<{ pedido_id: number; status: string }>(
        dbs.estoque,
        sql`SELECT pedido_id, status FROM reservas`,
      )
    ).map((r) => [num(r.pedido_id), r.status]),
  );
  const held = await rows<{ pedido_id: number; produto_id: number; reservado: number; liberado: number }>(
    dbs.estoque,
    sql`SELECT pedido_id, produto_id, reservado, liberado FROM reserva_itens`,
  );
  const notas = await rows<{ id: number; pedido_id: number; numero: string; valor_centavos: number }>(
    dbs.fiscal,
    sql`SELECT id, pedido_id, numero, valor_centavos FROM notas_fiscais`,
  );
  const notasPorPedido = new Map(notas.map((n) => [num(n.pedido_id), n]));
  const envios = await rows<{
    pedido_id: number;
    nota_fiscal_id: number;
    codigo_rastreamento: string;
    status: string;
  }>(dbs.logistica, sql`SELECT pedido_id, nota_fiscal_id, codigo_rastreamento, status FROM envios`);
  const enviosPorPedido = new Map(envios.map((e) => [num(e.pedido_id), e]));
  // Indexed once: a benchmark's namespace holds tens of thousands of orders (a filter per order
  // would make the check quadratic).
  const heldPorPedido = groupBy(held, (h) => num(h.pedido_id));
  const itensPorPedido = groupBy(itens, (i) => num(i.pedido_id));
  const enviosPorNota = new Map<number, number>();
  for (const e of envios)
    enviosPorNota.set(num(e.nota_fiscal_id), (enviosPorNota.get(num(e.nota_fiscal_id)) ?? 0) + 1);

  for (const p of pedidos) {
    const id = num(p.id);
    const pagamento = pagamentos.get(id);
    const reserva = reservas.get(id);
    const nota = notasPorPedido.get(id);
    const envio = enviosPorPedido.get(id);
    const linhas = heldPorPedido.get(id) ?? [];
    const pedidoItens = itensPorPedido.get(id) ?? [];
    const holding = linhas.some((l) => num(l.reservado) > num(l.liberado));
    if (p.status === 'enviado' || p.status === 'nf_emitida' || p.status === 'em_separacao') {
      if (pagamento?.status !== 'aprovado')
        problems.push(`pedido ${id} ${p.status}: payment is ${pagamento?.status ?? 'missing'}`);
      else if (num(pagamento.valor_centavos) !== num(p.valor_total_centavos))
        problems.push(`pedido ${id}: charged ${pagamento.valor_centavos}, total ${p.valor_total_centavos}`);
      if (reserva !== 'separado')
        problems.push(`pedido ${id} ${p.status}: reservation is ${reserva ?? 'missing'}`);
      const want = new Map<number, number>();
      for (const i of pedidoItens)
        want.set(num(i.produto_id), (want.get(num(i.produto_id)) ?? 0) + num(i.quantidade));
      for (const [produto, quantidade] of want) {
        const linha = linhas.find((l) => num(l.produto_id) === produto);
        if (linha === undefined || num(linha.reservado) !== quantidade || num(linha.liberado) !== 0)
          problems.push(`pedido ${id}: product ${produto} holds ${linha?.reservado ?? 0} of ${quantidade}`);
      }
    }
    if (p.status === 'enviado' || p.status === 'nf_emitida') {
      if (nota === undefined) problems.push(`pedido ${id} ${p.status}: no nota fiscal`);
      else {
        if (num(nota.valor_centavos) !== num(p.valor_total_centavos))
          problems.push(`pedido ${id}: invoice of ${nota.valor_centavos}, total ${p.valor_total_centavos}`);
        if (nota.numero !== p.numero_nota_fiscal)
          problems.push(`pedido ${id}: invoice ${nota.numero} vs ${p.numero_nota_fiscal}`);
      }
    }
    if (p.status === 'enviado') {
      if (envio === undefined) problems.push(`pedido ${id} enviado: no dispatch`);
      else {
        if (nota !== undefined && num(envio.nota_fiscal_id) !== num(nota.id))
          problems.push(`pedido ${id}: dispatch carries invoice ${envio.nota_fiscal_id}, not ${nota.id}`);
        if (envio.codigo_rastreamento !== p.codigo_rastreamento)
          problems.push(`pedido ${id}: tracking ${envio.codigo_rastreamento} vs ${p.codigo_rastreamento}`);
      }
    } else if (envio !== undefined) problems.push(`pedido ${id} ${p.status}: has a dispatch`);
    if (p.status === 'cancelado') {
      if (pagamento?.status === 'aprovado') problems.push(`pedido ${id} cancelado: payment still aprovado`);
      if (holding) problems.push(`pedido ${id} cancelado: stock still held`);
      if (reserva === 'separado') problems.push(`pedido ${id} cancelado: reservation still separado`);
      if (nota !== undefined) problems.push(`pedido ${id} cancelado: has nota fiscal ${nota.numero}`);
    }
    if (p.status === 'pendente' && pagamento?.status === 'aprovado' && reserva !== undefined)
      problems.push(`pedido ${id} pendente: already reserved`);
  }
  for (const n of notas)
    if (ids.has(num(n.pedido_id)) && (enviosPorNota.get(num(n.id)) ?? 0) > 1)
      problems.push(`nota fiscal ${n.numero}: more than one dispatch`);

  // Stock conservation: what is on the shelf plus what orders still hold is what there was.
  const stock = await rows<{ produto_id: number; quantidade: number }>(
    dbs.estoque,
    sql`SELECT produto_id, quantidade FROM estoque`,
  );
  const heldPorProduto = new Map<number, number>();
  for (const h of held)
    if (ids.has(num(h.pedido_id)))
      heldPorProduto.set(
        num(h.produto_id),
        (heldPorProduto.get(num(h.produto_id)) ?? 0) + num(h.reservado) - num(h.liberado),
      );
  for (const s of stock) {
    const produto = num(s.produto_id);
    if (num(s.quantidade) < 0) problems.push(`product ${produto}: negative stock ${s.quantidade}`);
    const initial = initialStock.get(produto);
    if (initial === undefined) continue;
    const stillHeld = heldPorProduto.get(produto) ?? 0;
    if (num(s.quantidade) + stillHeld !== initial)
      problems.push(
        `product ${produto}: ${s.quantidade} on the shelf + ${stillHeld} held ≠ ${initial} at the start`,
      );
  }
  return problems;
}

/** The five databases with an outbox in the asynchronous checkout. */
const OUTBOX_SERVICES = ['pedidos', 'estoque', 'pagamentos', 'fiscal', 'logistica'] as const;

/** Outbox rows not yet published, per database (the relays leave 0 once everything went out). */
export async function outboxCounts(
  dbs: CheckoutDatabases,
): Promise<Record<(typeof OUTBOX_SERVICES)[number], number>> {
  const counts = {} as Record<(typeof OUTBOX_SERVICES)[number], number>;
  for (const service of OUTBOX_SERVICES) {
    const [row] = await rows<{ n: number | string }>(dbs[service], sql`SELECT COUNT(*) AS n FROM outbox`);
    counts[service] = num(row?.n ?? 0);
  }
  return counts;
}

/** How many rows of `table` each order has (orders with none are absent). */
async function perOrder(db: Kysely<unknown>, table: string): Promise<Map<number, number>> {
  const counted = await rows<{ pedido_id: number; n: number | string }>(
    db,
    sql`SELECT pedido_id, COUNT(*) AS n FROM ${sql.table(table)} GROUP BY pedido_id`,
  );
  return new Map(counted.map((r) => [num(r.pedido_id), num(r.n)]));
}

/**
 * The asynchronous checkout's promises once the saga has run to the end, on top of
 * findCheckoutViolations (stock conservation, each step's record matching the order's):
 *
 * - every order placed through the checkout is terminal: enviado or cancelado;
 * - one payment row per order at most, and a payment approved and not refunded ⇔ the order is
 *   enviado (a cancelled order's approved payment was refunded, a shipped one was never refunded);
 * - refunded (estornado) payments only for cancelled orders;
 * - exactly one invoice and one dispatch per enviado order, none for a cancelled one;
 * - every outbox empty (no event lost between commit and publish, none stuck).
 */
export async function findAsyncCheckoutViolations(
  dbs: CheckoutDatabases,
  initialStock: ReadonlyMap<number, number>,
): Promise<string[]> {
  const problems = await findCheckoutViolations(dbs, initialStock);
  const pedidos = await rows<{ id: number; status: string }>(
    dbs.pedidos,
    sql`SELECT id, status FROM pedidos WHERE origem = 'checkout'`,
  );
  const pagamentos = await rows<{ pedido_id: number; status: string }>(
    dbs.pagamentos,
    sql`SELECT pedido_id, status FROM pagamentos`,
  );
  const pagamentosPorPedido = new Map<number, string[]>();
  for (const p of pagamentos) {
    const list = pagamentosPorPedido.get(num(p.pedido_id)) ?? [];
    list.push(p.status);
    pagamentosPorPedido.set(num(p.pedido_id), list);
  }
  const notas = await perOrder(dbs.fiscal, 'notas_fiscais');
  const envios = await perOrder(dbs.logistica, 'envios');
  for (const p of pedidos) {
    const id = num(p.id);
    if (p.status !== 'enviado' && p.status !== 'cancelado')
      problems.push(`pedido ${id}: not terminal (${p.status})`);
    const payments = pagamentosPorPedido.get(id) ?? [];
    if (payments.length > 1) problems.push(`pedido ${id}: ${payments.length} payments`);
    const kept = payments.includes('aprovado');
    if (kept !== (p.status === 'enviado'))
      problems.push(`pedido ${id} ${p.status}: payment ${payments.join(',') || 'missing'}`);
    if (payments.includes('estornado') && p.status !== 'cancelado')
      problems.push(`pedido ${id} ${p.status}: payment refunded`);
    const wanted = p.status === 'enviado' ? 1 : 0;
    if ((notas.get(id) ?? 0) !== wanted)
      problems.push(`pedido ${id} ${p.status}: ${notas.get(id) ?? 0} invoice(s), expected ${wanted}`);
    if ((envios.get(id) ?? 0) !== wanted)
      problems.push(`pedido ${id} ${p.status}: ${envios.get(id) ?? 0} dispatch(es), expected ${wanted}`);
  }
  for (const [service, count] of Object.entries(await outboxCounts(dbs)))
    if (count > 0) problems.push(`outbox of ${service}: ${count} message(s) not published`);
  return problems;
}
