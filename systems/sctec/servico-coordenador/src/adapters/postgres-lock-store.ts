/**
 * The coordinator's lock state in PostgreSQL, shared by every coordinator on the same database
 * and schema (the namespace). The same steps as the Redis store, each one a short transaction
 * serialised per resource by a transaction-scoped advisory lock, on the database's clock
 * (`clock_timestamp()`, read after the lock is held) so all coordinators agree on lease ends.
 *
 * Schema N (created at start-up, idempotently, under an advisory lock so two coordinators that
 * start at once do not race on CREATE … IF NOT EXISTS):
 *   N.lock_tokens    SEQUENCE  fencing tokens: durable and strictly increasing across coordinators
 *   N.lock_tickets   SEQUENCE  ticket numbers: FIFO order across coordinators
 *   N.locks          (resource PK, token, expires_ms)             one row per held resource
 *   N.lock_waiters   (resource, ticket PK, live_until_ms)          the FIFO queues
 * Wake-ups: `pg_notify('<N>_wake', resource)` (sent at commit), heard on one LISTEN connection.
 *
 * Durability: a sequence never hands out a value twice, even across a crash (PostgreSQL logs
 * sequence values ahead), so tokens stay strictly increasing without any file on the
 * coordinators. Leases and queues are ordinary rows.
 */
import { AppError } from '@dslab/errors';
import type { Pool, PoolClient } from 'pg';
import type { HolderInfo, ReleaseResult } from '../domain/lock-table.js';
import type { ExpiryCheck, SharedLockStore, StoreStep } from '../domain/shared-lock-service.js';
import { DEFAULT_TICKET_LIVENESS_MS } from './redis-lock-store.js';

/** How long the LISTEN connection waits before coming back after an error (the poll covers meanwhile). */
const RELISTEN_MS = 1_000;
/** Waiter rows this long past their liveness are swept by `heldCount` (a dead coordinator's leftovers). */
const GC_MS = 60_000;

export interface PostgresLockStoreOptions {
  /** The caller owns the pool and ends it after the lock service is closed. */
  readonly pool: Pool;
  /** Schema holding the tables: lower-case letters, digits, `_`; coordinators that share locks share it. */
  readonly schema: string;
  readonly ticketLivenessMs?: number;
}

export interface PostgresLockStore extends SharedLockStore {
  /** Stops listening and returns the LISTEN connection to the pool. */
  close(): Promise<void>;
}

function unavailable(error: unknown): never {
  if (error instanceof AppError) throw error;
  throw new AppError('unavailable', 'The coordinator cannot reach its lock store (PostgreSQL)', {
    cause: error,
  });
}

function int(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`unexpected value from PostgreSQL: ${JSON.stringify(value)}`);
  return n;
}

/** Creates the schema, sequences and tables if they are missing; safe to run from several processes at once. */
export async function migrateLockSchema(pool: Pool, schema: string): Promise<void> {
  const ns = quoteSchema(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `servico-coordenador:migrate:${schema}`,
    ]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${ns}`);
    await client.query(`CREATE SEQUENCE IF NOT EXISTS ${ns}.lock_tokens`);
    await client.query(`CREATE SEQUENCE IF NOT EXISTS ${ns}.lock_tickets`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${ns}.locks (
         resource text PRIMARY KEY,
         token bigint NOT NULL CHECK (token > 0),
         expires_ms bigint NOT NULL
       )`,
    );
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${ns}.lock_waiters (
         ticket bigint PRIMARY KEY,
         resource text NOT NULL,
         live_until_ms bigint NOT NULL
       )`,
    );
    await client.query(
      `CREATE INDEX IF NOT EXISTS lock_waiters_by_resource ON ${ns}.lock_waiters (resource, ticket)`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function quoteSchema(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,50}$/.test(schema)) {
    throw new RangeError(
      `schema must be 1 to 51 lower-case letters, digits or _ (not starting with a digit), got ${JSON.stringify(schema)}`,
    );
  }
  return `"${schema}"`;
}

interface Tx {
  readonly client: PoolClient;
  readonly now: number;
}

export async function createPostgresLockStore({
  pool,
  schema,
  ticketLivenessMs = DEFAULT_TICKET_LIVENESS_MS,
}: PostgresLockStoreOptions): Promise<PostgresLockStore> {
  const ns = quoteSchema(schema);
  const channel = `${schema}_wake`;
  const lockSpace = `servico-coordenador:lock:${schema}`;
  try {
    await migrateLockSchema(pool, schema);
  } catch (error) {
    unavailable(error);
  }

  /** One atomic step on `resource`: serialised with every other step on it, on the database clock. */
  async function onResource<T>(resource: string, body: (tx: Tx) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      return unavailable(error);
    }
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))', [lockSpace, resource]);
      const { rows } = await client.query<{ now: string }>(
        'SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now',
      );
      const result = await body({ client, now: int(rows[0]?.now) });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      return unavailable(error);
    } finally {
      client.release();
    }
  }

  /** The live lease; an expired one is deleted and its token returned as `expired`. */
  async function settle(
    { client, now }: Tx,
    resource: string,
  ): Promise<{ token: number | undefined; expiresMs: number; expired: number | undefined }> {
    const { rows } = await client.query<{ token: string; expires_ms: string }>(
      `SELECT token, expires_ms FROM ${ns}.locks WHERE resource = $1`,
      [resource],
    );
    const row = rows[0];
    if (row === undefined) return { token: undefined, expiresMs: 0, expired: undefined };
    const expiresMs = int(row.expires_ms);
    if (expiresMs > now) return { token: int(row.token), expiresMs, expired: undefined };
    await client.query(`DELETE FROM ${ns}.locks WHERE resource = $1`, [resource]);
    return { token: undefined, expiresMs: 0, expired: int(row.token) };
  }

  /** Drops lapsed tickets; returns the live ones in FIFO order. */
  async function prune({ client, now }: Tx, resource: string): Promise<string[]> {
    const { rows } = await client.query<{ ticket: string; live_until_ms: string }>(
      `SELECT ticket, live_until_ms FROM ${ns}.lock_waiters WHERE resource = $1 ORDER BY ticket`,
      [resource],
    );
    const live = rows.filter((r) => int(r.live_until_ms) > now).map((r) => r.ticket);
    if (live.length < rows.length) {
      await client.query(`DELETE FROM ${ns}.lock_waiters WHERE resource = $1 AND live_until_ms <= $2`, [
        resource,
        now,
      ]);
    }
    return live;
  }

  async function grant({ client, now }: Tx, resource: string, ttlMs: number): Promise<number> {
    const { rows } = await client.query<{ token: string }>(
      `INSERT INTO ${ns}.locks (resource, token, expires_ms)
       VALUES ($1, nextval('${ns}.lock_tokens'), $2)
       ON CONFLICT (resource) DO UPDATE SET token = excluded.token, expires_ms = excluded.expires_ms
       RETURNING token`,
      [resource, now + ttlMs],
    );
    return int(rows[0]?.token);
  }

  async function wake({ client }: Tx, resource: string): Promise<void> {
    await client.query('SELECT pg_notify($1, $2)', [channel, resource]);
  }

  async function leaveQueue({ client }: Tx, ticket: string): Promise<void> {
    await client.query(`DELETE FROM ${ns}.lock_waiters WHERE ticket = $1`, [ticket]);
  }

  // LISTEN on one pooled connection, re-established after an error (the poll covers the gap).
  const listeners = new Set<(resource: string) => void>();
  let listener: PoolClient | undefined;
  let relisten: NodeJS.Timeout | undefined;
  let closed = false;
  const onNotification = (message: { channel: string; payload?: string | undefined }) => {
    if (message.channel !== channel || message.payload === undefined) return;
    for (const l of listeners) l(message.payload);
  };
  function scheduleRelisten(): void {
    if (closed || relisten !== undefined) return;
    relisten = setTimeout(() => {
      relisten = undefined;
      listen().catch(scheduleRelisten);
    }, RELISTEN_MS);
  }
  async function listen(): Promise<void> {
    const client = await pool.connect();
    let dropped = false;
    const drop = () => {
      if (dropped) return;
      dropped = true;
      client.off('notification', onNotification);
      client.release(true);
      if (listener === client) listener = undefined;
    };
    client.on('error', () => {
      drop();
      scheduleRelisten();
    });
    client.on('notification', onNotification);
    try {
      await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      drop();
      throw error;
    }
    if (closed) {
      drop();
      return;
    }
    listener = client;
  }
  try {
    await listen();
  } catch (error) {
    unavailable(error);
  }

  return {
    acquire(resource, ttlMs, queue) {
      return onResource(resource, async (tx): Promise<StoreStep> => {
        const { token, expiresMs, expired } = await settle(tx, resource);
        const live = await prune(tx, resource);
        if (token === undefined && live.length === 0) {
          return {
            outcome: 'granted',
            token: await grant(tx, resource, ttlMs),
            ttlRemainingMs: ttlMs,
            expiredToken: expired,
          };
        }
        if (expired !== undefined && live.length > 0) await wake(tx, resource);
        const ttlRemainingMs = token === undefined ? 0 : expiresMs - tx.now;
        if (!queue) return { outcome: 'held', ttlRemainingMs, expiredToken: expired };
        const { rows } = await tx.client.query<{ ticket: string }>(
          `INSERT INTO ${ns}.lock_waiters (ticket, resource, live_until_ms)
           VALUES (nextval('${ns}.lock_tickets'), $1, $2) RETURNING ticket`,
          [resource, tx.now + ticketLivenessMs],
        );
        const ticket = rows[0]?.ticket;
        if (ticket === undefined) throw new Error('PostgreSQL queued without a ticket');
        return {
          outcome: 'queued',
          ticket,
          position: live.length + 1,
          ttlRemainingMs,
          expiredToken: expired,
        };
      });
    },

    retry(resource, ticket, ttlMs, final) {
      return onResource(resource, async (tx): Promise<StoreStep> => {
        const { token, expiresMs, expired } = await settle(tx, resource);
        // Refresh this ticket's liveness; one that lapsed comes back at its original place.
        await tx.client.query(
          `INSERT INTO ${ns}.lock_waiters (ticket, resource, live_until_ms) VALUES ($1, $2, $3)
           ON CONFLICT (ticket) DO UPDATE SET live_until_ms = excluded.live_until_ms`,
          [ticket, resource, tx.now + ticketLivenessMs],
        );
        const live = await prune(tx, resource);
        const head = live[0];
        if (token === undefined && head === ticket) {
          await leaveQueue(tx, ticket);
          const granted = await grant(tx, resource, ttlMs);
          // The others now see a holder: they re-arm their lease timers.
          if (live.length > 1) await wake(tx, resource);
          return { outcome: 'granted', token: granted, ttlRemainingMs: ttlMs, expiredToken: expired };
        }
        const ttlRemainingMs = token === undefined ? 0 : expiresMs - tx.now;
        if (final) {
          await leaveQueue(tx, ticket);
          if (head === ticket || (expired !== undefined && live.length > 1)) await wake(tx, resource);
          return { outcome: 'left', ttlRemainingMs, expiredToken: expired };
        }
        if (expired !== undefined) await wake(tx, resource);
        return {
          outcome: 'queued',
          ticket,
          position: live.indexOf(ticket) + 1,
          ttlRemainingMs,
          expiredToken: expired,
        };
      });
    },

    async leave(resource, ticket) {
      await onResource(resource, async (tx) => {
        const live = await prune(tx, resource);
        await leaveQueue(tx, ticket);
        if (live[0] === ticket && live.length > 1) await wake(tx, resource);
      }).catch(() => undefined);
    },

    release(resource, token) {
      return onResource(resource, async (tx) => {
        const held = await settle(tx, resource);
        const { rows } = await tx.client.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${ns}.lock_waiters WHERE resource = $1`,
          [resource],
        );
        const queued = int(rows[0]?.n) > 0;
        let result: ReleaseResult;
        if (held.token === undefined) {
          if (held.expired !== undefined && queued) await wake(tx, resource);
          result = { released: false, reason: 'not-held' };
        } else if (held.token !== token) {
          result = { released: false, reason: 'stale-token' };
        } else {
          await tx.client.query(`DELETE FROM ${ns}.locks WHERE resource = $1`, [resource]);
          if (queued) await wake(tx, resource);
          result = { released: true };
        }
        return { result, expiredToken: held.expired };
      });
    },

    holder(resource) {
      return onResource(resource, async (tx) => {
        const { token, expiresMs, expired } = await settle(tx, resource);
        const live = await prune(tx, resource);
        if (expired !== undefined && live.length > 0) await wake(tx, resource);
        const holder: HolderInfo | undefined =
          token === undefined
            ? undefined
            : { token, ttlRemainingMs: expiresMs - tx.now, waiting: live.length };
        return { holder, expiredToken: expired };
      });
    },

    expireIfDue(resource, token) {
      return onResource(resource, async (tx): Promise<ExpiryCheck> => {
        const { rows } = await tx.client.query<{ token: string; expires_ms: string }>(
          `SELECT token, expires_ms FROM ${ns}.locks WHERE resource = $1`,
          [resource],
        );
        const row = rows[0];
        if (row === undefined || int(row.token) !== token) return { state: 'gone' };
        if (int(row.expires_ms) > tx.now)
          return { state: 'live', ttlRemainingMs: int(row.expires_ms) - tx.now };
        await settle(tx, resource);
        const live = await prune(tx, resource);
        if (live.length > 0) await wake(tx, resource);
        return { state: 'expired' };
      });
    },

    async heldCount() {
      try {
        const now = `floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint`;
        await pool.query(`DELETE FROM ${ns}.lock_waiters WHERE live_until_ms < ${now} - ${GC_MS}`);
        const { rows } = await pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${ns}.locks WHERE expires_ms > ${now}`,
        );
        return int(rows[0]?.n);
      } catch (error) {
        return unavailable(error);
      }
    },

    onWake(l) {
      const entry = (resource: string) => l(resource);
      listeners.add(entry);
      return () => listeners.delete(entry);
    },

    async close() {
      closed = true;
      listeners.clear();
      if (relisten !== undefined) clearTimeout(relisten);
      const client = listener;
      listener = undefined;
      if (client === undefined) return;
      client.off('notification', onNotification);
      try {
        await client.query(`UNLISTEN "${channel}"`);
        client.release();
      } catch {
        client.release(true);
      }
    },
  };
}
