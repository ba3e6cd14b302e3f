import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { createFaker } from './faker.js';
import { generateDataset } from './generate.js';
import { DEFAULT_NOW } from './options.js';
import { readDataset } from './read.js';
import { TABLE_NAMES } from './schema.js';
import { writeDatabase } from './write.js';

const dir = mkdtempSync(join(tmpdir(), 'datagen-write-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const NOW = Date.parse(DEFAULT_NOW);
const sizes = { clientes: 20, produtos: 10, pedidos: 60 };
const dataset = () => generateDataset(createFaker(42), sizes, NOW);

/** The seed's DDL, copied from seed 003 §4 (independent of schema.ts on purpose). */
const SEED_DDL = `
CREATE TABLE IF NOT EXISTS produtos (
    id INTEGER PRIMARY KEY,
    nome TEXT NOT NULL,
    preco REAL NOT NULL,
    quantidade_estoque INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS clientes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    nome TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS pedidos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cliente_id INTEGER NOT NULL,
    data_criacao TEXT NOT NULL,
    status TEXT NOT NULL, -- Ex: 'pendente', 'pagamento_aprovado', 'em_separacao', 'nf_emitida', 'enviado', 'cancelado'
    valor_total REAL,
    FOREIGN KEY (cliente_id) REFERENCES clientes (id)
);
CREATE TABLE IF NOT EXISTS itens_pedido (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pedido_id INTEGER NOT NULL,
    produto_id INTEGER NOT NULL,
    quantidade INTEGER NOT NULL,
    preco_unitario REAL NOT NULL,
    FOREIGN KEY (pedido_id) REFERENCES pedidos (id),
    FOREIGN KEY (produto_id) REFERENCES produtos (id)
);
CREATE TABLE IF NOT EXISTS pagamentos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pedido_id INTEGER NOT NULL UNIQUE, -- Geralmente 1 pagamento por pedido
    data_processamento TEXT NOT NULL,
    status TEXT NOT NULL, -- Ex: 'aprovado', 'rejeitado', 'pendente'
    metodo TEXT,
    FOREIGN KEY (pedido_id) REFERENCES pedidos (id)
);
CREATE TABLE IF NOT EXISTS notas_fiscais (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pedido_id INTEGER NOT NULL UNIQUE,
    numero TEXT NOT NULL UNIQUE,
    data_emissao TEXT NOT NULL,
    chave_acesso TEXT,
    FOREIGN KEY (pedido_id) REFERENCES pedidos (id)
);
CREATE TABLE IF NOT EXISTS envios (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pedido_id INTEGER NOT NULL UNIQUE,
    nota_fiscal_id INTEGER NOT NULL UNIQUE,
    data_despacho TEXT,
    codigo_rastreamento TEXT,
    status TEXT NOT NULL, -- Ex: 'aguardando_envio', 'enviado', 'entregue'
    FOREIGN KEY (pedido_id) REFERENCES pedidos (id),
    FOREIGN KEY (nota_fiscal_id) REFERENCES notas_fiscais (id)
);`;

/** Everything SQLite knows about a table's shape: columns, unique indexes, foreign keys, AUTOINCREMENT. */
function describe(db: Database.Database): Record<string, unknown> {
  const tables = db
    .prepare(
      `SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence' ORDER BY name`,
    )
    .all() as { name: string; sql: string }[];
  const out: Record<string, unknown> = {};
  for (const { name, sql } of tables) {
    const indexes = (db.pragma(`index_list(${name})`) as { name: string; unique: number; origin: string }[])
      .map((index) => ({
        unique: index.unique,
        origin: index.origin,
        columns: (db.pragma(`index_info(${index.name})`) as { name: string }[]).map((c) => c.name),
      }))
      .sort((a, b) => a.columns.join().localeCompare(b.columns.join()));
    out[name] = {
      columns: db.pragma(`table_info(${name})`),
      indexes,
      foreignKeys: (db.pragma(`foreign_key_list(${name})`) as { table: string; from: string; to: string }[])
        .map(({ table, from, to }) => ({ table, from, to }))
        .sort((a, b) => a.from.localeCompare(b.from)),
      autoincrement: /AUTOINCREMENT/i.test(sql),
    };
  }
  return out;
}

test('the file has exactly the seed\u2019s tables and columns (names, types, NOT NULL, keys, UNIQUE, foreign keys)', () => {
  const file = join(dir, 'schema.db');
  writeDatabase(file, dataset());
  const written = new Database(file, { readonly: true });
  const seed = new Database(':memory:');
  seed.exec(SEED_DDL);
  try {
    const actual = describe(written);
    assert.deepEqual(Object.keys(actual).sort(), [...TABLE_NAMES].sort());
    assert.deepEqual(actual, describe(seed));
  } finally {
    written.close();
    seed.close();
  }
});

test('the file holds every generated row, and reading it back gives the same data set', () => {
  const file = join(dir, 'roundtrip.db');
  const generated = dataset();
  writeDatabase(file, generated);
  assert.deepEqual(readDataset(file), generated);
  const db = new Database(file, { readonly: true });
  try {
    assert.deepEqual(db.pragma('foreign_key_check'), []);
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.equal(db.pragma('journal_mode', { simple: true }), 'delete');
  } finally {
    db.close();
  }
});

test('the same rows give a byte-identical file', () => {
  const a = join(dir, 'a.db');
  const b = join(dir, 'b.db');
  writeDatabase(a, dataset());
  writeDatabase(b, dataset());
  assert.ok(readFileSync(a).equals(readFileSync(b)));
});

test('an existing file (and stale journal files) is replaced, and missing parent folders are created', () => {
  const file = join(dir, 'nested', 'deeper', 'ecommerce.db');
  assert.equal(writeDatabase(file, dataset()).replaced, false);
  writeFileSync(`${file}-wal`, 'stale');
  const small = generateDataset(createFaker(1), { clientes: 2, produtos: 1, pedidos: 3 }, NOW);
  assert.equal(writeDatabase(file, small).replaced, true);
  assert.ok(!existsSync(`${file}-wal`));
  assert.deepEqual(readDataset(file), small);
});

test('when a row breaks a constraint, then nothing is left at the path', () => {
  const file = join(dir, 'broken.db');
  const broken = dataset();
  const first = broken.clientes[0];
  assert.ok(first);
  broken.clientes.push({ ...first, id: broken.clientes.length + 1 }); // duplicate e-mail
  assert.throws(() => writeDatabase(file, broken), /UNIQUE constraint failed: clientes.email/);
  assert.ok(!existsSync(file));
});

test('reading a file that lacks a seed column names it', () => {
  const file = join(dir, 'foreign.db');
  const db = new Database(file);
  db.exec(SEED_DDL.replace('chave_acesso TEXT,', ''));
  db.close();
  assert.throws(() => readDataset(file), /notas_fiscais lacks column\(s\) chave_acesso/);
});
