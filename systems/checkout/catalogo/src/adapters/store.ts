import type { Executor } from '@dslab/checkout-kit';
import type { CatalogoTables } from './schema.js';

type Db = Executor<CatalogoTables>;

export interface ProdutoRow {
  readonly id: number;
  readonly nome: string;
  readonly preco_centavos: number;
}

/** The catalogue's queries, ordered by id (the listing's fixed order). */
export const catalogoStore = {
  async all(db: Db): Promise<ProdutoRow[]> {
    return db.selectFrom('produtos').select(['id', 'nome', 'preco_centavos']).orderBy('id').execute();
  },

  /** The known products among `ids` (non-empty), ascending. */
  async byIds(db: Db, ids: readonly number[]): Promise<ProdutoRow[]> {
    return db
      .selectFrom('produtos')
      .select(['id', 'nome', 'preco_centavos'])
      .where('id', 'in', ids)
      .orderBy('id')
      .execute();
  },

  async byId(db: Db, id: number): Promise<ProdutoRow | undefined> {
    return db
      .selectFrom('produtos')
      .select(['id', 'nome', 'preco_centavos'])
      .where('id', '=', id)
      .executeTakeFirst();
  },
};
