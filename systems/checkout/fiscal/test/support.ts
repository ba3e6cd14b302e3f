/**
 * What fiscal's component tests share: the service on its own namespace (a temp SQLite file or
 * a fresh PostgreSQL schema), listening on free ports over both transports, and its gRPC call.
 */
import {
  FiscalClient,
  type EmitirNotaFiscalRequest,
  type EmitirNotaFiscalResponse,
} from '@dslab/checkout-contracts';
import {
  callArgs,
  grpcOutcome,
  startTestServiceWithDatabase,
  type GrpcOutcome,
  type TestServiceWithDatabase,
} from '@dslab/checkout-kit/testing';
import type { Engine } from '@dslab/db';
import { fiscalMigrations } from '../src/adapters/migrations.js';
import type { FiscalTables } from '../src/adapters/schema.js';
import { buildApp, type FiscalApp, type FiscalDeps } from '../src/app.js';

export interface RunningFiscal extends TestServiceWithDatabase<FiscalApp, FiscalTables> {
  /** One EmitirNotaFiscal call over gRPC. */
  emitirGrpc(request: EmitirNotaFiscalRequest): Promise<GrpcOutcome<EmitirNotaFiscalResponse>>;
}

/** fiscal listening on 127.0.0.1 with free ports; `close` stops everything and drops the namespace. */
export async function startFiscal(
  engine: Engine,
  deps: Partial<Omit<FiscalDeps, 'database' | 'logger'>> = {},
): Promise<RunningFiscal> {
  const svc = await startTestServiceWithDatabase<FiscalTables, FiscalApp>(
    engine,
    'fiscal',
    fiscalMigrations,
    (database, logger) => buildApp({ database, logger, seed: 7, ...deps }),
    { poolSize: 10 },
  );
  const client = svc.connect(FiscalClient);
  return {
    ...svc,
    emitirGrpc: (request) => grpcOutcome((cb) => client.emitirNotaFiscal(request, ...callArgs(), cb)),
  };
}
