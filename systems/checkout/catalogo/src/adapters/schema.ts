import type { CommonTables } from '@dslab/checkout-kit';
import type { Generated } from 'kysely';

/** The seed's `produtos` without the stock (estoque owns it), price in centavos. */
export interface ProdutosTable {
  id: Generated<number>;
  nome: string;
  preco_centavos: number;
}

export interface CatalogoTables extends CommonTables {
  produtos: ProdutosTable;
}
