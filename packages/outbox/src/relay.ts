import type { Database } from '@dslab/db';
import type { Logger } from '@dslab/logging';
import type { HeaderValue, MessageBus } from '@dslab/messaging';
import type { Kysely, Selectable } from 'kysely';
import type { OutboxTable, OutboxTables } from './schema.js';

export interface OutboxRelay {
  /** Starts the background loop (idempotent). */
  start(): void;
  /** Asks for a pass now: call it after committing a transaction that enqueued. Many wakes, one pass. */
  wake(): void;
  /** One pass now (after any pass already running): answers how many messages were published. */
  drainOnce(): Promise<number>;
  /** Rows not yet published. */
  pending(): Promise<number>;
  /** Ends the loop after the batch in progress and waits for it. */
  stop(): Promise<void>;
}

export type RelayLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface OutboxRelayDeps<DB = unknown> {
  /** A database with the outbox tables (among others). */
  readonly database: Pick<Database<DB>, 'db' | 'engine'>;
  readonly bus: MessageBus;
  readonly logger: RelayLogger;
  /** Rows taken (and published in parallel) at a time (default 100). */
  readonly batchSize?: number;
  /** How often an idle loop looks for rows written without a wake, e.g. by other processes (default 200). */
  readonly idlePollMs?: number;
  /** Cap of the exponential back-off after a failure (default 5000). */
  readonly maxBackoffMs?: number;
  /** Shown in the log lines' fields (e.g. the service), to tell several relays apart. */
  readonly name?: string;
}

/** The first back-off step; each further consecutive failure doubles it, up to maxBackoffMs. */
const INITIAL_BACKOFF_MS = 100;
/** `ultimo_erro` keeps the start of a long error message. */
const MAX_ERROR_LENGTH = 1000;

type OutboxRow = Pick<Selectable<OutboxTable>, 'id' | 'mensagem_id' | 'fila' | 'corpo' | 'cabecalhos'>;

interface BatchOutcome {
  /** Rows the batch took. */
  readonly taken: number;
  readonly published: number;
  readonly failed: number;
  /** The first failure's message. */
  readonly reason: string | undefined;
  /** When the soonest failed row is due again (ms from now). */
  readonly retryInMs: number | undefined;
}

type PassOutcome = Omit<BatchOutcome, 'taken'>;

const NOTHING: BatchOutcome = { taken: 0, published: 0, failed: 0, reason: undefined, retryInMs: undefined };
/** Failing rows whose back-off the relay remembers; past it the memory is dropped (they retry sooner). */
const MAX_REMEMBERED_FAILURES = 10_000;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function plural(n: number): string {
  return `${n} mensagem(ns)`;
}

/**
 * Publishes what the outbox holds, in id order, batch by batch: every row of a batch is published
 * at once (each resolving on the broker's confirm), the confirmed ones are deleted, the failed ones
 * get `tentativas + 1` and `ultimo_erro` and are retried after an exponential back-off of their own
 * (and the whole loop backs off when a pass published nothing at all: broker unreachable).
 * Rows are never dropped: at-least-once.
 *
 * PostgreSQL: a batch is taken `FOR UPDATE SKIP LOCKED` in a transaction held during its publishes,
 * so relays of several processes on one schema never publish the same row at once.
 * SQLite (one process per file): no transaction spans the publishes (the driver serialises every
 * query of the process); this relay's passes are serialised instead.
 */
export function createOutboxRelay<DB>(deps: OutboxRelayDeps<DB>): OutboxRelay {
  const { bus, logger } = deps;
  const db = deps.database.db as unknown as Kysely<OutboxTables>;
  const engine = deps.database.engine;
  const batchSize = deps.batchSize ?? 100;
  const idlePollMs = deps.idlePollMs ?? 200;
  const maxBackoffMs = deps.maxBackoffMs ?? 5000;
  const fields = deps.name === undefined ? undefined : { outbox: deps.name };
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be ≥ 1`);

  /** The pass running now (passes never overlap inside one relay). */
  let current: Promise<unknown> = Promise.resolve();
  let loop: Promise<void> | undefined;
  let stopping = false;
  let wakeRequested = false;
  /** Ends the loop's current wait early. */
  let interrupt: (() => void) | undefined;
  /**
   * Each failing row's own back-off (in this process): the loop skips a row until it is due, so a
   * message the broker keeps refusing is retried ever more slowly while the others flow.
   */
  const rowBackoff = new Map<number, { failures: number; dueAt: number }>();

  function exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = current.then(work, work);
    current = run.catch(() => undefined);
    return run;
  }

  /** The rows to publish now: all when forced (drainOnce), else those not backing off. */
  function due(rows: readonly OutboxRow[], force: boolean): OutboxRow[] {
    if (force || rowBackoff.size === 0) return [...rows];
    const now = Date.now();
    return rows.filter((row) => (rowBackoff.get(row.id)?.dueAt ?? 0) <= now);
  }

  async function publishAll(rows: readonly OutboxRow[]): Promise<PromiseSettledResult<void>[]> {
    return Promise.allSettled(
      rows.map(async (row) => {
        await bus.publish(row.fila, {
          messageId: row.mensagem_id,
          body: JSON.parse(row.corpo) as unknown,
          headers: JSON.parse(row.cabecalhos) as Record<string, HeaderValue>,
        });
      }),
    );
  }

  /** Deletes the confirmed rows and records the failures; answers the batch's outcome. */
  async function settle(
    executor: Kysely<OutboxTables>,
    rows: readonly OutboxRow[],
    results: readonly PromiseSettledResult<void>[],
  ): Promise<BatchOutcome> {
    const confirmed: number[] = [];
    const failures = new Map<string, number[]>();
    let retryInMs: number | undefined;
    if (rowBackoff.size > MAX_REMEMBERED_FAILURES) rowBackoff.clear();
    rows.forEach((row, i) => {
      const result = results[i];
      if (result?.status === 'fulfilled') {
        confirmed.push(row.id);
        rowBackoff.delete(row.id);
        return;
      }
      const failuresOfRow = (rowBackoff.get(row.id)?.failures ?? 0) + 1;
      const wait = backoff(failuresOfRow);
      rowBackoff.set(row.id, { failures: failuresOfRow, dueAt: Date.now() + wait });
      retryInMs = Math.min(retryInMs ?? wait, wait);
      const reason = errorMessage(result?.reason).slice(0, MAX_ERROR_LENGTH);
      const ids = failures.get(reason) ?? [];
      ids.push(row.id);
      failures.set(reason, ids);
    });
    if (confirmed.length > 0) await executor.deleteFrom('outbox').where('id', 'in', confirmed).execute();
    for (const [reason, ids] of failures) {
      await executor
        .updateTable('outbox')
        .set((eb) => ({ tentativas: eb('tentativas', '+', 1), ultimo_erro: reason }))
        .where('id', 'in', ids)
        .execute();
    }
    return {
      taken: rows.length,
      published: confirmed.length,
      failed: rows.length - confirmed.length,
      reason: failures.keys().next().value,
      retryInMs,
    };
  }

  /** The next batch in id order after `cursor` (PostgreSQL: locked, skipping rows other relays hold). */
  function select(executor: Kysely<OutboxTables>, cursor: number) {
    return executor
      .selectFrom('outbox')
      .select(['id', 'mensagem_id', 'fila', 'corpo', 'cabecalhos'])
      .where('id', '>', cursor)
      .orderBy('id')
      .limit(batchSize);
  }

  /** Publishes the due rows of one batch and settles them; `taken` counts every row selected. */
  async function publishBatch(
    executor: Kysely<OutboxTables>,
    rows: readonly OutboxRow[],
    force: boolean,
  ): Promise<BatchOutcome & { readonly last: number }> {
    const last = rows.at(-1)?.id ?? 0;
    const now = due(rows, force);
    if (now.length === 0) return { ...NOTHING, taken: rows.length, last };
    return { ...(await settle(executor, now, await publishAll(now))), taken: rows.length, last };
  }

  async function batch(cursor: number, force: boolean): Promise<BatchOutcome & { readonly last: number }> {
    if (engine === 'postgres') {
      return db.transaction().execute(async (trx) => {
        const rows = await select(trx, cursor).forUpdate().skipLocked().execute();
        return rows.length === 0 ? { ...NOTHING, last: cursor } : publishBatch(trx, rows, force);
      });
    }
    const rows = await select(db, cursor).execute();
    return rows.length === 0 ? { ...NOTHING, last: cursor } : publishBatch(db, rows, force);
  }

  /**
   * Batches in id order until the outbox is exhausted, a batch publishes nothing at all (the broker
   * is likely unreachable), or (for the loop's passes) stop() was called. A row that failed is not
   * retried within the same pass, so one message the broker keeps refusing does not hold back the
   * rows after it. The loop's passes skip rows still backing off; drainOnce's try every row.
   */
  async function pass(loopPass: boolean): Promise<PassOutcome> {
    let published = 0;
    let failed = 0;
    let reason: string | undefined;
    let retryInMs: number | undefined;
    let cursor = 0;
    for (;;) {
      const outcome = await batch(cursor, !loopPass);
      cursor = outcome.last;
      published += outcome.published;
      failed += outcome.failed;
      reason ??= outcome.reason;
      if (outcome.retryInMs !== undefined)
        retryInMs = Math.min(retryInMs ?? outcome.retryInMs, outcome.retryInMs);
      const exhausted = outcome.taken < batchSize;
      const brokerDown = outcome.failed > 0 && outcome.published === 0;
      if (exhausted || brokerDown || (loopPass && stopping)) return { published, failed, reason, retryInMs };
    }
  }

  function backoff(failures: number): number {
    return Math.min(maxBackoffMs, INITIAL_BACKOFF_MS * 2 ** Math.min(failures - 1, 30));
  }

  /** Waits `ms`, or less when stop() or (unless `ignoreWake`) wake() interrupts. */
  function pause(ms: number, ignoreWake: boolean): Promise<void> {
    if (stopping || (!ignoreWake && wakeRequested)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        interrupt = undefined;
        resolve();
      }
      interrupt = () => {
        if (stopping || !ignoreWake) done();
      };
    });
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopping) {
      wakeRequested = false;
      let wait: number;
      let inBackoff = false;
      try {
        const outcome = await exclusive(() => pass(true));
        wait = idlePollMs;
        if (outcome.published > 0) {
          if (failures > 0) logger.info(`Publicação do outbox retomada`, fields);
          failures = 0;
        } else if (outcome.failed > 0) {
          // Nothing went out at all: the broker is likely unreachable; wait before trying again.
          failures += 1;
          wait = backoff(failures);
          inBackoff = true;
        }
        if (outcome.failed > 0) {
          const retry = inBackoff ? wait : (outcome.retryInMs ?? wait);
          logger.warn(
            `Falha ao publicar ${plural(outcome.failed)} do outbox: ${outcome.reason ?? ''}; nova tentativa em ${retry} ms`,
            fields,
          );
        }
      } catch (error) {
        failures += 1;
        wait = backoff(failures);
        inBackoff = true;
        logger.warn(`Erro ao ler o outbox: ${errorMessage(error)}; nova tentativa em ${wait} ms`, fields);
      }
      // A failing broker or database is not hammered by wakes: the back-off runs its course.
      await pause(wait, inBackoff);
    }
  }

  return {
    start() {
      if (loop !== undefined || stopping) return;
      loop = run().catch((error: unknown) => {
        // run() catches everything; this only guards against a bug turning into an unhandled rejection.
        logger.error(`O relay do outbox parou: ${errorMessage(error)}`, fields);
      });
    },

    wake() {
      wakeRequested = true;
      interrupt?.();
    },

    async drainOnce() {
      // Forced: rows backing off in the loop are tried too.
      const outcome = await exclusive(() => pass(false));
      if (outcome.failed > 0) {
        logger.warn(`Falha ao publicar ${plural(outcome.failed)} do outbox: ${outcome.reason ?? ''}`, fields);
      }
      return outcome.published;
    },

    async pending() {
      const row = await db
        .selectFrom('outbox')
        // int8 on PostgreSQL (a number through @dslab/db's type parser, text without it).
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async stop() {
      stopping = true;
      interrupt?.();
      await loop;
      await current;
    },
  };
}
