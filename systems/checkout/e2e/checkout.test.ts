import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PedidoValue } from '@dslab/checkout-contracts';
import { TRANSPORTS } from '@dslab/checkout-kit';
import { AppError } from '@dslab/errors';
import { sql, type Kysely } from 'kysely';
import { startCheckout, type RunningCheckout } from './harness.js';
import { findCheckoutViolations } from './invariants.js';

const ctx = (budgetMs = 10_000) => ({ deadline: Date.now() + budgetMs, traceId: 'a'.repeat(32) });

async function count(
  db: Kysely<unknown>,
  query: ReturnType<typeof sql<{ n: number | string }>>,
): Promise<number> {
  const { rows } = await query.execute(db);
  return Number(rows[0]?.n ?? 0);
}

async function stockOf(checkout: RunningCheckout): Promise<Map<number, number>> {
  // Engines differ in how they type integers in raw queries (bigint as text on some): Number() them.
  const { rows } = await sql<{
    produto_id: number | string;
    quantidade: number | string;
  }>`SELECT produto_id, quantidade FROM estoque`.execute(checkout.dbs.estoque);
  return new Map(rows.map((r) => [Number(r.produto_id), Number(r.quantidade)]));
}

/** A product with at least `units` in stock, and its price. */
function productWith(checkout: RunningCheckout, stock: Map<number, number>, units: number): number {
  const produto = checkout.dataset.produtos.find((p) => (stock.get(p.id) ?? 0) >= units);
  if (produto === undefined) throw new Error(`no product with ${units} units in the data set`);
  return produto.id;
}

async function operacoes(db: Kysely<unknown>, pedidoId: number): Promise<string[]> {
  const { rows } = await sql<{
    operacao: string;
  }>`SELECT operacao FROM operacoes WHERE pedido_id = ${pedidoId} ORDER BY id`.execute(db);
  return rows.map((r) => r.operacao);
}

/** Both transports on the embedded default, and the six services on PostgreSQL schemas once. */
const SETUPS = [
  ...TRANSPORTS.map((transport) => ({ engine: 'sqlite' as const, transport })),
  { engine: 'postgres' as const, transport: 'grpc' as const },
];

for (const { engine, transport } of SETUPS) {
  describe(`checkout end to end over ${transport} on ${engine}`, () => {
    let checkout: RunningCheckout;
    let initial: Map<number, number>;
    before(async () => {
      checkout = await startCheckout({ engine, transport });
      initial = await stockOf(checkout);
    });
    after(async () => {
      await checkout.close();
    });

    test('when a customer checks out, then the order is enviado and every service recorded its step', async () => {
      const produto = productWith(checkout, await stockOf(checkout), 2);
      const before = (await stockOf(checkout)).get(produto) ?? 0;
      const pedido = await checkout.pedidos.criarPedido(
        { cliente_id: 1, itens: [{ produto_id: produto, quantidade: 2 }], metodo_pagamento: 'pix' },
        ctx(),
      );
      assert.equal(pedido.status, 'enviado');
      assert.equal(pedido.metodo_pagamento, 'pix');
      assert.match(pedido.numero_nota_fiscal ?? '', new RegExp(`^NF\\d+-${pedido.id}$`));
      assert.match(pedido.codigo_rastreamento ?? '', /^BR\d{9}PY$/);
      assert.equal((await stockOf(checkout)).get(produto), before - 2);
      assert.deepEqual(await checkout.pedidos.obterPedido(pedido.id, ctx()), pedido);

      const { dbs } = checkout;
      assert.deepEqual(await operacoes(dbs.pedidos, pedido.id), [
        'pedido_criado',
        'pagamento_aprovado',
        'estoque_separado',
        'nota_fiscal_emitida',
        'pedido_enviado',
      ]);
      assert.deepEqual(await operacoes(dbs.pagamentos, pedido.id), ['pagamento_aprovado']);
      assert.deepEqual(await operacoes(dbs.estoque, pedido.id), ['estoque_separado']);
      assert.deepEqual(await operacoes(dbs.fiscal, pedido.id), ['nota_fiscal_emitida']);
      assert.deepEqual(await operacoes(dbs.logistica, pedido.id), ['envio_agendado']);
      assert.deepEqual(await findCheckoutViolations(dbs, initial), []);
    });

    test('when the stock is short, then the payment is refunded, the order cancelled and nothing is held', async () => {
      const stock = await stockOf(checkout);
      const produto = productWith(checkout, stock, 1);
      const pedido = await checkout.pedidos.criarPedido(
        { cliente_id: 2, itens: [{ produto_id: produto, quantidade: (stock.get(produto) ?? 0) + 1 }] },
        ctx(),
      );
      assert.equal(pedido.status, 'cancelado');
      assert.match(pedido.motivo ?? '', /estoque insuficiente/);
      assert.deepEqual((await stockOf(checkout)).get(produto), stock.get(produto));
      const { dbs } = checkout;
      assert.deepEqual(await operacoes(dbs.pagamentos, pedido.id), [
        'pagamento_aprovado',
        'pagamento_estornado',
      ]);
      assert.equal(
        await count(dbs.fiscal, sql`SELECT COUNT(*) AS n FROM notas_fiscais WHERE pedido_id = ${pedido.id}`),
        0,
      );
      assert.deepEqual(await findCheckoutViolations(dbs, initial), []);
    });

    test('when fiscal is down, then stock is released, the payment refunded and the order cancelled', async () => {
      const produto = productWith(checkout, await stockOf(checkout), 1);
      await checkout.stop('fiscal');
      let pedido: PedidoValue;
      try {
        pedido = await checkout.pedidos.criarPedido(
          { cliente_id: 3, itens: [{ produto_id: produto, quantidade: 1 }] },
          ctx(),
        );
      } finally {
        await checkout.start('fiscal');
      }
      assert.equal(pedido.status, 'cancelado');
      assert.match(pedido.motivo ?? '', /nota fiscal não emitida/);
      const { dbs } = checkout;
      assert.deepEqual(await operacoes(dbs.estoque, pedido.id), ['estoque_separado', 'estoque_liberado']);
      assert.deepEqual(await operacoes(dbs.pagamentos, pedido.id), [
        'pagamento_aprovado',
        'pagamento_estornado',
      ]);
      assert.deepEqual(await findCheckoutViolations(dbs, initial), []);
    });

    test('when logistica is down, then the order stays nf_emitida and is dispatched by the recovery loop once it is back', async () => {
      const produto = productWith(checkout, await stockOf(checkout), 1);
      await checkout.stop('logistica');
      let pedido: PedidoValue;
      try {
        pedido = await checkout.pedidos.criarPedido(
          { cliente_id: 4, itens: [{ produto_id: produto, quantidade: 1 }] },
          ctx(),
        );
      } finally {
        await checkout.start('logistica');
      }
      assert.equal(pedido.status, 'nf_emitida');
      assert.match(pedido.motivo ?? '', /envio pendente/);
      await checkout.pedidosApp.service.recoverOnce();
      const final = await checkout.pedidos.obterPedido(pedido.id, ctx());
      assert.equal(final.status, 'enviado');
      assert.deepEqual(await findCheckoutViolations(checkout.dbs, initial), []);
    });

    test('when catalogo is down, then the checkout fails fast with 503 and writes nothing', async () => {
      const before = await count(checkout.dbs.pedidos, sql`SELECT COUNT(*) AS n FROM pedidos`);
      await checkout.stop('catalogo');
      try {
        await assert.rejects(
          checkout.pedidos.criarPedido({ cliente_id: 1, itens: [{ produto_id: 1, quantidade: 1 }] }, ctx()),
          (e: AppError) => e.code === 'unavailable' && /catalogo/.test(e.detail),
        );
      } finally {
        await checkout.start('catalogo');
      }
      assert.equal(await count(checkout.dbs.pedidos, sql`SELECT COUNT(*) AS n FROM pedidos`), before);
    });

    test('when the request is bad, then a clear error names the field and nothing is written', async () => {
      const before = await count(checkout.dbs.pedidos, sql`SELECT COUNT(*) AS n FROM pedidos`);
      await assert.rejects(
        checkout.pedidos.criarPedido({ cliente_id: 1, itens: [{ produto_id: 1, quantidade: 0 }] }, ctx()),
        (e: AppError) => e.code === 'validation-failed' && /quantidade/.test(e.detail),
      );
      await assert.rejects(
        checkout.pedidos.criarPedido(
          { cliente_id: 1, itens: [{ produto_id: 999_999, quantidade: 1 }] },
          ctx(),
        ),
        (e: AppError) => e.code === 'unknown-product',
      );
      await assert.rejects(
        checkout.pedidos.obterPedido(999_999, ctx()),
        (e: AppError) => e.code === 'not-found',
      );
      assert.equal(await count(checkout.dbs.pedidos, sql`SELECT COUNT(*) AS n FROM pedidos`), before);
    });
  });
}

for (const transport of TRANSPORTS) {
  describe(`checkout end to end over ${transport}, payments rejected`, () => {
    let checkout: RunningCheckout;
    before(async () => {
      checkout = await startCheckout({
        engine: 'sqlite',
        transport,
        simulator: { minMs: 0, maxMs: 0, rejectionProbability: 1 },
      });
    });
    after(async () => {
      await checkout.close();
    });

    test('when the payment is rejected, then the order is cancelado and no other service acted', async () => {
      const initial = new Map(checkout.dataset.produtos.map((p) => [p.id, p.quantidade_estoque]));
      const produto = checkout.dataset.produtos.find((p) => p.quantidade_estoque > 0)?.id ?? 1;
      const pedido = await checkout.pedidos.criarPedido(
        { cliente_id: 1, itens: [{ produto_id: produto, quantidade: 1 }] },
        ctx(),
      );
      assert.equal(pedido.status, 'cancelado');
      assert.match(pedido.motivo ?? '', /rejeitado/);
      const { dbs } = checkout;
      assert.deepEqual(await operacoes(dbs.pagamentos, pedido.id), ['pagamento_rejeitado']);
      assert.deepEqual(await operacoes(dbs.estoque, pedido.id), []);
      assert.deepEqual(await operacoes(dbs.fiscal, pedido.id), []);
      assert.deepEqual(await operacoes(dbs.logistica, pedido.id), []);
      assert.deepEqual(await findCheckoutViolations(dbs, initial), []);
    });
  });
}

for (const transport of TRANSPORTS) {
  describe(`checkout end to end over ${transport}, payments slower than the deadline`, () => {
    let checkout: RunningCheckout;
    before(async () => {
      checkout = await startCheckout({
        engine: 'sqlite',
        transport,
        simulator: { minMs: 3000, maxMs: 3000, rejectionProbability: 0 },
      });
    });
    after(async () => {
      await checkout.close();
    });

    test('when pagamentos is slower than the deadline, then the answer comes at the deadline and the charge is voided', async () => {
      const initial = new Map(checkout.dataset.produtos.map((p) => [p.id, p.quantidade_estoque]));
      const produto = checkout.dataset.produtos.find((p) => p.quantidade_estoque > 0)?.id ?? 1;
      const started = performance.now();
      const pedido = await checkout.pedidos.criarPedido(
        { cliente_id: 1, itens: [{ produto_id: produto, quantidade: 1 }] },
        ctx(1500),
      );
      const elapsed = performance.now() - started;
      assert.ok(
        elapsed < 2900,
        `answered after ${Math.round(elapsed)} ms, before the 3 s payment would have`,
      );
      assert.equal(pedido.status, 'cancelado');
      assert.match(pedido.motivo ?? '', /pagamento sem resposta/);
      const { rows } = await sql<{
        status: string;
      }>`SELECT status FROM pagamentos WHERE pedido_id = ${pedido.id}`.execute(checkout.dbs.pagamentos);
      assert.deepEqual(
        rows.map((r) => r.status),
        ['estornado'],
        'the charge that was decided is refunded',
      );
      assert.deepEqual(await findCheckoutViolations(checkout.dbs, initial), []);
    });
  });
}

describe('checkout end to end, 1,000 buyers racing for 10 units', () => {
  let checkout: RunningCheckout;
  before(async () => {
    checkout = await startCheckout({
      engine: 'sqlite',
      transport: 'rest',
      sizes: { clientes: 50, produtos: 3, pedidos: 5 },
    });
  });
  after(async () => {
    await checkout.close();
  });

  test('when 1,000 buyers race for the last 10 units, then exactly 10 orders ship and every other order is refunded and cancelled', async () => {
    const produto = checkout.dataset.produtos[0]?.id ?? 1;
    await sql`UPDATE estoque SET quantidade = 10 WHERE produto_id = ${produto}`.execute(checkout.dbs.estoque);
    const initial = await stockOf(checkout);
    const clientes = checkout.dataset.clientes.map((c) => c.id);
    const results = await Promise.allSettled(
      Array.from({ length: 1000 }, (_, i) =>
        checkout.pedidos.criarPedido(
          { cliente_id: clientes[i % clientes.length] ?? 1, itens: [{ produto_id: produto, quantidade: 1 }] },
          ctx(60_000),
        ),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    assert.deepEqual(failed, [], 'every buyer gets an answer');
    const pedidos = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const byStatus = new Map<string, number>();
    for (const p of pedidos) byStatus.set(p.status, (byStatus.get(p.status) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(byStatus), { enviado: 10, cancelado: 990 });
    assert.equal((await stockOf(checkout)).get(produto), 0);
    const { dbs } = checkout;
    assert.equal(
      await count(
        dbs.pagamentos,
        sql`SELECT COUNT(*) AS n FROM pagamentos WHERE status = 'aprovado' AND pedido_id > 5`,
      ),
      10,
    );
    assert.equal(
      await count(
        dbs.pagamentos,
        sql`SELECT COUNT(*) AS n FROM pagamentos WHERE status = 'estornado' AND pedido_id > 5`,
      ),
      990,
    );
    assert.equal(await count(dbs.logistica, sql`SELECT COUNT(*) AS n FROM envios WHERE pedido_id > 5`), 10);
    assert.deepEqual(await findCheckoutViolations(dbs, initial), []);
  });
});
