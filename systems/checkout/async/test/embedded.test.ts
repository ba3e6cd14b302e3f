// The embedded mode (what `npm run checkout -- --transport async` runs without AMQP_URL): one
// process, the in-process bus, SQLite files in a temp dir, catalogo and the pedidos async API on
// free ports. One order goes end to end, and a second one for a product that is out of stock is
// cancelled with nothing held.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEmbedded, type EmbeddedCheckout } from '@dslab/checkout-async';
import { createFaker, generateDataset, writeDatabase, type Dataset } from '@dslab/checkout-datagen';
import { readSeedData } from '@dslab/checkout-kit';
import { sql } from '@dslab/db';
import { call } from '@dslab/testing';
import { findAsyncCheckoutViolations, type CheckoutDatabases } from '../../e2e/invariants.js';
import { JWT_SECRET, SENHA, testLogger } from './harness.js';

interface PedidoBody {
  id: number;
  status: string;
  motivo?: string | null;
  historico: { etapa: string }[];
}

describe('the embedded async checkout: one process, in-process bus, SQLite', () => {
  let dir: string;
  let dataset: Dataset;
  let checkout: EmbeddedCheckout;
  let token: string;
  let initialStock: Map<number, number>;
  let dbs: CheckoutDatabases;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'checkout-embedded-'));
    const seedFile = join(dir, 'ecommerce.db');
    writeDatabase(
      seedFile,
      generateDataset(
        createFaker(11),
        { clientes: 5, produtos: 6, pedidos: 5 },
        Date.parse('2025-10-26T18:00:00.000Z'),
      ),
    );
    dataset = readSeedData(seedFile);
    checkout = await startEmbedded({
      dataDir: dir,
      seed: { file: seedFile, fiscalSerie: 1, random: Math.random },
      loggerOf: testLogger,
      steps: { simulator: { minMs: 1, maxMs: 3, rejectionProbability: 0 } },
      auth: { jwtSecret: JWT_SECRET, tokenTtlSeconds: 600, senhaPadrao: SENHA },
    });
    dbs = Object.fromEntries(
      Object.entries(checkout.databases).map(([service, database]) => [service, database.db]),
    ) as unknown as CheckoutDatabases;
    await sql`UPDATE estoque SET quantidade = 0 WHERE produto_id = 2`.execute(dbs.estoque);
    await sql`UPDATE estoque SET quantidade = 10 WHERE produto_id = 1`.execute(dbs.estoque);
    const { rows } = await sql<{
      produto_id: number;
      quantidade: number;
    }>`SELECT produto_id, quantidade FROM estoque`.execute(dbs.estoque);
    initialStock = new Map(rows.map((r) => [r.produto_id, r.quantidade]));
    const login = await call<{ access_token: string }>(checkout.pedidos.httpUrl, 'POST', '/auth/login', {
      body: { email: dataset.clientes[0]?.email, senha: SENHA },
    });
    assert.equal(login.status, 200, login.text);
    token = login.body.access_token;
  });
  after(async () => {
    await checkout.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function order(itens: { produto_id: number; quantidade: number }[]): Promise<PedidoBody> {
    const created = await call<PedidoBody>(checkout.pedidos.httpUrl, 'POST', '/pedidos', {
      token,
      body: { itens },
    });
    assert.equal(created.status, 202, created.text);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const read = await call<PedidoBody>(checkout.pedidos.httpUrl, 'GET', `/pedidos/${created.body.id}`, {
        token,
      });
      if (read.body.status === 'enviado' || read.body.status === 'cancelado') return read.body;
      if (Date.now() > deadline) throw new Error(`still ${read.body.status}: ${read.text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  test('when a customer orders what is in stock, then the in-process workers ship it', async () => {
    const pedido = await order([{ produto_id: 1, quantidade: 2 }]);
    assert.equal(pedido.status, 'enviado', JSON.stringify(pedido));
    assert.equal(pedido.historico[0]?.etapa, 'pedido_criado');
  });

  test('when the stock is not there, then the order is cancelled and nothing is held or charged', async () => {
    const pedido = await order([{ produto_id: 2, quantidade: 1 }]);
    assert.equal(pedido.status, 'cancelado', JSON.stringify(pedido));
    // A relay deletes a row just after the bus took it: give the last deletes a moment.
    let problems: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      problems = await findAsyncCheckoutViolations(dbs, initialStock);
      if (problems.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(await checkout.runtime.pending(), {
      pedidos: 0,
      estoque: 0,
      pagamentos: 0,
      fiscal: 0,
      logistica: 0,
    });
  });

  test('the catalogo of the embedded process answers with live stock from estoque', async () => {
    const listed = await call<{ id: number; estoque: number }[]>(
      checkout.catalogo.httpUrl,
      'GET',
      '/produtos',
    );
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.body.find((p) => p.id === 1)?.estoque, 8);
  });
});
