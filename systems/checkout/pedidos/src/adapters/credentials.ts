import { sql } from '@dslab/db';
import type { Kysely } from 'kysely';
import type { PedidosTables } from './schema.js';

/** What a login checks: the customer of an e-mail and their password hash, if they have one. */
export interface LoginRow {
  readonly cliente_id: number;
  readonly email: string;
  readonly senha_hash: string;
}

/** The customers' logins (table `credenciais`, one scrypt hash per customer). */
export function createCredentialsStore(db: Kysely<PedidosTables>) {
  return {
    /** The login of the customer with this e-mail (compared without case); undefined when none. */
    async findLogin(email: string): Promise<LoginRow | undefined> {
      return db
        .selectFrom('clientes')
        .innerJoin('credenciais', 'credenciais.cliente_id', 'clientes.id')
        .select(['clientes.id as cliente_id', 'clientes.email', 'credenciais.senha_hash'])
        .where(sql<string>`lower(clientes.email)`, '=', email.trim().toLowerCase())
        .executeTakeFirst();
    },

    /** Sets (or replaces) one customer's password hash. */
    async setPassword(clienteId: number, senhaHash: string): Promise<void> {
      await db
        .insertInto('credenciais')
        .values({ cliente_id: clienteId, senha_hash: senhaHash })
        .onConflict((oc) => oc.column('cliente_id').doUpdateSet({ senha_hash: senhaHash }))
        .execute();
    },

    /**
     * Gives `senhaHash` to every customer without a login, in one statement (the seed's customers
     * have no password: a development default lets them log in). Two instances starting at once
     * skip each other's rows. Answers how many customers got it.
     */
    async grantDefault(senhaHash: string): Promise<number> {
      const result = await db
        .insertInto('credenciais')
        .columns(['cliente_id', 'senha_hash'])
        .expression((eb) =>
          eb
            .selectFrom('clientes')
            .select((s) => ['clientes.id', s.val(senhaHash).as('senha_hash')])
            .where('clientes.id', 'not in', eb.selectFrom('credenciais').select('credenciais.cliente_id')),
        )
        .onConflict((oc) => oc.column('cliente_id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n);
    },
  };
}

export type CredentialsStore = ReturnType<typeof createCredentialsStore>;
