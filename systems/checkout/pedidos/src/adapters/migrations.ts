import { idColumn } from '@dslab/checkout-kit';
import type { Engine } from '@dslab/db';
import { sql, type Migration } from 'kysely';
import { METODO_PAGAMENTO_VALUES, PEDIDO_STATUS_VALUES } from '@dslab/checkout-contracts';
import { CHAIN_DONE } from '../domain/status.js';

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/** The orders' tables; invariants as constraints (known statuses and methods, positive quantities, money ≥ 0). */
export function pedidosMigrations(engine: Engine): Record<string, Migration> {
  return {
    '0001_pedidos': {
      async up(db) {
        await idColumn(db, engine, 'clientes')
          .addColumn('nome', 'text', (c) => c.notNull())
          .addColumn('email', 'text', (c) => c.notNull().unique())
          .execute();
        await idColumn(db, engine, 'pedidos')
          .addColumn('cliente_id', 'bigint', (c) => c.notNull().references('clientes.id'))
          .addColumn('data_criacao', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) =>
            c.notNull().check(sql`status IN (${inList(PEDIDO_STATUS_VALUES)})`),
          )
          .addColumn('valor_total_centavos', 'bigint', (c) =>
            c.notNull().check(sql`valor_total_centavos >= 0`),
          )
          .addColumn('metodo_pagamento', 'text', (c) =>
            c.notNull().check(sql`metodo_pagamento IN (${inList(METODO_PAGAMENTO_VALUES)})`),
          )
          .addColumn('motivo', 'text')
          .addColumn('nota_fiscal_id', 'bigint')
          .addColumn('numero_nota_fiscal', 'text')
          .addColumn('codigo_rastreamento', 'text')
          .addColumn('atualizado_em', 'text', (c) => c.notNull())
          .addColumn('idempotency_key', 'text', (c) => c.unique())
          .addColumn('fingerprint', 'text', (c) => c.notNull())
          .addColumn('em_execucao_ate', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('compensacao', 'text')
          .addColumn('tentativas', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('origem', 'text', (c) => c.notNull().check(sql`origem IN ('checkout', 'importado')`))
          .execute();
        await db.schema.createIndex('pedidos_status').on('pedidos').columns(['status', 'id']).execute();
        // No UNIQUE (pedido_id, produto_id): the seed's generator may list a product twice in one
        // order, and its orders are imported as they are. New orders refuse duplicate lines in
        // validation (domain/checkout-request.ts).
        await idColumn(db, engine, 'itens_pedido')
          .addColumn('pedido_id', 'bigint', (c) => c.notNull().references('pedidos.id'))
          .addColumn('produto_id', 'bigint', (c) => c.notNull())
          .addColumn('quantidade', 'integer', (c) => c.notNull().check(sql`quantidade > 0`))
          .addColumn('preco_unitario_centavos', 'bigint', (c) =>
            c.notNull().check(sql`preco_unitario_centavos >= 0`),
          )
          .execute();
      },
    },
    // The asynchronous checkout's logins (one password hash per customer) and its list of a
    // customer's own orders, newest first.
    '0002_credenciais': {
      async up(db) {
        await db.schema
          .createIndex('pedidos_por_cliente')
          .on('pedidos')
          .columns(['cliente_id', 'id'])
          .execute();
        await db.schema
          .createTable('credenciais')
          .addColumn('cliente_id', 'bigint', (c) => c.primaryKey().references('clientes.id'))
          .addColumn('senha_hash', 'text', (c) => c.notNull())
          .execute();
      },
    },
    // The asynchronous checkout's sweep for stalled orders (application/redrive.ts) walks the
    // orders placed here that are not final, by id: only those are in this (partial) index.
    '0003_pedidos_em_andamento': {
      async up(db) {
        await db.schema
          .createIndex('pedidos_em_andamento')
          .on('pedidos')
          .column('id')
          .where(sql<boolean>`origem = 'checkout' AND status NOT IN (${inList(CHAIN_DONE)})`)
          .execute();
      },
    },
  };
}
