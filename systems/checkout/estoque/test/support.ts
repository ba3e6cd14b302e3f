import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { EstoqueClient } from '@dslab/checkout-contracts';
import { listenCheckoutApp, openServiceDatabase, type ListeningApp } from '@dslab/checkout-kit';
import { dropSchema, type Database, type Engine } from '@dslab/db';
import { channelOptions, fromGrpcError, PROBLEM_METADATA_KEY } from '@dslab/grpc-kit';
import { createLogger, newTraceId, type Logger } from '@dslab/logging';
import { TEST_POSTGRES_URL, uniqueName } from '@dslab/testing';
import { estoqueMigrations } from '../src/adapters/migrations.js';
import type { EstoqueTables } from '../src/adapters/schema.js';
import { buildApp, type EstoqueApp } from '../src/app.js';

/** A service database in its own namespace: a temp directory (SQLite) or a new schema (PostgreSQL). */
export async function openTestDatabase(
  engine: Engine,
): Promise<{ database: Database<EstoqueTables>; dispose: () => Promise<void> }> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'estoque-'));
    const database = await openServiceDatabase<EstoqueTables>(
      { service: 'estoque', dataDir: dir },
      estoqueMigrations,
    );
    return {
      database,
      async dispose() {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = uniqueName('estoque').toLowerCase();
  const database = await openServiceDatabase<EstoqueTables>(
    { service: 'estoque', databaseUrl: TEST_POSTGRES_URL, schema, dataDir: tmpdir(), poolSize: 10 },
    estoqueMigrations,
  );
  return {
    database,
    async dispose() {
      await database.close();
      await dropSchema(TEST_POSTGRES_URL, schema);
    },
  };
}

export interface Harness {
  readonly database: Database<EstoqueTables>;
  readonly app: EstoqueApp;
  readonly url: string;
  readonly grpcAddress: string;
  readonly logger: Logger;
  /** Every log line the service wrote. */
  readonly lines: string[];
  close(): Promise<void>;
}

/** estoque listening on free ports (HTTP and gRPC) over a fresh database holding `stock`. */
export async function startEstoque(engine: Engine, stock: Record<number, number> = {}): Promise<Harness> {
  const { database, dispose } = await openTestDatabase(engine);
  const at = new Date().toISOString();
  const rows = Object.entries(stock).map(([id, quantidade]) => ({
    produto_id: Number(id),
    quantidade,
    atualizado_em: at,
  }));
  if (rows.length > 0) await database.db.insertInto('estoque').values(rows).execute();
  const lines: string[] = [];
  const logger = createLogger({ service: 'estoque', console: false, onLine: (line) => lines.push(line) });
  const app = await buildApp({ database, logger });
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

/** Units on hand of one product, straight from the table. */
export async function stockOf(
  database: Database<EstoqueTables>,
  produtoId: number,
): Promise<number | undefined> {
  const row = await database.db
    .selectFrom('estoque')
    .select('quantidade')
    .where('produto_id', '=', produtoId)
    .executeTakeFirst();
  return row?.quantidade;
}

export async function operacoes(
  database: Database<EstoqueTables>,
): Promise<{ operacao: string; pedido_id: number | null; mensagem: string; detalhes: string }[]> {
  return database.db
    .selectFrom('operacoes')
    .select(['operacao', 'pedido_id', 'mensagem', 'detalhes'])
    .orderBy('id')
    .execute();
}

export function ctx(ms = 10_000): { deadline: number; traceId: string } {
  return { deadline: Date.now() + ms, traceId: newTraceId() };
}

export function grpcClient(address: string): EstoqueClient {
  return new EstoqueClient(address, grpc.credentials.createInsecure(), channelOptions);
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
      if (error) reject(fromGrpcError(error, 'estoque'));
      else resolve(response);
    });
  });
}

/** One unary call's raw outcome: the gRPC status and the problem document in `problem-bin`. */
export function rawUnary<Res>(
  start: (callback: Callback<Res>) => unknown,
): Promise<{ error: grpc.ServiceError | null; problem: Record<string, unknown> | undefined }> {
  return new Promise((resolve) => {
    start((error) => {
      const [raw] = error?.metadata.get(PROBLEM_METADATA_KEY) ?? [];
      resolve({
        error,
        problem: raw === undefined ? undefined : (JSON.parse(raw.toString()) as Record<string, unknown>),
      });
    });
  });
}
