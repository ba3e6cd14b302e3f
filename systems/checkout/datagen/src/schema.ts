/**
 * The interchange format of seed 003 ("Geração de Dados Sintéticos"): the seven tables of the
 * seed's `ecommerce.db`, with exactly the seed's table names, column names, types and constraints.
 * Prices are REAL (reais) here because that is what the seed writes; the services convert them to
 * integer centavos with {@link toCentavos} when they load the file.
 *
 * The DDL strings are the seed's statements as written (only the comment on `pedidos.status`, which
 * the course PDF wraps over two lines, is kept on one line so that it stays a comment).
 */

// The seed's order statuses (and `entregue`, which the seed's generator also writes) are the
// pedidos domain's own list: one definition for the data and the service that owns orders.
export {
  PEDIDO_STATUS_VALUES as PEDIDO_STATUSES,
  type PedidoStatusValue as PedidoStatus,
} from '@dslab/checkout-contracts';

/** Payment statuses from the seed's comment (the generator only writes aprovado / rejeitado). */
export const PAGAMENTO_STATUSES = ['aprovado', 'rejeitado', 'pendente'] as const;
export type PagamentoStatus = (typeof PAGAMENTO_STATUSES)[number];

export const PAGAMENTO_METODOS = ['cartao_credito', 'boleto', 'pix'] as const;
export type PagamentoMetodo = (typeof PAGAMENTO_METODOS)[number];

export const ENVIO_STATUSES = ['aguardando_envio', 'enviado', 'entregue'] as const;
export type EnvioStatus = (typeof ENVIO_STATUSES)[number];

export const CATEGORIAS = ['Eletrônico', 'Vestuário', 'Livro', 'Alimento'] as const;
export type Categoria = (typeof CATEGORIAS)[number];

// Row types: one property per column, named as the column. Nullable exactly where the DDL allows
// NULL, because a file produced elsewhere may hold NULLs even though this generator never writes one.

export interface ClienteRow {
  id: number;
  nome: string;
  email: string;
}

export interface ProdutoRow {
  id: number;
  nome: string;
  /** Reais, 2 decimals (REAL in the file). */
  preco: number;
  quantidade_estoque: number;
}

export interface PedidoRow {
  id: number;
  cliente_id: number;
  /** UTC ISO-8601 with milliseconds and `Z`. */
  data_criacao: string;
  status: string;
  /** Reais, 2 decimals: the sum of quantidade × preco_unitario of the order's items. */
  valor_total: number | null;
}

export interface ItemPedidoRow {
  id: number;
  pedido_id: number;
  produto_id: number;
  quantidade: number;
  /** Reais, 2 decimals: the product's price when the order was created. */
  preco_unitario: number;
}

export interface PagamentoRow {
  id: number;
  pedido_id: number;
  data_processamento: string;
  status: string;
  metodo: string | null;
}

export interface NotaFiscalRow {
  id: number;
  pedido_id: number;
  numero: string;
  data_emissao: string;
  chave_acesso: string | null;
}

export interface EnvioRow {
  id: number;
  pedido_id: number;
  nota_fiscal_id: number;
  data_despacho: string | null;
  codigo_rastreamento: string | null;
  status: string;
}

/** Every table's rows, keyed by table name. */
export interface Dataset {
  clientes: ClienteRow[];
  produtos: ProdutoRow[];
  pedidos: PedidoRow[];
  itens_pedido: ItemPedidoRow[];
  pagamentos: PagamentoRow[];
  notas_fiscais: NotaFiscalRow[];
  envios: EnvioRow[];
}

export type TableName = keyof Dataset;

export interface TableDefinition<N extends TableName = TableName> {
  readonly name: N;
  /** Column names in DDL order. */
  readonly columns: readonly (keyof Dataset[N][number] & string)[];
  readonly ddl: string;
}

const clientes: TableDefinition<'clientes'> = {
  name: 'clientes',
  columns: ['id', 'nome', 'email'],
  ddl: ` CREATE TABLE IF NOT EXISTS clientes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    nome TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE
); `,
};

const produtos: TableDefinition<'produtos'> = {
  name: 'produtos',
  columns: ['id', 'nome', 'preco', 'quantidade_estoque'],
  ddl: ` CREATE TABLE IF NOT EXISTS produtos (
    id INTEGER PRIMARY KEY,
    nome TEXT NOT NULL,
    preco REAL NOT NULL,
    quantidade_estoque INTEGER NOT NULL
); `,
};

const pedidos: TableDefinition<'pedidos'> = {
  name: 'pedidos',
  columns: ['id', 'cliente_id', 'data_criacao', 'status', 'valor_total'],
  ddl: ` CREATE TABLE IF NOT EXISTS pedidos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cliente_id INTEGER NOT NULL,
    data_criacao TEXT NOT NULL,
    status TEXT NOT NULL, -- Ex: 'pendente', 'pagamento_aprovado', 'em_separacao', 'nf_emitida', 'enviado', 'cancelado'
    valor_total REAL,
    FOREIGN KEY (cliente_id) REFERENCES clientes (id)
); `,
};

const itensPedido: TableDefinition<'itens_pedido'> = {
  name: 'itens_pedido',
  columns: ['id', 'pedido_id', 'produto_id', 'quantidade', 'preco_unitario'],
  ddl: ` CREATE TABLE IF NOT EXISTS itens_pedido (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pedido_id INTEGER NOT NULL,
    produto_id INTEGER NOT NULL,
    quantidade INTEGER NOT NULL,
    preco_unitario REAL NOT NULL,
    FOREIGN KEY (pedido_id) REFERENCES pedidos (id),
    FOREIGN KEY (produto_id) REFERENCES produtos (id)
); `,
};

const pagamentos: TableDefinition<'pagamentos'> = {
  name: 'pagamentos',
  columns: ['id', 'pedido_id', 'data_processamento', 'status', 'metodo'],
  ddl: ` CREATE TABLE IF NOT EXISTS pagamentos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pedido_id INTEGER NOT NULL UNIQUE, -- Geralmente 1 pagamento por pedido
    data_processamento TEXT NOT NULL,
    status TEXT NOT NULL, -- Ex: 'aprovado', 'rejeitado', 'pendente'
    metodo TEXT,
    FOREIGN KEY (pedido_id) REFERENCES pedidos (id)
); `,
};

const notasFiscais: TableDefinition<'notas_fiscais'> = {
  name: 'notas_fiscais',
  columns: ['id', 'pedido_id', 'numero', 'data_emissao', 'chave_acesso'],
  ddl: ` CREATE TABLE IF NOT EXISTS notas_fiscais (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pedido_id INTEGER NOT NULL UNIQUE,
    numero TEXT NOT NULL UNIQUE,
    data_emissao TEXT NOT NULL,
    chave_acesso TEXT,
    FOREIGN KEY (pedido_id) REFERENCES pedidos (id)
); `,
};

const envios: TableDefinition<'envios'> = {
  name: 'envios',
  columns: ['id', 'pedido_id', 'nota_fiscal_id', 'data_despacho', 'codigo_rastreamento', 'status'],
  ddl: ` CREATE TABLE IF NOT EXISTS envios (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pedido_id INTEGER NOT NULL UNIQUE,
    nota_fiscal_id INTEGER NOT NULL UNIQUE,
    data_despacho TEXT,
    codigo_rastreamento TEXT,
    status TEXT NOT NULL, -- Ex: 'aguardando_envio', 'enviado', 'entregue'
    FOREIGN KEY (pedido_id) REFERENCES pedidos (id),
    FOREIGN KEY (nota_fiscal_id) REFERENCES notas_fiscais (id)
); `,
};

/** The seven tables in the seed's creation order (parents before children). */
export const TABLES = [clientes, produtos, pedidos, itensPedido, pagamentos, notasFiscais, envios] as const;

/** The seed's table names, in creation order. */
export const TABLE_NAMES: readonly TableName[] = TABLES.map((table) => table.name);

/**
 * Converts a price in reais, as stored in this file (REAL), to integer centavos.
 *
 * `Math.round(reais * 100)` is wrong for values such as 10.505, whose nearest double is
 * 10.50499999999999989…, so `10.505 * 100` is 1050.4999999999998 and rounds down to 1050. Instead
 * this takes the shortest decimal text that reads back as the same double (`String(10.505)` is
 * "10.505", which is what whoever wrote the value meant) and rounds that decimal to centavos, ties
 * away from zero: 10.505 → 1051, 1.005 → 101, -10.505 → -1051, 0.1 + 0.2 → 30.
 *
 * Throws a RangeError for NaN, ±Infinity and amounts beyond Number.MAX_SAFE_INTEGER centavos.
 */
export function toCentavos(reais: number): number {
  if (!Number.isFinite(reais)) throw new RangeError(`not a finite amount: ${reais}`);
  const text = Math.abs(reais).toString();
  let centavos: number;
  if (text.includes('e')) {
    // Exponent form: below 1e-6 (rounds to 0 centavos) or at least 1e21 (far beyond safe integers).
    if (Math.abs(reais) >= 1) throw new RangeError(`amount too large for centavos: ${reais}`);
    centavos = 0;
  } else {
    const [whole = '0', fraction = ''] = text.split('.');
    const digits = `${fraction}000`;
    centavos = Number(whole) * 100 + Number(digits.slice(0, 2));
    // Only the third decimal decides: ≥ 5 means the rest is ≥ half a centavo.
    if (Number(digits[2]) >= 5) centavos += 1;
  }
  if (!Number.isSafeInteger(centavos)) throw new RangeError(`amount too large for centavos: ${reais}`);
  return reais < 0 && centavos !== 0 ? -centavos : centavos;
}
