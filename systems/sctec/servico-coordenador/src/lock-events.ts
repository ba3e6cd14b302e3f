import type { LockServiceEvent } from './domain/lock-service.js';

export type LockEventListener = (event: LockServiceEvent) => void;

/**
 * Fans the lock service's events out to whoever listens (logs and metrics in buildApp, later
 * the Server-Sent Events stream). The lock service takes a single `onEvent`, and main.ts creates
 * it before the app exists, so both are wired to this hub:
 *
 *   const events = createLockEvents();
 *   const lockService = createLockService({ now, tokens, timers, onEvent: events.emit });
 *   const app = await buildApp({ logger, lockService, events });
 *
 * Listeners run synchronously, in subscription order, while the lock service is mid-call: they
 * must be quick and must not throw (the lock service re-throws a listener's error on a later
 * microtask, which crashes the process on purpose rather than hide a bug).
 */
export interface LockEvents {
  /** Give this to `createLockService({ onEvent })`. */
  readonly emit: LockEventListener;
  /** Returns the function that unsubscribes. */
  subscribe(listener: LockEventListener): () => void;
}

export function createLockEvents(): LockEvents {
  const listeners = new Set<LockEventListener>();
  return {
    emit(event) {
      for (const listener of listeners) listener(event);
    },
    subscribe(listener) {
      // A wrapper per subscription, so subscribing the same function twice means two deliveries.
      const entry: LockEventListener = (event) => listener(event);
      listeners.add(entry);
      return () => listeners.delete(entry);
    },
  };
}
