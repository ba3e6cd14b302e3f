import { setTimeout as sleep } from 'node:timers/promises';
import type { CallContext } from '@dslab/checkout-contracts';
import { isRetryableTransactionError, sql, translateDatabaseError, type Database } from '@dslab/db';
import { isAppError, type AppError } from '@dslab/errors';
import type { Transaction } from 'kysely';

/**
 * Database work inside a request's deadline (docs/checkout.md, "Deadlines and errors across
 * hops"): transactions bounded by the deadline and retried on transient failures, and reads
 * abandoned when the deadline passes first.
 */

/** Attempts of one piece of work on transient failures, the first one included. */
export const DEFAULT_ATTEMPTS = 5;

/** PostgreSQL's "canceling statement due to statement timeout". */
const QUERY_CANCELED = '57014';

/** A statement PostgreSQL cancelled at the statement_timeout runTransaction set: the deadline passed. */
export function isQueryCanceled(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === QUERY_CANCELED;
}

export interface RetryOptions {
  /** Attempts in all, the first one included (default DEFAULT_ATTEMPTS). */
  readonly maxAttempts?: number;
  /**
   * Failures a fresh attempt may cure besides serialization failures, deadlocks and a busy SQLite
   * (isRetryableTransactionError): a lost race the work noticed itself, a unique violation whose
   * winner a re-read will see.
   */
  readonly retryIf?: (error: unknown) => boolean;
  /**
   * What to throw when such a failure is still there after the last attempt, or when the deadline
   * leaves no time for another (default: the failure itself).
   */
  readonly exhausted?: (error: unknown) => unknown;
}

/**
 * Runs `step`, and runs it again after a short random pause (at most 5 ms × the attempt, never past
 * `ctx.deadline`) while it fails transiently (see RetryOptions). An AppError from `step` is thrown
 * as it is; any other failure is translated where it enters (translateDatabaseError: a lost
 * database connection is `unavailable`).
 */
export async function withRetries<T>(
  ctx: CallContext,
  step: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (isAppError(error)) throw error;
      const transient = isRetryableTransactionError(error) || options.retryIf?.(error) === true;
      if (!transient) throw translateDatabaseError(error);
      const remaining = ctx.deadline - Date.now();
      if (attempt >= maxAttempts || remaining <= 0)
        throw options.exhausted === undefined ? error : options.exhausted(error);
      await sleep(Math.min(Math.random() * 5 * attempt, remaining));
    }
  }
}

export interface TransactionOptions extends RetryOptions {
  /**
   * The error of a request whose deadline passed: before an attempt could start, while a statement
   * waited (PostgreSQL cancelled it), or while failures kept the work from finishing.
   */
  readonly timeout: () => AppError;
}

/**
 * Runs `work` in one transaction bounded by the request's deadline, retried as withRetries says.
 * On PostgreSQL the time left becomes the transaction's statement_timeout, so no lock wait
 * outlives the request; a statement cancelled by it, like an attempt that would start after the
 * deadline, answers `options.timeout()`. `database` is a Database or anything holding its `db`
 * and `engine` (a store).
 */
export async function runTransaction<DB, T>(
  database: Pick<Database<DB>, 'db' | 'engine'>,
  ctx: CallContext,
  work: (trx: Transaction<DB>) => Promise<T>,
  options: TransactionOptions,
): Promise<T> {
  const { timeout, exhausted } = options;
  return withRetries(
    ctx,
    async () => {
      if (Date.now() >= ctx.deadline) throw timeout();
      try {
        return await database.db.transaction().execute(async (trx) => {
          const remaining = Math.ceil(ctx.deadline - Date.now());
          if (remaining <= 0) throw timeout();
          if (database.engine === 'postgres')
            await sql`SELECT set_config('statement_timeout', ${String(remaining)}, true)`.execute(trx);
          return work(trx);
        });
      } catch (error) {
        if (isQueryCanceled(error)) throw timeout();
        throw error;
      }
    },
    {
      ...options,
      exhausted: (error) => {
        if (Date.now() >= ctx.deadline) return timeout();
        return exhausted === undefined ? error : exhausted(error);
      },
    },
  );
}

/**
 * Read-only work raced against the request's deadline: when the deadline passes first the work is
 * abandoned (it changes nothing) and `timeout()` is thrown; a failure of the work is translated
 * where it enters (translateDatabaseError).
 */
export async function beforeDeadline<T>(
  ctx: CallContext,
  timeout: () => AppError,
  work: () => Promise<T>,
): Promise<T> {
  const remaining = ctx.deadline - Date.now();
  if (remaining <= 0) throw timeout();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(timeout());
    }, remaining);
  });
  try {
    return await Promise.race([
      work().catch((error: unknown) => {
        throw translateDatabaseError(error);
      }),
      expired,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
