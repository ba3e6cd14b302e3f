/**
 * The server's clock, as this page estimates it: packages/clock's NTP-style sync against the
 * root's `_links.tempo` (GET /time), 8 exchanges per batch, the minimum-delay one kept, re-synced
 * every minute. `now()` is the estimated server time; `nowWithBound()` adds its ± bound.
 */
import { createClockSync, createFetchTime, type ClockSync } from '@dslab/clock';

export type ServerClock = ClockSync;

export function startServerClock(timeHref: string): ServerClock {
  const clock = createClockSync({
    fetchTime: createFetchTime(timeHref),
    samples: 8,
    spacingMs: 50,
    resyncIntervalMs: 60_000,
  });
  void clock.start();
  return clock;
}
