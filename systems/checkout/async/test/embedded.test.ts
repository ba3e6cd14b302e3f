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
import { sql } from '@dslab/db';
import { call } from '@dslab/testing';
import {
  expectNoViolations,
  JWT_SECRET,
  kyselyOf,
  loginCustomers,
  SENHA,
  stockOf,
  testLogger,
  untilTerminal,
  writeTestSeed,
  type NamespaceDatabases,
  type PedidoBody,
} from './harness.js';

describe('the embedded async checkout: one process, in-process bus, SQLite', () => {
  let dir: string;
  let checkout: EmbeddedCheckout;
  let token: string;
  let initialStock: Map<number, number>;
  let dbs: NamespaceDatabases;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'checkout-embedded-'));
    const { seedFile, dataset } = writeTestSeed(dir, {
      faker: 11,
      sizes: { clientes: 5, produtos: 6, pedidos: 5 },
    });
    checkout = await startEmbedded({
      dataDir: dir,
      seed: { file: seedFile, fiscalSerie: 1, random: Math.random },
      loggerOf: testLogger,
      steps: { simulator: { minMs: 1, maxMs: 3, rejectionProbability: 0 } },
      auth: { jwtSecret: JWT_SECRET, tokenTtlSeconds: 600, senhaPadrao: SENHA },
    });
    dbs = kyselyOf(checkout.databases);
    await sql`UPDATE estoque SET quantidade = 0 WHERE produto_id = 2`.execute(dbs.estoque);
    await sql`UPDATE estoque SET quantidade = 10 WHERE produto_id = 1`.execute(dbs.estoque);
    initialStock = await stockOf(dbs);
    [token = ''] = await loginCustomers({ url: checkout.pedidos.httpUrl }, dataset, 1);
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
    return untilTerminal(checkout.pedidos.httpUrl, token, created.body.id, 20_000);
  }

  test('when a customer orders what is in stock, then the in-process workers ship it', async () => {
    const pedido = await order([{ produto_id: 1, quantidade: 2 }]);
    assert.equal(pedido.status, 'enviado', JSON.stringify(pedido));
    assert.equal(pedido.historico[0]?.etapa, 'pedido_criado');
  });

  test('when the stock is not there, then the order is cancelled and nothing is held or charged', async () => {
    const pedido = await order([{ produto_id: 2, quantidade: 1 }]);
    assert.equal(pedido.status, 'cancelado', JSON.stringify(pedido));
    await expectNoViolations(dbs, initialStock);
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
