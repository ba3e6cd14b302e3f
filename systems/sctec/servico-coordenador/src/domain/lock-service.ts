/**
 * The coordinator's lock service: the lock table plus waiting with a deadline.
 *
 * It stays in the domain because it needs no I/O of its own: timers come in through a
 * `Scheduler` (the platform's `setTimeout`/`clearTimeout` in production, a fake in tests)
 * and time through a monotonic `now()`. Outcomes are results, never exceptions; only a
 * request that breaks the documented bounds (which the HTTP layer validates first) rejects.
 *
 * Fairness rule: the order in which the coordinator grants a resource is the published
 * "who was first". A caller that waits joins a FIFO queue and is granted, in queue order,
 * as soon as the holder releases or its lease expires; a newcomer never overtakes a waiter.
 */
import {
  createLockTable,
  type HolderInfo,
  type LockTableEvent,
  type MonotonicNow,
  type ReleaseResult,
  type TokenSource,
} from './lock-table.js';

/** Lease used when a request names none. */
export const DEFAULT_TTL_MS = 10_000;
/** Longest lease: a crashed holder blocks a slot at most this long. */
export const MAX_TTL_MS = 300_000;
/** Longest wait in the queue: bounds how long an HTTP request may stay open. */
export const MAX_WAIT_MS = 60_000;
/** Resource names are opaque to the coordinator (`<telescope>_<slot ISO>` by convention). */
export const MAX_RESOURCE_LENGTH = 256;

export interface LockRequest {
  readonly resource: string;
  readonly ttlMs: number;
  readonly waitMs: number;
}

export interface ValidationProblem {
  readonly field: 'resource' | 'ttlMs' | 'waitMs';
  readonly message: string;
}

export type LockRequestValidation =
  | { readonly ok: true; readonly value: LockRequest }
  | { readonly ok: false; readonly problems: readonly ValidationProblem[] };

/**
 * Checks a lock request and fills in defaults (`ttlMs` = DEFAULT_TTL_MS, `waitMs` = 0).
 * Reports every problem at once so a client can fix its request in one round.
 */
export function validateLockRequest(input: {
  resource?: unknown;
  ttlMs?: unknown;
  waitMs?: unknown;
}): LockRequestValidation {
  const problems: ValidationProblem[] = [];
  const { resource, ttlMs = DEFAULT_TTL_MS, waitMs = 0 } = input;
  if (typeof resource !== 'string' || resource.length === 0 || resource.length > MAX_RESOURCE_LENGTH) {
    problems.push({
      field: 'resource',
      message: `must be a string of 1 to ${MAX_RESOURCE_LENGTH} characters`,
    });
  } else if (/\p{Cc}/u.test(resource)) {
    problems.push({ field: 'resource', message: 'must not contain control characters' });
  }
  if (!isIntegerIn(ttlMs, 1, MAX_TTL_MS)) {
    problems.push({ field: 'ttlMs', message: `must be an integer from 1 to ${MAX_TTL_MS}` });
  }
  if (!isIntegerIn(waitMs, 0, MAX_WAIT_MS)) {
    problems.push({ field: 'waitMs', message: `must be an integer from 0 to ${MAX_WAIT_MS}` });
  }
  if (
    problems.length > 0 ||
    typeof resource !== 'string' ||
    typeof ttlMs !== 'number' ||
    typeof waitMs !== 'number'
  ) {
    return { ok: false, problems };
  }
  return { ok: true, value: { resource, ttlMs, waitMs } };
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** The two timer functions the service needs; `{ setTimeout, clearTimeout }` fits. */
export interface Scheduler<Handle = unknown> {
  setTimeout(callback: () => void, ms: number): Handle;
  clearTimeout(handle: Handle): void;
}

export interface AcquireRequest {
  readonly resource: string;
  /** Lease length; DEFAULT_TTL_MS when absent. For a waiter it starts when it is granted. */
  readonly ttlMs?: number;
  /** How long to wait in the queue if the resource is held; 0 (the default) answers at once. */
  readonly waitMs?: number;
  /**
   * Withdraws the request, e.g. when the HTTP client that asked went away. A queued caller
   * leaves the queue at once and is denied with `cancelled`, so no lease is ever handed to a
   * requester that is gone; an already aborted signal is denied without touching the table.
   */
  readonly signal?: AbortSignal;
  /**
   * Called synchronously when the caller joins the queue, with its 1-based position, so the
   * HTTP layer can log the seed's "entra na fila (posição N …)" line through the request's
   * logger with the position the caller really took (whichever store decided it).
   */
  readonly onQueued?: (position: number) => void;
}

export interface Grant {
  readonly granted: true;
  readonly resource: string;
  readonly token: number;
  readonly ttlRemainingMs: number;
  /** Time spent in the queue before the grant (0 when granted at once). */
  readonly waitedMs: number;
}

export type DenyReason = 'held' | 'timeout' | 'closed' | 'cancelled';

export interface Denied {
  readonly granted: false;
  readonly resource: string;
  /**
   * `held`: busy and no wait asked; `timeout`: waited waitMs in vain; `closed`: shutting down;
   * `cancelled`: the caller withdrew (its `signal` aborted).
   */
  readonly reason: DenyReason;
  /** The current holder's remaining lease (0 if none). */
  readonly ttlRemainingMs: number;
}

/** For logs and metrics; carries what the seed's coordinator messages need. */
export type LockServiceEvent =
  | ({ readonly type: 'granted' } & Grant)
  | ({ readonly type: 'denied' } & Denied)
  | { readonly type: 'queued'; readonly resource: string; readonly position: number; readonly waitMs: number }
  | { readonly type: 'released'; readonly resource: string; readonly token: number }
  | { readonly type: 'expired'; readonly resource: string; readonly token: number };

export interface LockServiceDeps<Handle> {
  readonly now: MonotonicNow;
  readonly tokens: TokenSource;
  readonly timers: Scheduler<Handle>;
  /**
   * Called synchronously after each event. It must not throw; if it does, the error is
   * re-thrown on a later microtask so the lock state it interrupted stays consistent.
   */
  readonly onEvent?: (event: LockServiceEvent) => void;
}

/**
 * The in-process lock service: synchronous except for waiting, because the whole state lives in
 * this process. `toLockService` adapts it to the coordinator's `LockService` port.
 */
export interface LocalLockService {
  acquire(request: AcquireRequest): Promise<Grant | Denied>;
  release(request: { readonly resource: string; readonly token: number }): ReleaseResult;
  holder(resource: string): HolderInfo | undefined;
  /** Resources currently held (an expired lease counts until the expiry timer, due at once, sweeps it). */
  readonly size: number;
  /** Callers waiting in any queue. */
  readonly waiting: number;
  /** Graceful shutdown: denies every waiter with `closed`, clears all timers, refuses new acquires. */
  close(): void;
}

/**
 * How both lock services (in memory, and over a shared store) report: `emit` calls `onEvent`
 * synchronously and, should a listener throw, re-throws on a later microtask so the state it
 * interrupted stays consistent; `finish` announces a final outcome and hands it back.
 */
export function createOutcomeReporter(onEvent: ((event: LockServiceEvent) => void) | undefined): {
  readonly emit: (event: LockServiceEvent) => void;
  readonly finish: (outcome: Grant | Denied) => Grant | Denied;
} {
  function emit(event: LockServiceEvent): void {
    try {
      onEvent?.(event);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
  return {
    emit,
    finish: (outcome) => {
      emit(outcome.granted ? { type: 'granted', ...outcome } : { type: 'denied', ...outcome });
      return outcome;
    },
  };
}

export function deny(resource: string, reason: DenyReason, ttlRemainingMs: number): Denied {
  return { granted: false, resource, reason, ttlRemainingMs };
}

interface Waiter<Handle> {
  readonly resource: string;
  readonly startedAt: number;
  readonly timer: Handle;
  readonly resolve: (outcome: Grant | Denied) => void;
}

export function createLockService<Handle>({
  now,
  tokens,
  timers,
  onEvent,
}: LockServiceDeps<Handle>): LocalLockService {
  const table = createLockTable({ now, tokens, onEvent: onTableEvent });
  const waiters = new Map<string, Waiter<Handle>>();
  let waiterSeq = 0;
  let closed = false;
  // One timer for all leases, armed at the earliest expiry, so expired leases pass to their
  // waiters on time even when no other request touches the resource.
  let expiryTimer: { readonly handle: Handle; readonly at: number } | undefined;

  const { emit, finish } = createOutcomeReporter(onEvent);

  function onTableEvent(event: LockTableEvent): void {
    if (event.type !== 'handed-off') {
      emit(event);
      return;
    }
    const waiter = waiters.get(event.waiterId);
    if (waiter === undefined) {
      // Cannot happen while waiters and queue are kept in step; if it ever does, free the
      // resource rather than let a lease nobody knows about block it for a whole TTL.
      table.release(event.resource, event.token);
      return;
    }
    waiters.delete(event.waiterId);
    timers.clearTimeout(waiter.timer);
    const { resource, token, ttlRemainingMs } = event;
    waiter.resolve(
      finish({
        granted: true,
        resource,
        token,
        ttlRemainingMs,
        waitedMs: Math.round(now() - waiter.startedAt),
      }),
    );
  }

  function rearm(): void {
    if (closed) return;
    const next = table.nextExpiry();
    if (next === undefined || (expiryTimer !== undefined && expiryTimer.at <= next)) return;
    if (expiryTimer !== undefined) timers.clearTimeout(expiryTimer.handle);
    // At least 1 ms: platform timers may fire a little before the monotonic clock reaches
    // `next`; the re-armed timer then catches the lease instead of spinning.
    expiryTimer = {
      handle: timers.setTimeout(onExpiryTimer, Math.max(1, Math.ceil(next - now()))),
      at: next,
    };
  }

  function onExpiryTimer(): void {
    expiryTimer = undefined;
    table.sweep();
    rearm();
  }

  function onWaitTimeout(waiterId: string): void {
    const waiter = waiters.get(waiterId);
    if (waiter === undefined) return;
    // A lease that ended by now goes to the queue first, perhaps to this very waiter.
    table.sweep();
    if (waiters.has(waiterId)) {
      waiters.delete(waiterId);
      table.removeWaiter(waiter.resource, waiterId);
      waiter.resolve(
        finish(deny(waiter.resource, 'timeout', table.holder(waiter.resource)?.ttlRemainingMs ?? 0)),
      );
    }
    rearm();
  }

  function onWaiterCancelled(waiterId: string): void {
    const waiter = waiters.get(waiterId);
    if (waiter === undefined) return;
    // Leave the queue first and without a sweep: a withdrawn caller must not be granted.
    waiters.delete(waiterId);
    timers.clearTimeout(waiter.timer);
    table.removeWaiter(waiter.resource, waiterId);
    waiter.resolve(
      finish(deny(waiter.resource, 'cancelled', table.holder(waiter.resource)?.ttlRemainingMs ?? 0)),
    );
    rearm();
  }

  function wait(
    resource: string,
    ttlMs: number,
    waitMs: number,
    startedAt: number,
    signal: AbortSignal | undefined,
    onQueued: ((position: number) => void) | undefined,
  ): Promise<Grant | Denied> {
    const waiterId = String(++waiterSeq);
    const queued = table.enqueue(resource, waiterId, ttlMs);
    if (queued.granted) {
      // The holder left between our two calls; only possible if a listener released it.
      rearm();
      return Promise.resolve(
        finish({
          granted: true,
          resource,
          token: queued.token,
          ttlRemainingMs: queued.ttlRemainingMs,
          waitedMs: 0,
        }),
      );
    }
    // Register before emitting: a listener reacting to `queued` may release the lock, and
    // the hand-off must find this waiter.
    const outcome = new Promise<Grant | Denied>((resolve) => {
      const onAbort = () => onWaiterCancelled(waiterId);
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.set(waiterId, {
        resource,
        startedAt,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
        timer: timers.setTimeout(() => onWaitTimeout(waiterId), waitMs),
      });
    });
    onQueued?.(queued.position);
    emit({ type: 'queued', resource, position: queued.position, waitMs });
    return outcome;
  }

  return {
    acquire(request) {
      const checked = validateLockRequest(request);
      if (!checked.ok) {
        const detail = checked.problems.map((p) => `${p.field} ${p.message}`).join('; ');
        return Promise.reject(new RangeError(`invalid lock request: ${detail}`));
      }
      const { resource, ttlMs, waitMs } = checked.value;
      if (closed)
        return Promise.resolve(finish(deny(resource, 'closed', table.holder(resource)?.ttlRemainingMs ?? 0)));
      if (request.signal?.aborted === true)
        return Promise.resolve(
          finish(deny(resource, 'cancelled', table.holder(resource)?.ttlRemainingMs ?? 0)),
        );
      const startedAt = now();
      const attempt = table.tryAcquire(resource, ttlMs);
      rearm();
      if (attempt.granted) {
        return Promise.resolve(
          finish({
            granted: true,
            resource,
            token: attempt.token,
            ttlRemainingMs: attempt.ttlRemainingMs,
            waitedMs: 0,
          }),
        );
      }
      if (waitMs === 0) return Promise.resolve(finish(deny(resource, 'held', attempt.ttlRemainingMs)));
      return wait(resource, ttlMs, waitMs, startedAt, request.signal, request.onQueued);
    },

    release({ resource, token }) {
      // The table announces `released` and any hand-off through onTableEvent, in order.
      const result = table.release(resource, token);
      rearm();
      return result;
    },

    holder(resource) {
      return table.holder(resource);
    },

    get size() {
      return table.size;
    },

    get waiting() {
      return waiters.size;
    },

    close() {
      if (closed) return;
      closed = true;
      if (expiryTimer !== undefined) timers.clearTimeout(expiryTimer.handle);
      expiryTimer = undefined;
      for (const [waiterId, waiter] of waiters) {
        timers.clearTimeout(waiter.timer);
        table.removeWaiter(waiter.resource, waiterId);
        waiter.resolve(finish(deny(waiter.resource, 'closed', 0)));
      }
      waiters.clear();
    },
  };
}

/**
 * What the coordinator's HTTP layer and metrics need from a lock service, whichever store holds
 * the state: this process's memory (`toLockService(createLockService(…))`) or a store shared
 * by several coordinators (Redis, PostgreSQL; see shared-lock-service.ts). Everything that may
 * need I/O with a shared store is asynchronous.
 */
export interface LockService {
  acquire(request: AcquireRequest): Promise<Grant | Denied>;
  /** Only the current holder's token releases; any other token changes nothing. */
  release(request: { readonly resource: string; readonly token: number }): Promise<ReleaseResult>;
  /** The live lease on a resource (and its queue length), if any. */
  holder(resource: string): Promise<HolderInfo | undefined>;
  /** Resources currently held; with a shared store, across every coordinator (for metrics). */
  heldCount(): Promise<number>;
  /** Callers of THIS process waiting in a queue (a per-instance gauge; sum it across instances). */
  readonly waiting: number;
  /**
   * Graceful shutdown: denies every waiter of this process with `closed`, clears all timers,
   * refuses new acquires; resolves once the store holds nothing more of this process's waiters.
   * Releases keep working (in-flight requests finish), until the store's connections close.
   */
  close(): Promise<void>;
}

/** The in-process service behind the asynchronous port (no I/O: every call settles at once). */
export function toLockService(local: LocalLockService): LockService {
  return {
    acquire: (request) => local.acquire(request),
    release: (request) => Promise.resolve(local.release(request)),
    holder: (resource) => Promise.resolve(local.holder(resource)),
    heldCount: () => Promise.resolve(local.size),
    get waiting() {
      return local.waiting;
    },
    close() {
      local.close();
      return Promise.resolve();
    },
  };
}
