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

async function rows<T>(db: Kysely<unknown>, query: ReturnType<typeof sql<T>>): Promise<T[]> {
  const result = await query.execute(db);
  return result.rows;
}

const num = (value: unknown) => Number(value);

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

  for (const p of pedidos) {
    const id = num(p.id);
    const pagamento = pagamentos.get(id);
    const reserva = reservas.get(id);
    const nota = notasPorPedido.get(id);
    const envio = enviosPorPedido.get(id);
    const linhas = held.filter((h) => num(h.pedido_id) === id);
    const pedidoItens = itens.filter((i) => num(i.pedido_id) === id);
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
    if (ids.has(num(n.pedido_id)) && envios.filter((e) => num(e.nota_fiscal_id) === num(n.id)).length > 1)
      problems.push(`nota fiscal ${n.numero}: more than one dispatch`);

  // Stock conservation: what is on the shelf plus what orders still hold is what there was.
  const stock = await rows<{ produto_id: number; quantidade: number }>(
    dbs.estoque,
    sql`SELECT produto_id, quantidade FROM estoque`,
  );
  for (const s of stock) {
    const produto = num(s.produto_id);
    if (num(s.quantidade) < 0) problems.push(`product ${produto}: negative stock ${s.quantidade}`);
    const initial = initialStock.get(produto);
    if (initial === undefined) continue;
    const stillHeld = held
      .filter((h) => num(h.produto_id) === produto && ids.has(num(h.pedido_id)))
      .reduce((sum, h) => sum + num(h.reservado) - num(h.liberado), 0);
    if (num(s.quantidade) + stillHeld !== initial)
      problems.push(
        `product ${produto}: ${s.quantidade} on the shelf + ${stillHeld} held ≠ ${initial} at the start`,
      );
  }
  return problems;
}
