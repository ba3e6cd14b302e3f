import type { CommonTables } from '@dslab/checkout-kit';
import type { Generated } from 'kysely';

/**
 * The seed's `notas_fiscais` columns (id, pedido_id, numero, data_emissao, chave_acesso) plus the
 * invoice's total in centavos, its série and number (nNF, inside the chave; NULL for the seed's
 * imported rows, whose numbers came from its generator) and its lines as JSON.
 */
export interface NotasFiscaisTable {
  id: Generated<number>;
  pedido_id: number;
  numero: string;
  data_emissao: string;
  chave_acesso: string | null;
  valor_centavos: number;
  serie: number | null;
  nnf: number | null;
  /** JSON array of {produto_id, quantidade, preco_unitario_centavos}; NULL for imported rows. */
  itens: string | null;
}

/** One row per série: the last number issued on it (0 before the first). */
export interface SeriesTable {
  serie: number;
  ultimo_nnf: number;
}

export interface FiscalTables extends CommonTables {
  notas_fiscais: NotasFiscaisTable;
  series: SeriesTable;
}
