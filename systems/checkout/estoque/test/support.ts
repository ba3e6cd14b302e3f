import {
  grpcUnary,
  openTestServiceDatabase,
  startTestServiceWithDatabase,
  type TestServiceDatabase,
  type TestServiceWithDatabase,
  type UnaryCallback,
} from '@dslab/checkout-kit/testing';
import type { SeparacaoValue } from '@dslab/checkout-contracts';
import type { Database, Engine } from '@dslab/db';
import { fromGrpcError } from '@dslab/grpc-kit';
import { call } from '@dslab/testing';
import { estoqueMigrations } from '../src/adapters/migrations.js';
import type { EstoqueTables } from '../src/adapters/schema.js';
import { buildApp, type EstoqueApp } from '../src/app.js';

/** Ten connections: the racing tests queue hundreds of requests on them. */
const POOL = { poolSize: 10 };

/** estoque's database, migrated, in a namespace of its own. */
export function openTestDatabase(engine: Engine): Promise<TestServiceDatabase<EstoqueTables>> {
  return openTestServiceDatabase<EstoqueTables>(engine, 'estoque', estoqueMigrations, POOL);
}

/**
 * A refusal's problem document as these tests read it; without `status`, so that a race's
 * answers can be typed `SeparacaoValue & Problem`.
 */
export interface Problem {
  readonly code: string;
  readonly detail: string;
  readonly faltas?: readonly { produto_id: number; solicitado: number; disponivel: number }[];
  readonly errors?: readonly { field: string; message: string }[];
}

export type Harness = TestServiceWithDatabase<EstoqueApp, EstoqueTables>;

/** estoque listening on free ports (HTTP and gRPC) over a fresh database holding `stock`. */
export function startEstoque(engine: Engine, stock: Record<number, number> = {}): Promise<Harness> {
  return startTestServiceWithDatabase<EstoqueTables, EstoqueApp>(
    engine,
    'estoque',
    estoqueMigrations,
    async (database, logger) => {
      const at = new Date().toISOString();
      const rows = Object.entries(stock).map(([id, quantidade]) => ({
        produto_id: Number(id),
        quantidade,
        atualizado_em: at,
      }));
      if (rows.length > 0) await database.db.insertInto('estoque').values(rows).execute();
      return buildApp({ database, logger });
    },
    POOL,
  );
}

type Item = { readonly produto_id: number; readonly quantidade: number };

/** POST /estoque/separar of one order. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- callers name the body they expect
export function separar<T = SeparacaoValue>(
  h: Harness,
  pedido_id: number,
  itens: readonly Item[],
  headers: Record<string, string> = {},
) {
  return call<T>(h.httpUrl, 'POST', '/estoque/separar', { body: { pedido_id, itens }, headers });
}

/** POST /estoque/liberar of one order. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- callers name the body they expect
export function liberar<T = SeparacaoValue>(h: Harness, pedido_id: number, motivo: string) {
  return call<T>(h.httpUrl, 'POST', '/estoque/liberar', { body: { pedido_id, motivo } });
}

/** Units on hand of each product, straight from the table. */
export async function stocksOf(database: Database<EstoqueTables>, produtoIds: readonly number[]) {
  const stocks: (number | undefined)[] = [];
  for (const id of produtoIds) stocks.push(await stockOf(database, id));
  return stocks;
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

/** The operations recorded for one order, oldest first. */
export async function operacoesDo(database: Database<EstoqueTables>, pedidoId: number): Promise<string[]> {
  return (await operacoes(database)).filter((o) => o.pedido_id === pedidoId).map((o) => o.operacao);
}

/** One unary call; a failure rejects with the AppError it stands for (code, detail, extensions). */
export function unary<Res>(start: (callback: UnaryCallback<Res>) => unknown): Promise<Res> {
  return grpcUnary(start, (error) => fromGrpcError(error, 'estoque'));
}
