/**
 * The coordinator's lock table: leases with fencing tokens and FIFO waiters, nothing else.
 *
 * Pure: no timers, no I/O, no wall clock. Time comes from an injected monotonic clock so a
 * wall-clock jump (NTP step, manual change) can neither extend nor cut a lease.
 *
 * Invariants the rest of the coordinator relies on:
 * - At most one live lease per resource; a lease whose expiry has passed counts as free
 *   (lazy expiry) and is cleaned up as soon as anything touches it or `sweep()` runs.
 * - Every grant takes a fresh token from `tokens.next()`, so tokens grow strictly in grant
 *   order across all resources and are never reused (the token source makes that survive
 *   restarts). A source that goes backwards is a bug and is refused loudly.
 * - Waiters exist only while the resource is held. When a lease ends (release or expiry) the
 *   first waiter is granted in the same step, so a newcomer can never slip in between and
 *   jump the queue. Such hand-offs are reported through `onEvent`, because they happen as a
 *   side effect of someone else's call (a release, a sweep, another acquire).
 */
import { createMinHeap } from './min-heap.js';

/** Milliseconds on a monotonic clock: `performance.now()` in production, a fake in tests. */
export type MonotonicNow = () => number;

/** Hands out fencing tokens; each call returns a larger integer than any before it. */
export interface TokenSource {
  next(): number;
}

export interface Granted {
  readonly granted: true;
  readonly token: number;
  /** Whole milliseconds, rounded down so a holder never believes it has more time than it has. */
  readonly ttlRemainingMs: number;
}

export interface Refused {
  readonly granted: false;
  /** The current holder's remaining lease, rounded up: a useful "retry after" hint. */
  readonly ttlRemainingMs: number;
  /** How many waiters are already queued for the resource. */
  readonly waiting: number;
}

export interface Queued {
  readonly granted: false;
  /** 1-based place in the FIFO queue. */
  readonly position: number;
  readonly ttlRemainingMs: number;
}

export type AcquireResult = Granted | Refused;
export type EnqueueResult = Granted | Queued;

export type ReleaseResult =
  | {
      readonly released: true;
      /** The waiter that received the lock, if any. */ readonly handedOffTo?: string;
    }
  | {
      readonly released: false;
      /** `not-held`: nobody holds the resource; `stale-token`: someone else does. */
      readonly reason: 'not-held' | 'stale-token';
    };

export interface HolderInfo {
  readonly token: number;
  readonly ttlRemainingMs: number;
  readonly waiting: number;
}

/**
 * What happened, in order, including side effects of a call such as hand-offs. `released`
 * precedes the `handed-off` it causes, so logs read in the order things happened.
 */
export type LockTableEvent =
  | { readonly type: 'released'; readonly resource: string; readonly token: number }
  | { readonly type: 'expired'; readonly resource: string; readonly token: number }
  | {
      readonly type: 'handed-off';
      readonly resource: string;
      readonly waiterId: string;
      readonly token: number;
      readonly ttlRemainingMs: number;
    };

type HandOff = Extract<LockTableEvent, { type: 'handed-off' }>;

export interface LockTableDeps {
  readonly now: MonotonicNow;
  readonly tokens: TokenSource;
  /**
   * Called synchronously after the table's state is consistent again, so a listener may call
   * back into the table. Events are delivered in the order they happened.
   */
  readonly onEvent?: (event: LockTableEvent) => void;
}

export interface LockTable {
  /** Grants the resource if it is free (or its lease has expired) and nobody is queued. */
  tryAcquire(resource: string, ttlMs: number): AcquireResult;
  /**
   * Joins the FIFO queue of a held resource, or is granted at once if the resource is free.
   * When the lock later reaches this waiter, a `handed-off` event carries its grant; the
   * waiter's lease (`ttlMs`) starts at that moment. Enqueueing an id that is already queued
   * changes nothing and reports its current position.
   */
  enqueue(resource: string, waiterId: string, ttlMs: number): EnqueueResult;
  /** Leaves the queue (e.g. the wait timed out). Returns whether the waiter was queued. */
  removeWaiter(resource: string, waiterId: string): boolean;
  /** Only the current holder's token releases; any other token changes nothing. */
  release(resource: string, token: number): ReleaseResult;
  /** The live lease on a resource, if any. */
  holder(resource: string): HolderInfo | undefined;
  /** Expires every lease whose time has passed. Returns how many expired. */
  sweep(): number;
  /** Monotonic time of the earliest live lease expiry, so a caller can arm a single timer. */
  nextExpiry(): number | undefined;
  /**
   * Resources tracked: held ones, plus expired ones no call or sweep has touched yet (a
   * caller sweeping at `nextExpiry()` keeps that lag to one timer tick). For metrics.
   */
  readonly size: number;
  /** Waiters queued across all resources. */
  readonly waiting: number;
}

interface Entry {
  token: number;
  expiresAt: number;
  /** Insertion-ordered, so iteration order is the FIFO order; value is the waiter's ttlMs. */
  readonly waiters: Map<string, number>;
}

interface Expiry {
  readonly resource: string;
  readonly token: number;
  readonly expiresAt: number;
}

export function createLockTable({ now, tokens, onEvent }: LockTableDeps): LockTable {
  const entries = new Map<string, Entry>();
  // Lazy deletion: a released lease's expiry stays in the heap until popped or compacted;
  // it is recognised as stale because the resource no longer carries that token.
  const expiries = createMinHeap<Expiry>((a, b) => a.expiresAt < b.expiresAt);
  const outbox: LockTableEvent[] = [];
  let lastToken = 0;
  let waiting = 0;

  function flush(): void {
    // shift() rather than a for-of: a listener calling back into the table appends to the
    // same outbox and the nested flush drains it, keeping delivery in order.
    for (let event = outbox.shift(); event !== undefined; event = outbox.shift()) onEvent?.(event);
  }

  function nextToken(): number {
    const token = tokens.next();
    if (!Number.isSafeInteger(token) || token <= lastToken) {
      throw new Error(`token source went backwards or broke: ${token} after ${lastToken}`);
    }
    lastToken = token;
    return token;
  }

  function isLive(item: Expiry): boolean {
    return entries.get(item.resource)?.token === item.token;
  }

  function track(resource: string, entry: Entry): void {
    expiries.push({ resource, token: entry.token, expiresAt: entry.expiresAt });
    // Bound the garbage from released leases: rebuild once stale items outnumber live ones.
    if (expiries.size > 2 * entries.size + 64) {
      expiries.reset([...entries].map(([r, e]) => ({ resource: r, token: e.token, expiresAt: e.expiresAt })));
    }
  }

  function grantNew(resource: string, ttlMs: number, t: number): Granted {
    const entry: Entry = { token: nextToken(), expiresAt: t + ttlMs, waiters: new Map() };
    entries.set(resource, entry);
    track(resource, entry);
    return { granted: true, token: entry.token, ttlRemainingMs: Math.floor(ttlMs) };
  }

  /**
   * Ends the current lease: the first waiter inherits the resource, or it becomes free.
   * Returns the hand-off for the caller to announce (after its own events, to keep order).
   */
  function endLease(resource: string, entry: Entry, t: number): HandOff | undefined {
    const first = entry.waiters.entries().next();
    if (first.done === true) {
      entries.delete(resource);
      return undefined;
    }
    const [waiterId, ttlMs] = first.value;
    // Take the token before touching state: if the source throws, the table is unchanged.
    const token = nextToken();
    entry.waiters.delete(waiterId);
    waiting--;
    entry.token = token;
    entry.expiresAt = t + ttlMs;
    track(resource, entry);
    return { type: 'handed-off', resource, waiterId, token, ttlRemainingMs: Math.floor(ttlMs) };
  }

  /** The resource's entry if its lease is still live at t; an expired lease is ended first. */
  function settle(resource: string, t: number): Entry | undefined {
    const entry = entries.get(resource);
    if (entry === undefined || t < entry.expiresAt) return entry;
    const expiredToken = entry.token;
    const handOff = endLease(resource, entry, t);
    outbox.push({ type: 'expired', resource, token: expiredToken });
    if (handOff !== undefined) outbox.push(handOff);
    // A waiter's new lease starts at t with a positive ttl, so it is live.
    return entries.get(resource);
  }

  function assertTtl(ttlMs: number): void {
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs))
      throw new RangeError(`ttlMs must be a positive finite number, got ${ttlMs}`);
  }

  function positionOf(entry: Entry, waiterId: string): number {
    let position = 0;
    for (const id of entry.waiters.keys()) {
      position++;
      if (id === waiterId) break;
    }
    return position;
  }

  return {
    tryAcquire(resource, ttlMs) {
      assertTtl(ttlMs);
      const t = now();
      const entry = settle(resource, t);
      const result: AcquireResult =
        entry === undefined
          ? grantNew(resource, ttlMs, t)
          : { granted: false, ttlRemainingMs: Math.ceil(entry.expiresAt - t), waiting: entry.waiters.size };
      flush();
      return result;
    },

    enqueue(resource, waiterId, ttlMs) {
      assertTtl(ttlMs);
      const t = now();
      const entry = settle(resource, t);
      let result: EnqueueResult;
      if (entry === undefined) {
        result = grantNew(resource, ttlMs, t);
      } else {
        if (!entry.waiters.has(waiterId)) {
          entry.waiters.set(waiterId, ttlMs);
          waiting++;
        }
        result = {
          granted: false,
          position: positionOf(entry, waiterId),
          ttlRemainingMs: Math.ceil(entry.expiresAt - t),
        };
      }
      flush();
      return result;
    },

    removeWaiter(resource, waiterId) {
      const removed = entries.get(resource)?.waiters.delete(waiterId) ?? false;
      if (removed) waiting--;
      return removed;
    },

    release(resource, token) {
      const t = now();
      const entry = settle(resource, t);
      let result: ReleaseResult;
      if (entry === undefined) {
        result = { released: false, reason: 'not-held' };
      } else if (entry.token !== token) {
        result = { released: false, reason: 'stale-token' };
      } else {
        const handOff = endLease(resource, entry, t);
        outbox.push({ type: 'released', resource, token });
        if (handOff !== undefined) {
          outbox.push(handOff);
          result = { released: true, handedOffTo: handOff.waiterId };
        } else {
          result = { released: true };
        }
      }
      flush();
      return result;
    },

    holder(resource) {
      const t = now();
      const entry = settle(resource, t);
      flush();
      return entry === undefined
        ? undefined
        : {
            token: entry.token,
            ttlRemainingMs: Math.floor(entry.expiresAt - t),
            waiting: entry.waiters.size,
          };
    },

    sweep() {
      const t = now();
      let expired = 0;
      for (let top = expiries.peek(); top !== undefined && top.expiresAt <= t; top = expiries.peek()) {
        expiries.pop();
        if (!isLive(top)) continue;
        settle(top.resource, t);
        expired++;
      }
      flush();
      return expired;
    },

    nextExpiry() {
      for (let top = expiries.peek(); top !== undefined; top = expiries.peek()) {
        if (isLive(top)) return top.expiresAt;
        expiries.pop();
      }
      return undefined;
    },

    get size() {
      return entries.size;
    },

    get waiting() {
      return waiting;
    },
  };
}
