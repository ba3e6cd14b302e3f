import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createFaker, DEFAULT_NOW, generateDataset, writeDatabase } from '@dslab/checkout-datagen';
import { importOnce, readSeedData } from '@dslab/checkout-kit';
import { ENGINES } from '@dslab/testing';
import { importEstoqueSeed } from '../src/adapters/seed-import.js';
import { openTestDatabase } from './support.js';

describe('estoque seed import', () => {
  const dir = mkdtempSync(join(tmpdir(), 'estoque-seed-'));
  const file = join(dir, 'ecommerce.db');
  before(() => {
    writeDatabase(
      file,
      generateDataset(createFaker(7), { clientes: 5, produtos: 12, pedidos: 6 }, Date.parse(DEFAULT_NOW)),
    );
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const engine of ENGINES)
    test(`when ecommerce.db is imported twice (${engine}), then every product's stock is there once`, async () => {
      const { database, dispose } = await openTestDatabase(engine);
      try {
        const dataset = readSeedData(file);
        const at = '2025-11-01T00:00:00.000Z';
        const load = () =>
          importOnce(database.db, 'ecommerce.db', at, (trx) =>
            importEstoqueSeed(trx, database.engine, dataset, at),
          );
        assert.equal(await load(), 12);
        assert.equal(await load(), undefined);
        const rows = await database.db.selectFrom('estoque').selectAll().orderBy('produto_id').execute();
        assert.deepEqual(
          rows,
          dataset.produtos
            .map((p) => ({ produto_id: p.id, quantidade: p.quantidade_estoque, atualizado_em: at }))
            .sort((a, b) => a.produto_id - b.produto_id),
        );
        const guard = await database.db.selectFrom('importacoes').selectAll().execute();
        assert.deepEqual(guard, [{ fonte: 'ecommerce.db', linhas: 12, importado_em: at }]);
      } finally {
        await dispose();
      }
    });

  test('when ecommerce.db is missing, then the error names npm run datagen', () => {
    assert.throws(() => readSeedData(join(dir, 'missing.db')), /npm run datagen/);
  });
});
