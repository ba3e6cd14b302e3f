import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { createFaker, MAX_SEED } from './faker.js';
import { DEFAULT_SIZES, generateDataset, summarize, type Sizes } from './generate.js';
import { findViolations } from './invariants.js';
import { DEFAULT_NOW } from './options.js';
import type { Dataset } from './schema.js';

const NOW = Date.parse(DEFAULT_NOW);
const hash = (dataset: Dataset) => createHash('sha256').update(JSON.stringify(dataset)).digest('hex');
const generate = (seed: number, sizes: Sizes = DEFAULT_SIZES, now = NOW) =>
  generateDataset(createFaker(seed), sizes, now);

test('when the seed and the reference time are the same, then every row is the same', () => {
  assert.equal(hash(generate(42)), hash(generate(42)));
  assert.deepEqual(generate(7), generate(7));
});

test('when the seed differs, then the data differs', () => {
  const hashes = new Set([0, 1, 42, 43, MAX_SEED].map((seed) => hash(generate(seed))));
  assert.equal(hashes.size, 5);
});

test('when only the reference time differs, then only the dates move', () => {
  const a = generate(42);
  const b = generate(42, DEFAULT_SIZES, NOW + 86_400_000);
  assert.deepEqual(
    b.pedidos.map((p) => p.status),
    a.pedidos.map((p) => p.status),
  );
  assert.deepEqual(b.clientes, a.clientes);
  assert.notEqual(b.pedidos[0]?.data_criacao, a.pedidos[0]?.data_criacao);
});

test('the default sizes are the seed\u2019s main() call (50 clientes, 30 produtos, 100 pedidos)', () => {
  const { counts } = summarize(generate(42));
  assert.equal(counts.clientes, 50);
  assert.equal(counts.produtos, 30);
  assert.equal(counts.pedidos, 100);
});

test('every invariant holds for several seeds and sizes (FKs, one payment per order, invoices only when approved, dispatch only with an invoice, totals, dates, EANs, statuses)', () => {
  const runs: [number, Sizes][] = [
    [42, DEFAULT_SIZES],
    [1, { clientes: 3, produtos: 1, pedidos: 500 }],
    [2, { clientes: 1000, produtos: 200, pedidos: 2000 }],
  ];
  for (const [seed, sizes] of runs) assert.deepEqual(findViolations(generate(seed, sizes), NOW), []);
});

test('when the seed\u2019s bugs are reintroduced, then the invariant checker reports them', () => {
  const dataset = generate(42, { clientes: 20, produtos: 10, pedidos: 300 });
  const rejected = dataset.pagamentos.find((p) => p.status === 'rejeitado');
  const nota = dataset.notas_fiscais[0];
  const envio = dataset.envios[1];
  assert.ok(rejected && nota && envio);
  const broken: Dataset = structuredClone(dataset);
  broken.notas_fiscais.push({ ...nota, id: broken.notas_fiscais.length + 1, pedido_id: rejected.pedido_id });
  const envioBroken = broken.envios[1];
  if (envioBroken) envioBroken.nota_fiscal_id = nota.id; // nf_id leaking from another order
  const pedido = broken.pedidos.find((p) => p.id === nota.pedido_id);
  if (pedido) pedido.data_criacao = '2025-10-31T23:59:59.999Z'; // now its payment precedes it
  const problems = findViolations(broken, NOW).join('\n');
  assert.match(problems, /not approved/);
  assert.match(problems, /nota_fiscal_id of another order/);
  assert.match(problems, /before the order/);
});

test('with 5,000 orders, the proportions are the seed\u2019s: 80 % paid, 50/50 approved, 90 % invoiced, 95 % dispatched', () => {
  for (const seed of [42, 2024]) {
    const dataset = generate(seed, { clientes: 500, produtos: 100, pedidos: 5000 });
    const s = summarize(dataset);
    const near = (actual: number, expected: number, tolerance: number, what: string) =>
      assert.ok(
        Math.abs(actual - expected) <= tolerance,
        `${what}: ${actual} not within ${expected} ± ${tolerance}`,
      );
    near(s.pagamentoRate, 0.8, 0.03, 'payments per order');
    near(s.aprovacaoRate, 0.5, 0.04, 'approved per payment');
    near(s.notaFiscalRate, 0.9, 0.03, 'invoices per approved payment');
    near(s.envioRate, 0.95, 0.025, 'dispatches per invoice');
    for (const status of ['aguardando_envio', 'enviado', 'entregue']) {
      near((s.envioStatus[status] ?? 0) / s.counts.envios, 1 / 3, 0.05, `envio ${status}`);
    }
    for (const metodo of ['cartao_credito', 'boleto', 'pix']) {
      near((s.metodos[metodo] ?? 0) / s.counts.pagamentos, 1 / 3, 0.04, `metodo ${metodo}`);
    }
    near(s.counts.itens_pedido / s.counts.pedidos, 3, 0.1, 'items per order (1–5)');
    assert.deepEqual(findViolations(dataset, NOW), []);
  }
});

test('zero sizes give empty tables; orders without clients or products are refused', () => {
  const empty = generate(1, { clientes: 0, produtos: 0, pedidos: 0 });
  assert.deepEqual(Object.values(summarize(empty).counts), [0, 0, 0, 0, 0, 0, 0]);
  assert.equal(generate(1, { clientes: 4, produtos: 0, pedidos: 0 }).clientes.length, 4);
  assert.throws(() => generate(1, { clientes: 0, produtos: 5, pedidos: 1 }), /at least one cliente/);
  assert.throws(() => generate(1, { clientes: 5, produtos: 0, pedidos: 1 }), /at least one produto/);
  assert.throws(() => generate(1, { clientes: -1, produtos: 0, pedidos: 0 }), RangeError);
  assert.throws(() => generate(1, { clientes: 1.5, produtos: 0, pedidos: 0 }), RangeError);
  assert.throws(() => generate(1, { clientes: 1_000_001, produtos: 0, pedidos: 0 }), RangeError);
  assert.throws(() => createFaker(MAX_SEED + 1), RangeError);
  assert.throws(() => createFaker(-1), RangeError);
});

test('product names, e-mails and documents follow the seed\u2019s formats', () => {
  const dataset = generate(42);
  assert.match(
    dataset.produtos[0]?.nome ?? '',
    /^Produto \p{Lu}\p{Ll}* (Eletrônico|Vestuário|Livro|Alimento)$/u,
  );
  assert.match(dataset.clientes[0]?.email ?? '', /^cliente_0_[a-z0-9._-]+@exemplo\.com$/);
  assert.match(dataset.notas_fiscais[0]?.numero ?? '', /^NF\d{5}-\d+$/);
  assert.match(dataset.envios[0]?.codigo_rastreamento ?? '', /^BR\d{9}PY$/);
  assert.match(dataset.pedidos[0]?.data_criacao ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
});
