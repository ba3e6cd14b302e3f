/**
 * Starts pagamentos on port 0 over an isolated database (a temp SQLite file or a fresh
 * PostgreSQL schema) and talks to it over both transports.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  EstornarRequest,
  EstornarResponse,
  PagamentoClient,
  PagamentoRequest,
  PagamentoResponse,
  MetodoPagamento,
} from '@dslab/checkout-contracts';
import { listenCheckoutApp, openServiceDatabase, type ListeningApp } from '@dslab/checkout-kit';
import { dropSchema, type Database, type Engine } from '@dslab/db';
import { createLogger, type Logger } from '@dslab/logging';
import { TEST_POSTGRES_URL, uniqueName } from '@dslab/testing';
import { pagamentosMigrations } from '../src/adapters/migrations.js';
import type { PagamentosTables } from '../src/adapters/schema.js';
import { buildApp, type PagamentosApp } from '../src/app.js';
import type { SimulatorConfig } from '../src/domain/simulator.js';

/** Fast simulator for tests: 0–5 ms. */
export const FAST: SimulatorConfig = { minMs: 0, maxMs: 5, rejectionProbability: 0 };

export interface ServiceDatabase {
  readonly database: Database<PagamentosTables>;
  dispose(): Promise<void>;
}

/** pagamentos' own database (migrated) in a fresh namespace. */
export async function openTestDatabase(engine: Engine): Promise<ServiceDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'pagamentos-'));
    const database = await openServiceDatabase<PagamentosTables>(
      { service: 'pagamentos', dataDir: dir },
      pagamentosMigrations,
    );
    return {
      database,
      async dispose() {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = uniqueName('pagamentos').toLowerCase();
  const database = await openServiceDatabase<PagamentosTables>(
    { service: 'pagamentos', dataDir: '.', databaseUrl: TEST_POSTGRES_URL, schema, poolSize: 20 },
    pagamentosMigrations,
  );
  return {
    database,
    async dispose() {
      await database.close();
      await dropSchema(TEST_POSTGRES_URL, schema);
    },
  };
}

export interface RawGrpcAnswer<T> {
  /** grpc.status.OK when the call succeeded. */
  readonly code: grpc.status;
  readonly response?: T;
  /** The problem document of a failed call (`problem-bin`). */
  readonly problem?: Record<string, unknown>;
}

export interface Running {
  readonly app: PagamentosApp;
  readonly listening: ListeningApp;
  readonly url: string;
  readonly database: Database<PagamentosTables>;
  readonly grpc: PagamentoClient;
  /** Log lines written by the service. */
  readonly lines: string[];
  processar(
    request: Partial<PagamentoRequest>,
    timeoutMs?: number,
  ): Promise<RawGrpcAnswer<PagamentoResponse>>;
  estornar(request: Partial<EstornarRequest>, timeoutMs?: number): Promise<RawGrpcAnswer<EstornarResponse>>;
  close(): Promise<void>;
}

function problemOf(error: grpc.ServiceError): Record<string, unknown> | undefined {
  const [value] = error.metadata.get('problem-bin');
  if (value === undefined) return undefined;
  return JSON.parse(Buffer.isBuffer(value) ? value.toString('utf8') : value) as Record<string, unknown>;
}

function rawCall<Req, Res>(
  invoke: (
    request: Req,
    metadata: grpc.Metadata,
    options: Partial<grpc.CallOptions>,
    callback: (error: grpc.ServiceError | null, response: Res) => void,
  ) => unknown,
  request: Req,
  timeoutMs: number,
): Promise<RawGrpcAnswer<Res>> {
  return new Promise((resolve) => {
    invoke(
      request,
      new grpc.Metadata(),
      { deadline: new Date(Date.now() + timeoutMs) },
      (error, response) => {
        if (error === null) resolve({ code: grpc.status.OK, response });
        else {
          const problem = problemOf(error);
          resolve({ code: error.code, ...(problem === undefined ? {} : { problem }) });
        }
      },
    );
  });
}

export async function startPagamentos(
  database: Database<PagamentosTables>,
  options: { simulator?: SimulatorConfig; seed?: number; logger?: Logger } = {},
): Promise<Running> {
  const lines: string[] = [];
  const logger =
    options.logger ??
    createLogger({
      service: 'pagamentos',
      level: 'info',
      console: false,
      onLine: (line) => lines.push(line),
    });
  const app = await buildApp({
    database,
    logger,
    simulator: options.simulator ?? FAST,
    seed: options.seed ?? 1,
  });
  const listening = await listenCheckoutApp(app);
  const client = new PagamentoClient(listening.grpcAddress, grpc.credentials.createInsecure());
  return {
    app,
    listening,
    url: listening.httpUrl,
    database,
    grpc: client,
    lines,
    processar: (request, timeoutMs = 10_000) =>
      rawCall(
        client.processarPagamento.bind(client),
        PagamentoRequest.fromPartial({ metodo: MetodoPagamento.METODO_PAGAMENTO_PIX, ...request }),
        timeoutMs,
      ),
    estornar: (request, timeoutMs = 10_000) =>
      rawCall(client.estornar.bind(client), EstornarRequest.fromPartial(request), timeoutMs),
    async close() {
      client.close();
      await listening.close();
    },
  };
}

/** The stored rows of one order's payment (for invariant checks). */
export async function paymentRows(database: Database<PagamentosTables>, pedidoId: number) {
  return database.db.selectFrom('pagamentos').selectAll().where('pedido_id', '=', pedidoId).execute();
}

/** The response of a call that must have succeeded. */
export function okResponse<T>(answer: RawGrpcAnswer<T>): T {
  assert.equal(answer.code, grpc.status.OK, JSON.stringify(answer.problem));
  assert.ok(answer.response !== undefined);
  return answer.response;
}
