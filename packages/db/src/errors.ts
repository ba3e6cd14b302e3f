import { AppError } from '@dslab/errors';

interface DriverError {
  code?: unknown;
  constraint?: unknown;
  message?: unknown;
}

/** A unique or primary-key violation, on SQLite or PostgreSQL. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as DriverError | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** A PostgreSQL exclusion-constraint violation (overlapping ranges). */
export function isExclusionViolation(error: unknown): boolean {
  return (error as DriverError | null)?.code === '23P01';
}

/**
 * A PostgreSQL serialization failure or deadlock, or a busy SQLite database (including
 * SQLITE_BUSY_SNAPSHOT: a deferred transaction that read before another process wrote cannot
 * upgrade to a writer): the transaction may simply be retried from the start.
 */
export function isRetryableTransactionError(error: unknown): boolean {
  const code = (error as DriverError | null)?.code;
  return code === '40001' || code === '40P01' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY'));
}

/** The violated constraint's name where the engine says it (PostgreSQL), or the message text. */
export function violatedConstraint(error: unknown): string {
  const e = error as DriverError | null;
  if (typeof e?.constraint === 'string') return e.constraint;
  return typeof e?.message === 'string' ? e.message : '';
}

const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P03',
  '08006',
  '08001',
  '08003',
]);

/** Translates an infrastructure failure into the catalog where it enters; keeps the original as cause. */
export function translateDatabaseError(error: unknown): unknown {
  const code = (error as DriverError | null)?.code;
  if (typeof code === 'string' && connectionCodes.has(code)) {
    return new AppError('unavailable', 'The database is not reachable right now; try again shortly', {
      cause: error,
    });
  }
  return error;
}
