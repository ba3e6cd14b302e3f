import type { TokenSource } from './domain/lock-table.js';
import { createLockService, type LockService } from './domain/lock-service.js';
import type { LockEvents } from './lock-events.js';

/** Name of the fencing-token high-water-mark file inside DATA_DIR. */
export const TOKEN_MARK_FILE = 'fencing-token.mark';

/** Name of the booking-event-id high-water-mark file inside DATA_DIR. */
export const EVENT_ID_MARK_FILE = 'event-id.mark';

/**
 * The lock service on the platform's monotonic clock (`performance.now()`, immune to wall-clock
 * steps) and real timers, reporting to `events`. What main.ts runs, and what in-process tests
 * and demos use with a memory token store.
 */
export function createPlatformLockService({
  tokens,
  events,
}: {
  tokens: TokenSource;
  events: LockEvents;
}): LockService {
  return createLockService<NodeJS.Timeout>({
    now: () => performance.now(),
    tokens,
    timers: {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle),
    },
    onEvent: events.emit,
  });
}
