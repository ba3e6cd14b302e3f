import {
  createEstoqueService,
  estoqueMigrations,
  importEstoqueSeed,
  type EstoqueService,
  type EstoqueTables,
} from '@dslab/checkout-estoque';
import type { EstoquePort } from '@dslab/checkout-contracts';
import { createFaker, DEFAULT_NOW, generateDataset, type Dataset } from '@dslab/checkout-datagen';
import { importOnce, reaisFromSeed } from '@dslab/checkout-kit';
import {
  grpcUnary,
  openTestServiceDatabase,
  startTestServiceWithDatabase,
  type TestServiceDatabase,
  type TestServiceWithDatabase,
  type UnaryCallback,
} from '@dslab/checkout-kit/testing';
import type { Database, Engine } from '@dslab/db';
import { fromGrpcError } from '@dslab/grpc-kit';
import { createLogger } from '@dslab/logging';
import { catalogoMigrations } from '../src/adapters/migrations.js';
import type { CatalogoTables } from '../src/adapters/schema.js';
import { importCatalogoSeed } from '../src/adapters/seed-import.js';
import { buildApp, type CatalogoApp } from '../src/app.js';

/** catalogo's database, migrated, in a namespace of its own. */
export function openCatalogoDatabase(engine: Engine): Promise<TestServiceDatabase<CatalogoTables>> {
  return openTestServiceDatabase<CatalogoTables>(engine, 'catalogo', catalogoMigrations, { poolSize: 5 });
}

/**
 * A small seed: 12 products, with product 2 out of stock and product 3 holding a single unit
 * (the listing's filter has both kinds to show).
 */
export function smallDataset(): Dataset {
  const dataset = generateDataset(
    createFaker(11),
    { clientes: 3, produtos: 12, pedidos: 3 },
    Date.parse(DEFAULT_NOW),
  );
  for (const p of dataset.produtos) {
    if (p.id === 2) p.quantidade_estoque = 0;
    if (p.id === 3) p.quantidade_estoque = 1;
    if (p.id > 3 && p.quantidade_estoque === 0) p.quantidade_estoque = 5;
  }
  return dataset;
}

/** The seed's listing: `[{id, nome, estoque, preco_centavos}]` in id order. */
export function seedListing(
  dataset: Dataset,
): { id: number; nome: string; estoque: number; preco_centavos: number }[] {
  return [...dataset.produtos]
    .sort((a, b) => a.id - b.id)
    .map((p) => ({
      id: p.id,
      nome: p.nome,
      estoque: p.quantidade_estoque,
      preco_centavos: reaisFromSeed(p.preco),
    }));
}

export interface Stock {
  readonly database: Database<EstoqueTables>;
  /** estoque's application service, in-process: the catalogue's EstoquePort in these tests. */
  readonly service: EstoqueService;
  dispose(): Promise<void>;
}

/** estoque's database and service in-process, seeded from `dataset`. */
export async function startStock(engine: Engine, dataset: Dataset): Promise<Stock> {
  const { database, dispose } = await openTestServiceDatabase<EstoqueTables>(
    engine,
    'estoque',
    estoqueMigrations,
    { poolSize: 5 },
  );
  const at = new Date().toISOString();
  await importOnce(database.db, 'ecommerce.db', at, (trx) =>
    importEstoqueSeed(trx, database.engine, dataset, at),
  );
  const logger = createLogger({ service: 'estoque', console: false });
  return { database, service: createEstoqueService({ database, logger }), dispose };
}

export type Harness = TestServiceWithDatabase<CatalogoApp, CatalogoTables>;

/** catalogo listening on free ports over a fresh database imported from `dataset`, reading stock from `estoque`. */
export function startCatalogo(engine: Engine, dataset: Dataset, estoque: EstoquePort): Promise<Harness> {
  return startTestServiceWithDatabase<CatalogoTables, CatalogoApp>(
    engine,
    'catalogo',
    catalogoMigrations,
    async (database, logger) => {
      await importOnce(database.db, 'ecommerce.db', new Date().toISOString(), (trx) =>
        importCatalogoSeed(trx, database.engine, dataset),
      );
      return buildApp({ database, estoque, logger });
    },
    { poolSize: 5 },
  );
}

export interface HarnessOverStock extends Harness {
  /** estoque in-process, seeded from the same dataset: the catalogue's EstoquePort. */
  readonly stock: Stock;
}

/** estoque in-process and catalogo over it, both from `dataset`; `close` stops both. */
export async function startCatalogoOverStock(engine: Engine, dataset: Dataset): Promise<HarnessOverStock> {
  const stock = await startStock(engine, dataset);
  let h: Harness;
  try {
    h = await startCatalogo(engine, dataset, stock.service);
  } catch (error) {
    await stock.dispose();
    throw error;
  }
  return {
    ...h,
    stock,
    async close() {
      await h.close();
      await stock.dispose();
    },
  };
}

export async function operacoes(
  database: Database<CatalogoTables>,
): Promise<{ operacao: string; pedido_id: number | null; mensagem: string; detalhes: unknown }[]> {
  const rows = await database.db
    .selectFrom('operacoes')
    .select(['operacao', 'pedido_id', 'mensagem', 'detalhes'])
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, detalhes: JSON.parse(r.detalhes) as unknown }));
}

/** One unary call; a failure rejects with the AppError it stands for (code, detail, extensions). */
export function unary<Res>(start: (callback: UnaryCallback<Res>) => unknown): Promise<Res> {
  return grpcUnary(start, (error) => fromGrpcError(error, 'catalogo'));
}
