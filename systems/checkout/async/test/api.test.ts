// The asynchronous checkout's API against real RabbitMQ and PostgreSQL, with the workers and the
// orchestrator in the test process (createAsyncRuntime, as worker-main.ts runs them): one order
// end to end with its history, 20 racing POSTs with one Idempotency-Key making one order and one
// saga, and a poison message ending in the dead-letter queue where `npm run checkout -- dlq`
// shows it with its reason.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import type { AsyncRuntime } from '@dslab/checkout-async';
import { queueOf } from '@dslab/checkout-contracts/messages';
import { sql } from '@dslab/db';
import { call, countByStatus, race, TEST_AMQP_URL } from '@dslab/testing';
import {
  createNamespace,
  expectEverythingHolds,
  loginCustomers,
  REPOSITORY_ROOT,
  startApi,
  startRuntime,
  untilTerminal,
  waitUntilTerminal,
  type Namespace,
  type PedidoBody,
  type RunningApi,
} from './harness.js';

describe('async checkout API over RabbitMQ and PostgreSQL', () => {
  let ns: Namespace;
  let api: RunningApi;
  let runtime: AsyncRuntime;
  let tokens: string[];

  before(async () => {
    ns = await createNamespace({ stockOf: () => 1000 });
    runtime = await startRuntime(ns);
    api = await startApi(ns);
    tokens = await loginCustomers(api, ns.dataset, 2);
  });
  after(async () => {
    await api.close();
    await runtime.stop();
    await ns.dispose();
  });

  test('when a customer posts an order, then it is accepted at once (202 + Location) and the workers ship it', async () => {
    const [token = '', other = ''] = tokens;
    const response = await call<PedidoBody>(api.url, 'POST', '/pedidos', {
      token,
      body: { itens: [{ produto_id: 1, quantidade: 2 }], metodo_pagamento: 'pix' },
    });
    assert.equal(response.status, 202, response.text);
    assert.equal(response.body.status, 'pendente');
    assert.equal(response.headers.location, `/pedidos/${response.body.id}`);
    const done = await untilTerminal(api.url, token, response.body.id);
    assert.equal(done.status, 'enviado');
    assert.deepEqual(
      done.historico.map((h) => h.etapa).slice(0, 1),
      ['pedido_criado'],
      JSON.stringify(done.historico),
    );
    assert.ok(done.historico.length >= 5, JSON.stringify(done.historico));
    // Another customer does not see it.
    assert.equal((await call(api.url, 'GET', `/pedidos/${response.body.id}`, { token: other })).status, 404);
  });

  test('when 20 POSTs race with one Idempotency-Key, then there is one order and one saga', async () => {
    const [token = ''] = tokens;
    const key = `corrida-${Date.now()}`;
    const responses = await race<PedidoBody>(
      api.url,
      Array.from({ length: 20 }, () => ({
        method: 'POST' as const,
        path: '/pedidos',
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': key },
        body: { itens: [{ produto_id: 2, quantidade: 1 }] },
      })),
    );
    assert.deepEqual(countByStatus(responses), { 202: 20 });
    const ids = new Set(responses.map((r) => r.body.id));
    assert.equal(ids.size, 1, `ids: ${[...ids].join(', ')}`);
    const replayed = responses.filter((r) => r.headers['idempotent-replayed'] === 'true').length;
    assert.equal(replayed, 19);
    const [id = 0] = [...ids];
    assert.equal((await untilTerminal(api.url, token, id)).status, 'enviado');

    const count = async (db: keyof Namespace['dbs'], query: ReturnType<typeof sql<{ n: string | number }>>) =>
      Number((await query.execute(ns.dbs[db])).rows[0]?.n ?? 0);
    assert.equal(
      await count('pedidos', sql`SELECT COUNT(*) AS n FROM pedidos WHERE idempotency_key LIKE ${`%${key}`}`),
      1,
    );
    assert.equal(
      await count(
        'pedidos',
        sql`SELECT COUNT(*) AS n FROM operacoes WHERE pedido_id = ${id} AND operacao = 'pedido_criado'`,
      ),
      1,
    );
    assert.equal(
      await count('pagamentos', sql`SELECT COUNT(*) AS n FROM pagamentos WHERE pedido_id = ${id}`),
      1,
    );
    assert.equal(
      await count('fiscal', sql`SELECT COUNT(*) AS n FROM notas_fiscais WHERE pedido_id = ${id}`),
      1,
    );
    assert.equal(await count('logistica', sql`SELECT COUNT(*) AS n FROM envios WHERE pedido_id = ${id}`), 1);
    // The saga's first event was consumed once: one inbox row for PEDIDO_CRIADO.
    assert.equal(
      await count(
        'pedidos',
        sql`SELECT COUNT(*) AS n FROM mensagens_processadas WHERE mensagem_id = ${`pedidos:${id}:PEDIDO_CRIADO`}`,
      ),
      1,
    );
  });

  test('when the orders are done, then every invariant holds and every queue and outbox is empty', async () => {
    await waitUntilTerminal(ns.dbs, 2, 30_000);
    await expectEverythingHolds(ns);
  });
});

describe('poison messages end in the dead-letter queue, and the dlq command shows them', () => {
  let ns: Namespace;
  let runtime: AsyncRuntime;

  before(async () => {
    ns = await createNamespace();
    runtime = await startRuntime(ns, ['pagamentos']);
  });
  after(async () => {
    await runtime.stop();
    await ns.dispose();
  });

  /** `npm run checkout -- <args>` on the namespace's queues: its exit code and output. */
  function checkout(args: string[]): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'systems/checkout/start.ts', ...args], {
        cwd: REPOSITORY_ROOT,
        env: { ...process.env, AMQP_URL: TEST_AMQP_URL, QUEUE_PREFIX: ns.prefix },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, output }));
    });
  }

  async function deadLetters(queue: string, expected: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    while ((await ns.bus.depth(queue)).dead !== expected) {
      if (Date.now() > deadline) throw new Error(`${queue}: ${JSON.stringify(await ns.bus.depth(queue))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  test('when a malformed message reaches a command queue, then it is dead-lettered at once with its reason', async () => {
    const queue = queueOf('pagamentos', ns.prefix);
    await ns.bus.publish(queue, {
      messageId: 'veneno-1',
      body: { tipo: 'PROCESSAR_PAGAMENTO', pedido_id: 'x' },
    });
    await deadLetters(queue, 1);
    const [letter] = await ns.bus.peekDeadLetters(queue);
    assert.equal(letter?.messageId, 'veneno-1');
    assert.equal(letter.attempts, 1, 'poison is not retried');
    assert.match(letter.reason, /pedido_id must be a positive id/);

    const listed = await checkout(['dlq']);
    assert.equal(listed.code, 0, listed.output);
    assert.match(
      listed.output,
      new RegExp(
        `${queue}\\.dlq: 1\\n  veneno-1  \\S+  after 1 attempt\\(s\\): .*pedido_id must be a positive id`,
      ),
    );
    assert.match(listed.output, new RegExp(`${queueOf('pedidos', ns.prefix)}\\.dlq: empty`));

    const replayed = await checkout(['dlq', '--replay', '--limit', '10']);
    assert.equal(replayed.code, 0, replayed.output);
    assert.match(replayed.output, new RegExp(`replayed 1 to ${queue.replaceAll('.', '\\.')}`));
    // Still poison: consumed again and dead again, never applied.
    await deadLetters(queue, 1);
  });
});
