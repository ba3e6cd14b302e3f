/**
 * What logistica's component tests share: the service on its own namespace (a temp SQLite file or
 * a fresh PostgreSQL schema), listening on free ports over both transports, and a promise-based
 * gRPC client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  LogisticaClient,
  type AgendarEnvioRequest,
  type AgendarEnvioResponse,
} from '@dslab/checkout-contracts';
import { listenCheckoutApp, openServiceDatabase } from '@dslab/checkout-kit';
import { dropSchema, type Database, type Engine } from '@dslab/db';
import { createLogger } from '@dslab/logging';
import { TEST_POSTGRES_URL, uniqueName } from '@dslab/testing';
import { logisticaMigrations } from '../src/adapters/migrations.js';
import type { LogisticaTables } from '../src/adapters/schema.js';
import { buildApp, type LogisticaDeps } from '../src/app.js';

export interface OpenedDatabase {
  readonly database: Database<LogisticaTables>;
  dispose(): Promise<void>;
}

/** logistica's database with its migrations, in a namespace of its own. */
export async function openLogisticaDatabase(engine: Engine): Promise<OpenedDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'logistica-'));
    const database = await openServiceDatabase<LogisticaTables>(
      { service: 'logistica', dataDir: dir },
      logisticaMigrations,
    );
    return {
      database,
      async dispose() {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = uniqueName('logistica').toLowerCase();
  const database = await openServiceDatabase<LogisticaTables>(
    { service: 'logistica', dataDir: '.', databaseUrl: TEST_POSTGRES_URL, schema, poolSize: 10 },
    logisticaMigrations,
  );
  return {
    database,
    async dispose() {
      await database.close();
      await dropSchema(TEST_POSTGRES_URL, schema);
    },
  };
}

export interface RunningLogistica extends OpenedDatabase {
  readonly httpUrl: string;
  readonly grpcAddress: string;
  /** Every application log line written so far. */
  readonly lines: string[];
  /** One unary call over gRPC; rejects with the grpc-js ServiceError. */
  agendarGrpc(request: AgendarEnvioRequest): Promise<AgendarEnvioResponse>;
}

/** logistica listening on 127.0.0.1 with free ports; `dispose` stops everything and drops the namespace. */
export async function startLogistica(
  engine: Engine,
  deps: Partial<Omit<LogisticaDeps, 'database' | 'logger'>> = {},
): Promise<RunningLogistica> {
  const opened = await openLogisticaDatabase(engine);
  const lines: string[] = [];
  const logger = createLogger({ service: 'logistica', console: false, onLine: (line) => lines.push(line) });
  const app = await buildApp({ database: opened.database, logger, seed: 7, ...deps });
  const listening = await listenCheckoutApp(app);
  const client = new LogisticaClient(listening.grpcAddress, credentials.createInsecure());
  return {
    ...opened,
    httpUrl: listening.httpUrl,
    grpcAddress: listening.grpcAddress,
    lines,
    agendarGrpc: (request) =>
      new Promise((resolve, reject) => {
        client.agendarEnvio(
          request,
          new Metadata(),
          { deadline: new Date(Date.now() + 10_000) },
          (error: ServiceError | null, response: AgendarEnvioResponse) => {
            if (error) reject(error);
            else resolve(response);
          },
        );
      }),
    async dispose() {
      client.close();
      await listening.close();
      await opened.dispose();
    },
  };
}

/** The problem document a gRPC error carries in `problem-bin`. */
export function problemOf(error: unknown): Record<string, unknown> {
  const [raw] = (error as ServiceError).metadata.get('problem-bin');
  if (raw === undefined) return {};
  return JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : raw) as Record<string, unknown>;
}
