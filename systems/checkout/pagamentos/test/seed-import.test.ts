import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PagamentoValue } from '@dslab/checkout-contracts';
import { createFaker, generateDataset } from '@dslab/checkout-datagen';
import { importOnce, reaisFromSeed } from '@dslab/checkout-kit';
import { seedRoundTrip } from '@dslab/checkout-kit/testing';
import { call, ENGINES } from '@dslab/testing';
import { importPagamentosSeed, MENSAGEM_IMPORTADO } from '../src/adapters/seed-import.js';
import { FAST, openTestDatabase, startPagamentos } from './harness.js';

describe('the seed import of pagamentos', () => {
  const written = generateDataset(
    createFaker(4),
    { clientes: 10, produtos: 8, pedidos: 40 },
    Date.parse('2025-11-01T00:00:00.000Z'),
  );

  for (const engine of ENGINES) {
    test(`when ecommerce.db is imported twice (${engine}), then its payments are loaded once with their ids, amounts in centavos and methods`, async () => {
      const db = await openTestDatabase(engine);
      try {
        const dataset = seedRoundTrip(written);
        assert.ok(dataset.pagamentos.length > 0);
        const at = '2025-11-02T00:00:00.000Z';
        const load = () =>
          importOnce(db.database.db, 'ecommerce.db', at, (trx) =>
            importPagamentosSeed(trx, db.database.engine, dataset, at),
          );
        const [first, second] = await Promise.all([load(), load()]);
        assert.deepEqual([first, second].sort(), [dataset.pagamentos.length, undefined].sort());
        assert.equal(await load(), undefined);

        const rows = await db.database.db.selectFrom('pagamentos').selectAll().orderBy('id').execute();
        assert.equal(rows.length, dataset.pagamentos.length);
        const totals = new Map(written.pedidos.map((p) => [p.id, p.valor_total]));
        for (const [i, seed] of dataset.pagamentos.entries()) {
          const row = rows[i];
          assert.ok(row !== undefined);
          assert.equal(row.id, seed.id);
          assert.equal(row.pedido_id, seed.pedido_id);
          assert.equal(row.status, seed.status);
          assert.equal(row.metodo, seed.metodo);
          assert.equal(row.data_processamento, seed.data_processamento);
          assert.equal(row.mensagem, MENSAGEM_IMPORTADO);
          assert.equal(row.valor_centavos, reaisFromSeed(totals.get(seed.pedido_id) ?? 0));
        }
        const ops = await db.database.db
          .selectFrom('operacoes')
          .select(['operacao', 'mensagem'])
          .where('operacao', '=', 'pagamentos_importados')
          .execute();
        assert.deepEqual(ops, [
          {
            operacao: 'pagamentos_importados',
            mensagem: `Pagamentos importados do ecommerce.db: ${dataset.pagamentos.length} linhas`,
          },
        ]);

        // The service answers the imported payments, replays a charge with their values, and
        // numbers new payments after the imported ids.
        const svc = await startPagamentos(db.database, { simulator: FAST, seed: 1 });
        try {
          const seeded = dataset.pagamentos[0];
          assert.ok(seeded !== undefined);
          const read = await call<PagamentoValue>(svc.httpUrl, 'GET', `/pagamentos/${seeded.pedido_id}`);
          assert.equal(read.status, 200);
          assert.equal(read.body.pagamento_id, seeded.id);
          assert.equal(read.body.sucesso, seeded.status === 'aprovado');
          const replay = await call<PagamentoValue>(svc.httpUrl, 'POST', '/pagamentos', {
            body: {
              pedido_id: seeded.pedido_id,
              valor_centavos: read.body.valor_centavos,
              metodo: read.body.metodo,
            },
          });
          assert.equal(replay.status, 200, replay.text);
          assert.deepEqual(replay.body, read.body);
          const fresh = await call<PagamentoValue>(svc.httpUrl, 'POST', '/pagamentos', {
            body: { pedido_id: 1_000_000, valor_centavos: 100, metodo: 'pix' },
          });
          assert.equal(fresh.status, 201);
          assert.equal(fresh.body.pagamento_id, Math.max(...dataset.pagamentos.map((p) => p.id)) + 1);
        } finally {
          await svc.close();
        }
      } finally {
        await db.dispose();
      }
    });
  }
});
