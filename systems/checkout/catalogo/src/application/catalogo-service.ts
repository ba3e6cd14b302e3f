import type {
  CallContext,
  CatalogoPort,
  EstoquePort,
  ListarProdutosQuery,
  ProdutoInfoValue,
  ProdutoPrecoValue,
} from '@dslab/checkout-contracts';
import { beforeDeadline, recordOperation, validationFailed } from '@dslab/checkout-kit';
import { translateDatabaseError, type Database } from '@dslab/db';
import { AppError, isAppError } from '@dslab/errors';
import type { Logger } from '@dslab/logging';
import type { CatalogoTables } from '../adapters/schema.js';
import { catalogoStore as store, type ProdutoRow } from '../adapters/store.js';
import { MAX_PRODUTO_ID, validateProdutoIds } from '../domain/ids.js';
import { listarProdutos, type ListaProdutos, type Produto } from '../domain/produtos.js';
import {
  validateCatalogoQuery,
  type CatalogoQuery,
  type QueryError,
  type RawQuery,
} from '../domain/query.js';

export interface CatalogoServiceDeps {
  readonly database: Database<CatalogoTables>;
  /** Where the live stock comes from: estoque's REST or gRPC client, or its service in-process. */
  readonly estoque: EstoquePort;
  readonly logger: Logger;
  /** Wall clock of the records (epoch ms); deadlines always run on Date.now, their own scale. */
  readonly now?: () => number;
}

/**
 * The catalogo port plus the REST view of it: the listing from the raw query string (validated
 * by the domain) and one product by id.
 */
export interface CatalogoService extends CatalogoPort {
  /** `GET /produtos?…`: `raw` is the query string as the framework parsed it. */
  listar(raw: RawQuery, ctx: CallContext): Promise<{ produtos: ProdutoInfoValue[]; total: number }>;
  /** `GET /produtos/{id}`; `not-found` for an unknown id. */
  obterProduto(id: number, ctx: CallContext): Promise<ProdutoInfoValue>;
}

function timeoutError(what: string): AppError {
  return new AppError('timeout', `o prazo da requisição terminou antes de ${what}`);
}

function queryFailed(errors: readonly QueryError[], prefix: string): AppError {
  return validationFailed(errors.map((e) => ({ field: `${prefix}${e.param}`, reason: e.reason })));
}

/**
 * The catalogue's application layer. It owns names and prices; the stock shown with each
 * product is estoque's, read once per call through the EstoquePort, so the listing's
 * `disponivel` filter always reflects live stock. When estoque cannot answer, the call fails
 * with `unavailable` or `timeout` (503/504): a listing with made-up stock would be worse than none.
 *
 * Every call records its operation (`produtos_listados`, `produtos_consultados`) in `operacoes`
 * and logs one line.
 */
export function createCatalogoService(deps: CatalogoServiceDeps): CatalogoService {
  const { database, estoque, logger } = deps;
  const db = database.db;
  const now = deps.now ?? Date.now;

  /** Read-only database work, abandoned (it changes nothing) when the deadline passes first. */
  function read<T>(ctx: CallContext, work: () => Promise<T>): Promise<T> {
    return beforeDeadline(ctx, () => timeoutError('ler o catálogo'), work);
  }

  /** Units on hand per product id, from estoque; its failures become 503/504 with a clear message. */
  async function stock(ids: readonly number[], ctx: CallContext): Promise<Map<number, number>> {
    if (ctx.deadline - Date.now() <= 0) throw timeoutError('consultar o estoque');
    try {
      const saldos = await estoque.consultar(ids, ctx);
      return new Map(saldos.map((s) => [s.produto_id, s.quantidade_disponivel]));
    } catch (error) {
      if (isAppError(error) && (error.code === 'timeout' || error.code === 'unavailable'))
        throw new AppError(error.code, `não foi possível ler o estoque dos produtos: ${error.detail}`, {
          cause: error,
        });
      const detail = isAppError(error) ? `${error.code}: ${error.detail}` : String(error);
      throw new AppError('unavailable', `o serviço de estoque falhou ao informar o estoque: ${detail}`, {
        cause: error,
      });
    }
  }

  /** One operation row (its own small insert: reads change nothing else), then its log line. */
  async function record(
    operacao: string,
    mensagem: string,
    detalhes: Record<string, unknown>,
    ctx: CallContext,
  ): Promise<void> {
    try {
      await recordOperation(db, {
        operacao,
        mensagem,
        detalhes,
        traceId: ctx.traceId,
        at: new Date(now()).toISOString(),
      });
    } catch (error) {
      throw translateDatabaseError(error);
    }
    logger.withTrace(ctx.traceId).info(mensagem);
  }

  function withStock(row: ProdutoRow, saldos: ReadonlyMap<number, number>): Produto {
    return {
      id: row.id,
      nome: row.nome,
      preco_centavos: row.preco_centavos,
      quantidade_estoque: saldos.get(row.id) ?? 0,
    };
  }

  async function list(
    query: CatalogoQuery,
    ctx: CallContext,
  ): Promise<{ produtos: ProdutoInfoValue[]; total: number }> {
    const rows = await read(ctx, () => store.all(db));
    const saldos = await stock([], ctx);
    const lista: ListaProdutos = listarProdutos(
      rows.map((row) => withStock(row, saldos)),
      query,
    );
    const filtro = { disponivel: query.disponivel ?? null, limit: query.limit, offset: query.offset };
    await record(
      'produtos_listados',
      `Catálogo listado: ${lista.produtos.length} produto(s)`,
      { filtro, total: lista.total },
      ctx,
    );
    return { produtos: lista.produtos.map((p) => ({ ...p })), total: lista.total };
  }

  return {
    async listar(raw, ctx) {
      const checked = validateCatalogoQuery(raw);
      if (!checked.ok) throw queryFailed(checked.errors, 'querystring.');
      return list(checked.value, ctx);
    },

    async listarProdutos(query: ListarProdutosQuery, ctx) {
      // The typed query goes through the same validator as the query string, so every
      // transport has one set of bounds and messages.
      const raw: Record<string, string> = { limit: String(query.limit), offset: String(query.offset) };
      if (query.disponivel !== undefined) raw['disponivel'] = String(query.disponivel);
      const checked = validateCatalogoQuery(raw);
      if (!checked.ok) throw queryFailed(checked.errors, '');
      return list(checked.value, ctx);
    },

    async obterProdutos(ids, ctx): Promise<ProdutoPrecoValue[]> {
      const checked = validateProdutoIds(ids);
      if (!checked.ok) throw validationFailed(checked.errors);
      const rows = await read(ctx, () => store.byIds(db, checked.value));
      await record(
        'produtos_consultados',
        `Produtos consultados: ${rows.length} de ${checked.value.length} encontrado(s)`,
        { ids: checked.value },
        ctx,
      );
      return rows.map((r) => ({ id: r.id, nome: r.nome, preco_centavos: r.preco_centavos }));
    },

    async obterProduto(id, ctx) {
      if (!Number.isInteger(id) || id < 1 || id > MAX_PRODUTO_ID)
        throw validationFailed([
          { field: 'id', reason: `id must be an integer from 1 to ${MAX_PRODUTO_ID}` },
        ]);
      const row = await read(ctx, () => store.byId(db, id));
      if (row === undefined) throw new AppError('not-found', `o produto ${id} não existe`);
      const saldos = await stock([id], ctx);
      const produto = withStock(row, saldos);
      await record('produtos_consultados', `Produto consultado: ${id}`, { ids: [id] }, ctx);
      return {
        id: produto.id,
        nome: produto.nome,
        estoque: produto.quantidade_estoque,
        preco_centavos: produto.preco_centavos,
      };
    },
  };
}
