import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createNamespace,
  spawnWorker,
  startApi,
  type Namespace,
  type RunningApi,
} from '@dslab/checkout-async/testing';
import { startCheckout, type RunningCheckout } from '@dslab/checkout-e2e/harness.js';
import type { ServiceProcess } from '@dslab/testing';
import { sql, type Kysely } from 'kysely';
import { auditCheckout, type AuditNamespace } from '../src/auditor.js';
import {
  createOrderDriver,
  orderMix,
  type OrderDriver,
  type OrderMix,
  type OrderRequest,
} from '../src/drivers.js';
import type { OperationResult } from '../src/models.js';
import type { AuditFindings } from '../src/results.js';

const ORDERS = 8;

/** Every 4th order asks for `scarce` (no stock: cancelled); the rest come from the order mix. */
function mixWithScarce(dataset: Parameters<typeof orderMix>[0], scarce: number, seed: number): OrderMix {
  const base = orderMix({ ...dataset, produtos: dataset.produtos.filter((p) => p.id !== scarce) }, seed, 4);
  return (i) =>
    i % 4 === 3
      ? { cliente_id: base(i).cliente_id, itens: [{ produto_id: scarce, quantidade: 1 }] }
      : base(i);
}

async function place(driver: OrderDriver, indexes: readonly number[]): Promise<OperationResult[]> {
  const signal = new AbortController().signal;
  const results: OperationResult[] = [];
  for (const i of indexes) results.push(await driver.operation(i, signal));
  return results;
}

async function readStock(db: Kysely<unknown>): Promise<Map<number, number>> {
  const { rows } = await sql<{
    produto_id: number | string;
    quantidade: number | string;
  }>`SELECT produto_id, quantidade FROM estoque`.execute(db);
  return new Map(rows.map((r) => [Number(r.produto_id), Number(r.quantidade)]));
}

/** What the stock figures must be once `orders` ran, `shipped` of them shipped. */
function expectedStock(
  initial: ReadonlyMap<number, number>,
  orders: readonly OrderRequest[],
  shipped: readonly boolean[],
): AuditFindings['stock'] {
  const produtos = new Set(orders.flatMap((o) => o.itens.map((l) => l.produto_id)));
  const total = [...produtos].reduce((sum, p) => sum + (initial.get(p) ?? 0), 0);
  const sold = orders
    .filter((_, k) => shipped[k] === true)
    .flatMap((o) => o.itens)
    .reduce((sum, l) => sum + l.quantidade, 0);
  return { initial: total, available: total - sold, reserved: 0, sold };
}

async function idOfShipped(db: Kysely<unknown>): Promise<number> {
  const { rows } = await sql<{
    id: number | string;
  }>`SELECT id FROM pedidos WHERE origem = 'checkout' AND status = 'enviado' ORDER BY id LIMIT 1`.execute(db);
  const id = rows[0]?.id;
  if (id === undefined) throw new Error('no shipped order');
  return Number(id);
}

/** Every violation line names `what` (the auditor flags the planted fault and nothing else). */
function onlyAbout(findings: AuditFindings, what: RegExp, expected: RegExp): void {
  assert.ok(
    findings.violations.some((v) => expected.test(v)),
    `expected ${String(expected)} in ${JSON.stringify(findings.violations)}`,
  );
  for (const violation of findings.violations) assert.match(violation, what);
}

describe('the auditor over the synchronous checkout (REST, PostgreSQL)', { timeout: 600_000 }, () => {
  let checkout: RunningCheckout;
  let driver: OrderDriver;
  let ns: AuditNamespace;
  let mix: OrderMix;

  const audit = (settleTimeoutMs = 30_000) =>
    auditCheckout({ ns, transport: 'rest', settleTimeoutMs, pollMs: 100 });

  before(
    async () => {
      checkout = await startCheckout({ engine: 'postgres', transport: 'rest' });
      const scarce = checkout.dataset.produtos[0]?.id ?? 1;
      await sql`UPDATE estoque SET quantidade = 100`.execute(checkout.dbs.estoque);
      await sql`UPDATE estoque SET quantidade = 0 WHERE produto_id = ${scarce}`.execute(checkout.dbs.estoque);
      ns = { dbs: checkout.dbs, initialStock: await readStock(checkout.dbs.estoque) };
      mix = mixWithScarce(checkout.dataset, scarce, 3);
      driver = await createOrderDriver({
        transport: 'rest',
        pedidos: checkout.urls.pedidos,
        ns: checkout,
        mix,
        customers: 4,
        timeoutMs: 10_000,
      });
    },
    { timeout: 300_000 },
  );
  after(async () => {
    await driver.close();
    await checkout.close();
  });

  test('when the orders ran cleanly, then the audit finds nothing and counts them', async () => {
    const results = await place(
      driver,
      Array.from({ length: ORDERS }, (_, i) => i),
    );
    const shipped = results.map((r) => r.outcome.kind === 'shipped');
    assert.equal(shipped.filter(Boolean).length, 6, JSON.stringify(results));
    const findings = await audit();
    assert.deepEqual(findings.violations, []);
    assert.deepEqual(findings.orders, { enviado: 6, cancelado: 2 });
    // Short stock is found after the charge: the two cancelled orders were refunded.
    assert.deepEqual(findings.payments, { aprovado: 6, estornado: 2 });
    assert.deepEqual(
      findings.stock,
      expectedStock(
        ns.initialStock,
        Array.from({ length: ORDERS }, (_, i) => mix(i)),
        shipped,
      ),
    );
    assert.equal(findings.unsettled, 0);
  });

  test('when stock appears from nowhere, then conservation is broken, per product and in total', async () => {
    const produto = mix(0).itens[0]?.produto_id ?? 0;
    await sql`UPDATE estoque SET quantidade = quantidade + 5 WHERE produto_id = ${produto}`.execute(
      checkout.dbs.estoque,
    );
    try {
      const findings = await audit();
      onlyAbout(findings, new RegExp(`^(product ${produto}:|stock:)`), /^stock: \d+ units at the start ≠/);
      assert.ok(findings.violations.some((v) => v.startsWith(`product ${produto}:`)));
    } finally {
      await sql`UPDATE estoque SET quantidade = quantidade - 5 WHERE produto_id = ${produto}`.execute(
        checkout.dbs.estoque,
      );
    }
    assert.deepEqual((await audit()).violations, []);
  });

  test('when an order is charged twice, then the audit says so', async () => {
    const id = await idOfShipped(checkout.dbs.pedidos);
    const db = checkout.dbs.pagamentos;
    // The database forbids it (one payment per order): the constraint goes first, in this test's schema.
    const { rows: constraints } = await sql<{
      conname: string;
    }>`SELECT conname FROM pg_constraint WHERE conrelid = 'pagamentos'::regclass AND contype = 'u' AND conname LIKE '%pedido_id%'`.execute(
      db,
    );
    assert.equal(constraints.length, 1);
    const constraint = sql.id(constraints[0]?.conname ?? '');
    await sql`ALTER TABLE pagamentos DROP CONSTRAINT ${constraint}`.execute(db);
    try {
      await sql`INSERT INTO pagamentos (pedido_id, data_processamento, status, metodo, valor_centavos, mensagem, pronto_em)
         SELECT pedido_id, data_processamento, status, metodo, valor_centavos, mensagem, pronto_em FROM pagamentos WHERE pedido_id = ${id}`.execute(
        db,
      );
      const findings = await audit();
      onlyAbout(findings, new RegExp(`^pedido ${id}:`), new RegExp(`^pedido ${id}: charged 2 times`));
    } finally {
      await sql`DELETE FROM pagamentos WHERE pedido_id = ${id} AND id > (SELECT MIN(id) FROM pagamentos WHERE pedido_id = ${id})`.execute(
        db,
      );
      // pagamentos relies on it (ON CONFLICT (pedido_id)): later orders need it back.
      await sql`ALTER TABLE pagamentos ADD CONSTRAINT ${constraint} UNIQUE (pedido_id)`.execute(db);
    }
    assert.deepEqual((await audit()).violations, []);
  });

  test('when a shipped order has no dispatch, then the audit says so', async () => {
    const id = await idOfShipped(checkout.dbs.pedidos);
    const db = checkout.dbs.logistica;
    const { rows } = await sql<
      Record<string, unknown>
    >`DELETE FROM envios WHERE pedido_id = ${id} RETURNING *`.execute(db);
    const envio = rows[0];
    assert.ok(envio !== undefined);
    try {
      const findings = await audit();
      onlyAbout(findings, new RegExp(`^pedido ${id} `), new RegExp(`^pedido ${id} enviado: no dispatch`));
    } finally {
      const columns = Object.keys(envio);
      await sql`INSERT INTO envios (${sql.join(columns.map((c) => sql.ref(c)))}) VALUES (${sql.join(columns.map((c) => envio[c]))})`.execute(
        db,
      );
    }
    assert.deepEqual((await audit()).violations, []);
  });

  test('when an order is dispatched without an approved payment, then the audit says so', async () => {
    const id = await idOfShipped(checkout.dbs.pedidos);
    const db = checkout.dbs.pagamentos;
    await sql`UPDATE pagamentos SET status = 'rejeitado' WHERE pedido_id = ${id}`.execute(db);
    try {
      const findings = await audit();
      onlyAbout(
        findings,
        new RegExp(`^pedido ${id}[ :]`),
        new RegExp(`^pedido ${id}: dispatched without an approved payment \\(payment rejeitado\\)`),
      );
      assert.equal(findings.payments.rejeitado, 1);
    } finally {
      await sql`UPDATE pagamentos SET status = 'aprovado' WHERE pedido_id = ${id}`.execute(db);
    }
    assert.deepEqual((await audit()).violations, []);
  });

  test('when an order is left mid-chain, then the audit waits for it, then reports it not cleanly failed', async () => {
    await checkout.stop('logistica');
    let result: OperationResult;
    try {
      [result] = (await place(driver, [ORDERS])) as [OperationResult];
    } finally {
      await checkout.start('logistica');
    }
    assert.deepEqual(result.outcome, { kind: 'error', error: 'incomplete-nf_emitida' });
    // The harness runs no recovery loop: the order stays nf_emitida for as long as the audit waits.
    const findings = await audit(1500);
    assert.ok(findings.settledAfterSeconds >= 1.5, `waited ${findings.settledAfterSeconds} s`);
    assert.equal(findings.unsettled, 1);
    onlyAbout(
      findings,
      /^pedido \d+: not cleanly failed/,
      /^pedido \d+: not cleanly failed \(still nf_emitida: envio pendente/,
    );
    assert.equal(findings.orders.nf_emitida, 1);
    // Its stock is held, not sold: the identity still holds.
    assert.ok(findings.stock.reserved > 0);

    // Once dispatched (the harness restarted logistica with its seed: a few retries), all is well.
    for (let round = 0; round < 50 && (await audit(0)).unsettled > 0; round++)
      await checkout.pedidosApp.service.recoverOnce();
    const settled = await audit();
    assert.deepEqual(settled.violations, []);
    assert.equal(settled.unsettled, 0);
  });
});

describe('the auditor over the asynchronous checkout (RabbitMQ, PostgreSQL)', { timeout: 600_000 }, () => {
  const SCARCE = 1;
  let ns: Namespace;
  let api: RunningApi | undefined;
  let worker: ServiceProcess | undefined;
  let driver: OrderDriver | undefined;
  let mix: OrderMix;

  const audit = (settleTimeoutMs = 60_000) =>
    auditCheckout({ ns, transport: 'async', settleTimeoutMs, pollMs: 100 });

  before(
    async () => {
      ns = await createNamespace({ stockOf: (id) => (id === SCARCE ? 0 : 1000) });
      worker = await spawnWorker(ns, { PAGAMENTO_TAXA_REJEICAO: '0' });
      api = await startApi(ns);
      mix = mixWithScarce(ns.dataset, SCARCE, 9);
      driver = await createOrderDriver({
        transport: 'async',
        pedidos: { http: api.url, grpc: 'unused:0' },
        ns,
        mix,
        customers: 4,
        timeoutMs: 60_000,
      });
    },
    { timeout: 300_000 },
  );
  after(async () => {
    await driver?.close();
    await worker?.stop();
    await api?.close();
    await ns.dispose();
  });

  test('when the sagas ran cleanly, then the audit finds nothing and counts them', async () => {
    if (driver === undefined) throw new Error('no driver');
    const results = await place(
      driver,
      Array.from({ length: ORDERS }, (_, i) => i),
    );
    const shipped = results.map((r) => r.outcome.kind === 'shipped');
    assert.equal(shipped.filter(Boolean).length, 6, JSON.stringify(results));
    const findings = await audit();
    assert.deepEqual(findings.violations, []);
    assert.deepEqual(findings.orders, { enviado: 6, cancelado: 2 });
    assert.equal(findings.payments.aprovado, 6);
    assert.deepEqual(
      findings.stock,
      expectedStock(
        ns.initialStock,
        Array.from({ length: ORDERS }, (_, i) => mix(i)),
        shipped,
      ),
    );
    assert.equal(findings.unsettled, 0);
  });

  test('when an order is not terminal after settling, then the audit reports it', async () => {
    const id = await idOfShipped(ns.dbs.pedidos);
    await sql`UPDATE pedidos SET status = 'nf_emitida' WHERE id = ${id}`.execute(ns.dbs.pedidos);
    try {
      const findings = await audit(1000);
      assert.equal(findings.unsettled, 1);
      assert.ok(findings.settledAfterSeconds >= 1);
      onlyAbout(
        findings,
        new RegExp(`^pedido ${id}[ :]`),
        new RegExp(`^pedido ${id}: not terminal \\(nf_emitida\\)`),
      );
    } finally {
      await sql`UPDATE pedidos SET status = 'enviado' WHERE id = ${id}`.execute(ns.dbs.pedidos);
    }
    assert.deepEqual((await audit()).violations, []);
  });

  test('when a message ends in a dead-letter queue, then the audit reports it', async () => {
    const queue = `${ns.prefix}.pedidos.eventos`;
    await ns.bus.publish(queue, { messageId: 'lg-poison-1', body: { not: 'a checkout event' } });
    // The orchestrator dead-letters it at once; the audit settles on the queue, then sees the letter.
    let findings = await audit();
    for (let round = 0; round < 100 && findings.violations.length === 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      findings = await audit();
    }
    onlyAbout(
      findings,
      /dead letter/,
      new RegExp(`^queue ${queue.replace(/\./g, '\\.')}: 1 dead letter\\(s\\)`),
    );
  });
});
