import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  createEstoqueService,
  estoqueMigrations,
  importEstoqueSeed,
  type EstoqueService,
  type EstoqueTables,
} from '@dslab/checkout-estoque';
import { CatalogoClient, type EstoquePort } from '@dslab/checkout-contracts';
import { createFaker, DEFAULT_NOW, generateDataset, type Dataset } from '@dslab/checkout-datagen';
import {
  importOnce,
  listenCheckoutApp,
  openServiceDatabase,
  reaisFromSeed,
  type CommonTables,
  type ListeningApp,
} from '@dslab/checkout-kit';
import { dropSchema, type Database, type Engine } from '@dslab/db';
import { channelOptions, fromGrpcError } from '@dslab/grpc-kit';
import { createLogger, newTraceId, type Logger } from '@dslab/logging';
import { TEST_POSTGRES_URL, uniqueName } from '@dslab/testing';
import type { Migration } from 'kysely';
import { catalogoMigrations } from '../src/adapters/migrations.js';
import type { CatalogoTables } from '../src/adapters/schema.js';
import { importCatalogoSeed } from '../src/adapters/seed-import.js';
import { buildApp, type CatalogoApp } from '../src/app.js';

/** A service database in its own namespace: a temp directory (SQLite) or a new schema (PostgreSQL). */
export async function openTestDatabase<DB extends CommonTables>(
  engine: Engine,
  service: 'catalogo' | 'estoque',
  migrations: (engine: Engine) => Record<string, Migration>,
): Promise<{ database: Database<DB>; dispose: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `${service}-`));
    const database = await openServiceDatabase<DB>({ service, dataDir: dir }, migrations);
    return {
      database,
      async dispose() {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = uniqueName(service).toLowerCase();
  const database = await openServiceDatabase<DB>(
    { service, databaseUrl: TEST_POSTGRES_URL, schema, dataDir: tmpdir(), poolSize: 5 },
    migrations,
  );
  return {
    database,
    async dispose() {
      await database.close();
      await dropSchema(TEST_POSTGRES_URL, schema);
    },
  };
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
  const { database, dispose } = await openTestDatabase<EstoqueTables>(engine, 'estoque', estoqueMigrations);
  const at = new Date().toISOString();
  await importOnce(database.db, 'ecommerce.db', at, (trx) =>
    importEstoqueSeed(trx, database.engine, dataset, at),
  );
  const logger = createLogger({ service: 'estoque', console: false });
  return { database, service: createEstoqueService({ database, logger }), dispose };
}

export interface Harness {
  readonly database: Database<CatalogoTables>;
  readonly app: CatalogoApp;
  readonly url: string;
  readonly grpcAddress: string;
  readonly logger: Logger;
  readonly lines: string[];
  close(): Promise<void>;
}

/** catalogo listening on free ports over a fresh database imported from `dataset`, reading stock from `estoque`. */
export async function startCatalogo(
  engine: Engine,
  dataset: Dataset,
  estoque: EstoquePort,
): Promise<Harness> {
  const { database, dispose } = await openTestDatabase<CatalogoTables>(
    engine,
    'catalogo',
    catalogoMigrations,
  );
  await importOnce(database.db, 'ecommerce.db', new Date().toISOString(), (trx) =>
    importCatalogoSeed(trx, database.engine, dataset),
  );
  const lines: string[] = [];
  const logger = createLogger({ service: 'catalogo', console: false, onLine: (line) => lines.push(line) });
  const app = await buildApp({ database, estoque, logger });
  let listening: ListeningApp;
  try {
    listening = await listenCheckoutApp(app);
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    database,
    app,
    url: listening.httpUrl,
    grpcAddress: listening.grpcAddress,
    logger,
    lines,
    async close() {
      await listening.close();
      await dispose();
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

export function ctx(ms = 10_000): { deadline: number; traceId: string } {
  return { deadline: Date.now() + ms, traceId: newTraceId() };
}

export function grpcClient(address: string): CatalogoClient {
  return new CatalogoClient(address, grpc.credentials.createInsecure(), channelOptions);
}

type Callback<Res> = (error: grpc.ServiceError | null, response: Res) => void;

/** Options of one test call: no metadata, a 10 s deadline. */
export function callArgs(): [grpc.Metadata, Partial<grpc.CallOptions>] {
  return [new grpc.Metadata(), { deadline: Date.now() + 10_000 }];
}

/** One unary call; a failure rejects with the AppError it stands for (code, detail, extensions). */
export function unary<Res>(start: (callback: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    start((error, response) => {
      if (error) reject(fromGrpcError(error, 'catalogo'));
      else resolve(response);
    });
  });
}
