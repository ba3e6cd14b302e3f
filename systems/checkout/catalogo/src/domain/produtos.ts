/**
 * The catalogue's listing: the seed's `[{"id": 1, "nome": "Produto A", "estoque": 10}, …]`
 * (REST) and `ProdutoInfo { id, nome, estoque }` (gRPC), plus `preco_centavos` so a client can
 * show a price and the checkout can be priced from the same source.
 *
 * Order: ascending id, always. The seed's example is in id order, and a fixed total order is what
 * makes limit/offset pages stable (no product seen twice or skipped between pages while nothing
 * changes).
 */
import type { CatalogoQuery } from './query.js';

/** A product as the catalogue stores it (the seed's `produtos` row, price in centavos). */
export interface Produto {
  readonly id: number;
  readonly nome: string;
  readonly preco_centavos: number;
  readonly quantidade_estoque: number;
}

/** A product as the listing shows it. */
export interface ProdutoInfo {
  readonly id: number;
  readonly nome: string;
  readonly estoque: number;
  readonly preco_centavos: number;
}

export interface ListaProdutos {
  readonly produtos: readonly ProdutoInfo[];
  /** How many products match the filter, before limit/offset: what a pager needs. */
  readonly total: number;
}

export function toProdutoInfo(p: Produto): ProdutoInfo {
  return { id: p.id, nome: p.nome, estoque: p.quantidade_estoque, preco_centavos: p.preco_centavos };
}

/** `disponivel=true`: in stock (estoque > 0); `false`: out of stock; absent: all. */
export function matches(p: Produto, query: CatalogoQuery): boolean {
  if (query.disponivel === undefined) return true;
  return query.disponivel === p.quantidade_estoque > 0;
}

/**
 * The page the query asks for. The adapter normally does this in SQL (`WHERE … ORDER BY id LIMIT
 * ? OFFSET ?`); this function is the rule that SQL must match, and the in-memory implementation.
 */
export function listarProdutos(produtos: readonly Produto[], query: CatalogoQuery): ListaProdutos {
  const selected = produtos.filter((p) => matches(p, query)).sort((a, b) => a.id - b.id);
  return {
    produtos: selected.slice(query.offset, query.offset + query.limit).map(toProdutoInfo),
    total: selected.length,
  };
}

/**
 * The seed stores `preco REAL` in reais (e.g. 10.5, 500.99). Converts to centavos, refusing
 * anything that is not a whole number of centavos once float noise (≤ 10⁻⁶ centavo) is ignored:
 * 19.999 is a data error, not 2000 centavos.
 */
export function reaisToCentavos(
  reais: number,
): { readonly ok: true; readonly value: number } | { readonly ok: false; readonly reason: string } {
  const scaled = reais * 100;
  const centavos = Math.round(scaled);
  if (!Number.isFinite(reais) || reais < 0 || !Number.isSafeInteger(centavos))
    return { ok: false, reason: `price ${reais} is not a non-negative amount of reais` };
  if (Math.abs(scaled - centavos) > 1e-6)
    return { ok: false, reason: `price ${reais} has fractions of a centavo` };
  return { ok: true, value: centavos };
}
