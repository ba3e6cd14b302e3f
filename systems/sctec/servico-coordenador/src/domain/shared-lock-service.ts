/**
 * The lock service over a store shared by several coordinator processes (Redis, PostgreSQL).
 *
 * Every decision (grant, refuse, queue, hand the lock to the head of the queue, release) is
 * one atomic step of the store (`SharedLockStore`), taken on the store's clock; this file only
 * keeps what belongs to one process: its callers waiting for an answer, their timers, and the
 * wake-ups that make them try again. It does no I/O itself (the store is a port), so it stays
 * in the domain beside the in-memory service and emits the same events.
 *
 * Rules the store steps implement, so that N coordinators give the guarantees of one:
 * - One live lease per resource; a lease past its expiry (store clock) counts as free and is
 *   ended (reported once, as `expiredToken`) by whichever step meets it first.
 * - Tokens come from one store-wide counter: strictly increasing across all coordinators.
 * - FIFO: a waiter holds a ticket from a store-wide counter in the resource's queue. Only the
 *   head of the queue (after dropping tickets whose liveness ran out) may take a free lease,
 *   and a newcomer never takes it while anyone is queued, with or without `waitMs`.
 * - A ticket lives `ticket liveness` past its owner's last step; a live owner steps at least
 *   every `pollMs`, so a coordinator that dies stops blocking its queues within that liveness.
 *
 * Wake-ups, all idempotent (a step with nothing to do is harmless): the store's notifications
 * (a lease ended or the head left; pub/sub or LISTEN/NOTIFY), a timer at the holder's remaining
 * lease, and a poll every `pollMs` as a safety net for a lost notification.
 */
import type { HolderInfo, MonotonicNow, ReleaseResult } from './lock-table.js';
import {
  createOutcomeReporter,
  deny,
  validateLockRequest,
  type AcquireRequest,
  type Denied,
  type Grant,
  type LockService,
  type LockServiceEvent,
  type Scheduler,
} from './lock-service.js';

/** How often a waiter steps even without a wake-up (also refreshes its ticket's liveness). */
export const DEFAULT_POLL_MS = 500;

/** The outcome of one atomic store step. `expiredToken`: a lease this step found expired and ended. */
export type StoreStep =
  | {
      readonly outcome: 'granted';
      readonly token: number;
      readonly ttlRemainingMs: number;
      readonly expiredToken?: number | undefined;
    }
  | {
      /** Refused without queueing (no wait asked), `waiting` others are queued. */
      readonly outcome: 'held';
      readonly ttlRemainingMs: number;
      readonly expiredToken?: number | undefined;
    }
  | {
      readonly outcome: 'queued';
      readonly ticket: string;
      /** 1-based place among the live tickets. */
      readonly position: number;
      /** The holder's remaining lease, 0 if the lease is free (the head is about to take it). */
      readonly ttlRemainingMs: number;
      readonly expiredToken?: number | undefined;
    }
  | {
      /** A final step that could not grant: the ticket has left the queue. */
      readonly outcome: 'left';
      readonly ttlRemainingMs: number;
      readonly expiredToken?: number | undefined;
    };

export type ExpiryCheck =
  | { readonly state: 'expired' }
  | { readonly state: 'live'; readonly ttlRemainingMs: number }
  /** Released, or already ended and taken over: nothing to report. */
  | { readonly state: 'gone' };

/** The atomic steps a shared store offers; each one runs on the store's clock. */
export interface SharedLockStore {
  /** A new request: grant if free and nobody is queued; else `held`, or (with `queue`) a ticket. */
  acquire(resource: string, ttlMs: number, queue: boolean): Promise<StoreStep>;
  /**
   * A queued ticket steps: refreshes its liveness (re-adding it at its original place if it had
   * lapsed) and is granted if the lease is free and it heads the queue. With `final`, a ticket
   * that is not granted leaves the queue (`left`).
   */
  retry(resource: string, ticket: string, ttlMs: number, final: boolean): Promise<StoreStep>;
  /** Leaves the queue without any chance of a grant. */
  leave(resource: string, ticket: string): Promise<void>;
  release(
    resource: string,
    token: number,
  ): Promise<{ readonly result: ReleaseResult; readonly expiredToken?: number | undefined }>;
  holder(
    resource: string,
  ): Promise<{ readonly holder: HolderInfo | undefined; readonly expiredToken?: number | undefined }>;
  /** Ends the lease with `token` if it has run out (so the expiry is reported on time). */
  expireIfDue(resource: string, token: number): Promise<ExpiryCheck>;
  /** Resources with a live lease, all coordinators together. */
  heldCount(): Promise<number>;
  /** `listener(resource)` when a lease on it may have ended or its queue head left. Returns unsubscribe. */
  onWake(listener: (resource: string) => void): () => void;
}

export interface SharedLockServiceDeps<Handle> {
  readonly store: SharedLockStore;
  /** Monotonic clock, only for this process's timers and `waitedMs`; leases run on the store's clock. */
  readonly now: MonotonicNow;
  readonly timers: Scheduler<Handle>;
  readonly onEvent?: (event: LockServiceEvent) => void;
  readonly pollMs?: number;
}

type Ending = 'timeout' | 'cancelled' | 'closed';

interface Waiter<Handle> {
  readonly resource: string;
  readonly ttlMs: number;
  readonly ticket: string;
  readonly startedAt: number;
  waitTimer: Handle | undefined;
  leaseTimer: Handle | undefined;
  /** A store step is in flight; `again` asks for one more after it. */
  busy: boolean;
  again: boolean;
  ending: Ending | undefined;
  /** The caller has its answer. */
  answered: boolean;
  /** Nothing of this waiter is left in the store (or nothing more will be attempted). */
  finished: boolean;
  lastTtlRemainingMs: number;
  readonly answer: (outcome: Grant | Denied) => void;
  readonly fail: (error: unknown) => void;
}

export function createSharedLockService<Handle>({
  store,
  now,
  timers,
  onEvent,
  pollMs = DEFAULT_POLL_MS,
}: SharedLockServiceDeps<Handle>): LockService {
  const waiters = new Set<Waiter<Handle>>();
  const byResource = new Map<string, Set<Waiter<Handle>>>();
  // Leases granted by this process: a timer at each one's end reports the expiry on time (any
  // coordinator may report it first; the store step that ends it reports it exactly once).
  const leases = new Map<string, { readonly token: number; timer: Handle }>();
  const background = new Set<Promise<void>>();
  let pollTimer: Handle | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;
  const unsubscribe = store.onWake((resource) => {
    for (const waiter of byResource.get(resource) ?? []) kick(waiter);
  });

  const { emit, finish } = createOutcomeReporter(onEvent);

  function inBackground(work: Promise<void>): void {
    const tracked = work.finally(() => background.delete(tracked));
    background.add(tracked);
  }

  function noteExpired(resource: string, token: number | undefined): void {
    if (token === undefined) return;
    const lease = leases.get(resource);
    if (lease?.token === token) {
      timers.clearTimeout(lease.timer);
      leases.delete(resource);
    }
    emit({ type: 'expired', resource, token });
  }

  function trackLease(resource: string, token: number, ttlRemainingMs: number): void {
    if (closed) return;
    const previous = leases.get(resource);
    if (previous !== undefined) timers.clearTimeout(previous.timer);
    leases.set(resource, {
      token,
      timer: timers.setTimeout(() => checkExpiry(resource, token), ttlRemainingMs + 1),
    });
  }

  function untrackLease(resource: string, token: number): void {
    const lease = leases.get(resource);
    if (lease?.token !== token) return;
    timers.clearTimeout(lease.timer);
    leases.delete(resource);
  }

  function checkExpiry(resource: string, token: number): void {
    inBackground(
      store.expireIfDue(resource, token).then(
        (check) => {
          if (check.state === 'expired') {
            noteExpired(resource, token);
          } else if (check.state === 'live' && leases.get(resource)?.token === token) {
            trackLease(resource, token, check.ttlRemainingMs);
          } else {
            untrackLease(resource, token);
          }
        },
        // The store is unreachable: someone touching the resource later reports the expiry.
        () => untrackLease(resource, token),
      ),
    );
  }

  function schedulePoll(): void {
    if (closed || pollTimer !== undefined || waiters.size === 0) return;
    pollTimer = timers.setTimeout(() => {
      pollTimer = undefined;
      for (const waiter of waiters) kick(waiter);
      schedulePoll();
    }, pollMs);
  }

  function forget(waiter: Waiter<Handle>): void {
    waiters.delete(waiter);
    const set = byResource.get(waiter.resource);
    set?.delete(waiter);
    if (set?.size === 0) byResource.delete(waiter.resource);
    if (waiter.waitTimer !== undefined) timers.clearTimeout(waiter.waitTimer);
    if (waiter.leaseTimer !== undefined) timers.clearTimeout(waiter.leaseTimer);
    waiter.waitTimer = undefined;
    waiter.leaseTimer = undefined;
    if (waiters.size === 0 && pollTimer !== undefined) {
      timers.clearTimeout(pollTimer);
      pollTimer = undefined;
    }
  }

  function answer(waiter: Waiter<Handle>, outcome: Grant | Denied): void {
    if (waiter.answered) return;
    waiter.answered = true;
    waiter.answer(finish(outcome));
  }

  /** Asks for a store step for this waiter; steps never overlap, extra requests coalesce. */
  function kick(waiter: Waiter<Handle>): void {
    if (waiter.finished) return;
    if (waiter.busy) {
      waiter.again = true;
      return;
    }
    waiter.busy = true;
    inBackground(step(waiter));
  }

  async function step(waiter: Waiter<Handle>): Promise<void> {
    const { resource, ticket } = waiter;
    try {
      do {
        waiter.again = false;
        const ending = waiter.ending;
        if (ending === 'cancelled' || ending === 'closed') {
          // Withdrawn callers are never granted: leave without a chance of a grant.
          waiter.finished = true;
          forget(waiter);
          await store.leave(resource, ticket);
          return;
        }
        const result = await store.retry(resource, ticket, waiter.ttlMs, ending === 'timeout');
        noteExpired(resource, result.expiredToken);
        if (result.outcome === 'granted') {
          waiter.finished = true;
          forget(waiter);
          if (waiter.answered) {
            // Cancelled or closed while this step was in flight: give the lease straight back.
            await store.release(resource, result.token);
            return;
          }
          trackLease(resource, result.token, result.ttlRemainingMs);
          answer(waiter, {
            granted: true,
            resource,
            token: result.token,
            ttlRemainingMs: result.ttlRemainingMs,
            waitedMs: Math.round(now() - waiter.startedAt),
          });
          return;
        }
        if (result.outcome === 'left' || result.outcome === 'held') {
          waiter.finished = true;
          forget(waiter);
          answer(waiter, deny(resource, 'timeout', result.ttlRemainingMs));
          return;
        }
        waiter.lastTtlRemainingMs = result.ttlRemainingMs;
        armLeaseTimer(waiter, result.ttlRemainingMs);
      } while (wantsAnotherStep(waiter));
    } catch (error) {
      if (waiter.ending === 'timeout' || waiter.ending === undefined) {
        if (waiter.ending === 'timeout') {
          // The final step failed: answer with the failure; the ticket lapses on its own.
          waiter.finished = true;
          forget(waiter);
          if (!waiter.answered) {
            waiter.answered = true;
            waiter.fail(error);
          }
        }
        // Otherwise keep waiting: the next wake-up or poll tries again.
      } else {
        // Cancelled or closed and the store is unreachable: the ticket lapses on its own.
        waiter.finished = true;
        forget(waiter);
      }
    } finally {
      waiter.busy = false;
      if (!waiter.finished && (waiter.again || waiter.ending !== undefined)) kick(waiter);
    }
  }

  /** Read through a call: a wake-up or an ending may have arrived while a step was awaited. */
  function wantsAnotherStep(waiter: Waiter<Handle>): boolean {
    return waiter.again || waiter.ending !== undefined;
  }

  function armLeaseTimer(waiter: Waiter<Handle>, ttlRemainingMs: number): void {
    if (waiter.leaseTimer !== undefined) timers.clearTimeout(waiter.leaseTimer);
    waiter.leaseTimer = undefined;
    if (ttlRemainingMs <= 0 || waiter.finished || closed) return;
    waiter.leaseTimer = timers.setTimeout(() => {
      waiter.leaseTimer = undefined;
      kick(waiter);
    }, ttlRemainingMs + 1);
  }

  function end(waiter: Waiter<Handle>, ending: Ending): void {
    if (waiter.finished || waiter.ending === 'cancelled' || waiter.ending === 'closed') return;
    waiter.ending = ending;
    if (waiter.waitTimer !== undefined) timers.clearTimeout(waiter.waitTimer);
    waiter.waitTimer = undefined;
    // A withdrawn caller is answered at once; a timed-out one after its final step (a lease
    // that ended by now still goes to the queue first, perhaps to this very waiter).
    if (ending !== 'timeout') answer(waiter, deny(waiter.resource, ending, waiter.lastTtlRemainingMs));
    kick(waiter);
  }

  function queue(
    request: AcquireRequest,
    resource: string,
    ttlMs: number,
    waitMs: number,
    startedAt: number,
    queued: Extract<StoreStep, { outcome: 'queued' }>,
  ): Promise<Grant | Denied> {
    const { signal } = request;
    return new Promise<Grant | Denied>((resolve, reject) => {
      const onAbort = () => end(waiter, 'cancelled');
      const waiter: Waiter<Handle> = {
        resource,
        ttlMs,
        ticket: queued.ticket,
        startedAt,
        waitTimer: undefined,
        leaseTimer: undefined,
        busy: false,
        again: false,
        ending: undefined,
        answered: false,
        finished: false,
        lastTtlRemainingMs: queued.ttlRemainingMs,
        answer: (outcome) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
        fail: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      };
      waiters.add(waiter);
      const set = byResource.get(resource) ?? new Set<Waiter<Handle>>();
      set.add(waiter);
      byResource.set(resource, set);
      request.onQueued?.(queued.position);
      emit({ type: 'queued', resource, position: queued.position, waitMs });
      const leftMs = Math.max(0, waitMs - (now() - startedAt));
      waiter.waitTimer = timers.setTimeout(() => {
        waiter.waitTimer = undefined;
        end(waiter, 'timeout');
      }, leftMs);
      armLeaseTimer(waiter, queued.ttlRemainingMs);
      schedulePoll();
      signal?.addEventListener('abort', onAbort, { once: true });
      // Closed or withdrawn while the store queued us: leave at once.
      if (closed) end(waiter, 'closed');
      else if (signal?.aborted === true) end(waiter, 'cancelled');
      // The lease was free but others were ahead: a step now catches a head that already left.
      else if (queued.ttlRemainingMs === 0) kick(waiter);
    });
  }

  return {
    async acquire(request) {
      const checked = validateLockRequest(request);
      if (!checked.ok) {
        const detail = checked.problems.map((p) => `${p.field} ${p.message}`).join('; ');
        throw new RangeError(`invalid lock request: ${detail}`);
      }
      const { resource, ttlMs, waitMs } = checked.value;
      if (closed) return finish(deny(resource, 'closed', 0));
      if (request.signal?.aborted === true) return finish(deny(resource, 'cancelled', 0));
      const startedAt = now();
      const result = await store.acquire(resource, ttlMs, waitMs > 0);
      noteExpired(resource, result.expiredToken);
      switch (result.outcome) {
        case 'granted':
          trackLease(resource, result.token, result.ttlRemainingMs);
          return finish({
            granted: true,
            resource,
            token: result.token,
            ttlRemainingMs: result.ttlRemainingMs,
            waitedMs: 0,
          });
        case 'held':
        case 'left':
          return finish(deny(resource, 'held', result.ttlRemainingMs));
        case 'queued':
          return queue(request, resource, ttlMs, waitMs, startedAt, result);
      }
    },

    async release({ resource, token }) {
      const { result, expiredToken } = await store.release(resource, token);
      noteExpired(resource, expiredToken);
      if (result.released) {
        untrackLease(resource, token);
        emit({ type: 'released', resource, token });
      }
      return result;
    },

    async holder(resource) {
      const { holder, expiredToken } = await store.holder(resource);
      noteExpired(resource, expiredToken);
      return holder;
    },

    heldCount() {
      return store.heldCount();
    },

    get waiting() {
      let count = 0;
      for (const waiter of waiters) if (!waiter.answered) count++;
      return count;
    },

    close() {
      if (closing !== undefined) return closing;
      closed = true;
      unsubscribe();
      if (pollTimer !== undefined) timers.clearTimeout(pollTimer);
      pollTimer = undefined;
      for (const lease of leases.values()) timers.clearTimeout(lease.timer);
      leases.clear();
      for (const waiter of [...waiters]) end(waiter, 'closed');
      closing = (async () => {
        // Steps started by the loop above (leave) or still in flight; new ones may chain on.
        while (background.size > 0) await Promise.allSettled([...background]);
      })();
      return closing;
    },
  };
}
