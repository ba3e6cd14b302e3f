import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { importOnce, reaisFromSeed } from '@dslab/checkout-kit';
import { seedRoundTrip } from '@dslab/checkout-kit/testing';
import { ENGINES } from '@dslab/testing';
import { importCatalogoSeed } from '../src/adapters/seed-import.js';
import { reaisToCentavos } from '../src/domain/produtos.js';
import { openCatalogoDatabase, smallDataset } from './support.js';

describe('catalogo seed import', () => {
  for (const engine of ENGINES)
    test(`when ecommerce.db is imported twice (${engine}), then every product is there once, priced in centavos`, async () => {
      const { database, dispose } = await openCatalogoDatabase(engine);
      try {
        const dataset = seedRoundTrip(smallDataset());
        const load = () =>
          importOnce(database.db, 'ecommerce.db', '2025-11-01T00:00:00.000Z', (trx) =>
            importCatalogoSeed(trx, database.engine, dataset),
          );
        assert.equal(await load(), 12);
        assert.equal(await load(), undefined);
        const rows = await database.db.selectFrom('produtos').selectAll().orderBy('id').execute();
        assert.deepEqual(
          rows,
          [...dataset.produtos]
            .sort((a, b) => a.id - b.id)
            .map((p) => ({ id: p.id, nome: p.nome, preco_centavos: reaisFromSeed(p.preco) })),
        );
        for (const p of dataset.produtos)
          assert.deepEqual(
            reaisToCentavos(p.preco),
            { ok: true, value: reaisFromSeed(p.preco) },
            'both conversions agree',
          );
        const next = await database.db
          .insertInto('produtos')
          .values({ nome: 'Produto novo', preco_centavos: 100 })
          .returning('id')
          .executeTakeFirstOrThrow();
        assert.equal(next.id, 13, 'the id sequence continues after the seed');
      } finally {
        await dispose();
      }
    });
});
