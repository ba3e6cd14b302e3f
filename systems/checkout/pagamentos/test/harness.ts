/**
 * Starts pagamentos on port 0 over an isolated database (a temp SQLite file or a fresh
 * PostgreSQL schema) and talks to it over both transports.
 */
import {
  EstornarRequest,
  PagamentoClient,
  PagamentoRequest,
  MetodoPagamento,
  type EstornarResponse,
  type PagamentoResponse,
} from '@dslab/checkout-contracts';
import {
  callArgs,
  grpcOutcome,
  openTestServiceDatabase,
  startTestService,
  type GrpcOutcome,
  type TestService,
  type TestServiceDatabase,
} from '@dslab/checkout-kit/testing';
import type { Database, Engine } from '@dslab/db';
import type { Logger } from '@dslab/logging';
import { pagamentosMigrations } from '../src/adapters/migrations.js';
import type { PagamentosTables } from '../src/adapters/schema.js';
import { buildApp, type PagamentosApp } from '../src/app.js';
import type { SimulatorConfig } from '../src/domain/simulator.js';

export { okResponse } from '@dslab/checkout-kit/testing';

/** Fast simulator for tests: 0–5 ms. */
export const FAST: SimulatorConfig = { minMs: 0, maxMs: 5, rejectionProbability: 0 };

/** pagamentos' own database (migrated) in a fresh namespace; 20 connections for the racing tests. */
export function openTestDatabase(engine: Engine): Promise<TestServiceDatabase<PagamentosTables>> {
  return openTestServiceDatabase<PagamentosTables>(engine, 'pagamentos', pagamentosMigrations, {
    poolSize: 20,
  });
}

export interface Running extends TestService<PagamentosApp> {
  readonly database: Database<PagamentosTables>;
  processar(request: Partial<PagamentoRequest>, timeoutMs?: number): Promise<GrpcOutcome<PagamentoResponse>>;
  estornar(request: Partial<EstornarRequest>, timeoutMs?: number): Promise<GrpcOutcome<EstornarResponse>>;
}

export interface StartOptions {
  readonly simulator?: SimulatorConfig;
  readonly seed?: number;
  readonly logger?: Logger;
}

/** pagamentos over `database` (which stays open after `close`). */
export async function startPagamentos(
  database: Database<PagamentosTables>,
  options: StartOptions & { readonly onClose?: () => Promise<void> } = {},
): Promise<Running> {
  const svc = await startTestService(
    'pagamentos',
    (logger) => buildApp({ database, logger, simulator: options.simulator ?? FAST, seed: options.seed ?? 1 }),
    {
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.onClose === undefined ? {} : { onClose: options.onClose }),
    },
  );
  const client = svc.connect(PagamentoClient);
  return {
    ...svc,
    database,
    processar: (request, timeoutMs = 10_000) =>
      grpcOutcome((cb) =>
        client.processarPagamento(
          PagamentoRequest.fromPartial({ metodo: MetodoPagamento.METODO_PAGAMENTO_PIX, ...request }),
          ...callArgs(timeoutMs),
          cb,
        ),
      ),
    estornar: (request, timeoutMs = 10_000) =>
      grpcOutcome((cb) => client.estornar(EstornarRequest.fromPartial(request), ...callArgs(timeoutMs), cb)),
  };
}

/** pagamentos over a database of its own, disposed by `close`. */
export async function startFreshPagamentos(engine: Engine, options: StartOptions = {}): Promise<Running> {
  const { database, dispose } = await openTestDatabase(engine);
  return startPagamentos(database, { ...options, onClose: dispose });
}

/** The stored rows of one order's payment (for invariant checks). */
export async function paymentRows(database: Database<PagamentosTables>, pedidoId: number) {
  return database.db.selectFrom('pagamentos').selectAll().where('pedido_id', '=', pedidoId).execute();
}
