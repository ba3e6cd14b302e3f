/**
 * What logistica's component tests share: the service on its own namespace (a temp SQLite file or
 * a fresh PostgreSQL schema), listening on free ports over both transports, and its gRPC call.
 */
import {
  LogisticaClient,
  type AgendarEnvioRequest,
  type AgendarEnvioResponse,
} from '@dslab/checkout-contracts';
import {
  callArgs,
  grpcOutcome,
  startTestServiceWithDatabase,
  type GrpcOutcome,
  type TestServiceWithDatabase,
} from '@dslab/checkout-kit/testing';
import type { Engine } from '@dslab/db';
import { logisticaMigrations } from '../src/adapters/migrations.js';
import type { LogisticaTables } from '../src/adapters/schema.js';
import { buildApp, type LogisticaApp, type LogisticaDeps } from '../src/app.js';

export interface RunningLogistica extends TestServiceWithDatabase<LogisticaApp, LogisticaTables> {
  /** One AgendarEnvio call over gRPC. */
  agendarGrpc(request: AgendarEnvioRequest): Promise<GrpcOutcome<AgendarEnvioResponse>>;
}

/** logistica listening on 127.0.0.1 with free ports; `close` stops everything and drops the namespace. */
export async function startLogistica(
  engine: Engine,
  deps: Partial<Omit<LogisticaDeps, 'database' | 'logger'>> = {},
): Promise<RunningLogistica> {
  const svc = await startTestServiceWithDatabase<LogisticaTables, LogisticaApp>(
    engine,
    'logistica',
    logisticaMigrations,
    (database, logger) => buildApp({ database, logger, seed: 7, ...deps }),
    { poolSize: 10 },
  );
  const client = svc.connect(LogisticaClient);
  return {
    ...svc,
    agendarGrpc: (request) => grpcOutcome((cb) => client.agendarEnvio(request, ...callArgs(), cb)),
  };
}
