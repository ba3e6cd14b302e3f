/**
 * Wall-clock epoch milliseconds with sub-millisecond resolution, for GET /time's receive and
 * transmit stamps. performance.now() has microsecond resolution but runs on the monotonic
 * clock, which drifts from the (NTP-disciplined) system clock over a long uptime; Date.now()
 * follows the system clock but only to the millisecond. So the monotonic reading is anchored to
 * Date.now() and re-anchored whenever the two disagree by more than a millisecond.
 */
export function createPreciseWallClock(
  monotonicNow: () => number = () => performance.now(),
  wallNow: () => number = () => Date.now(),
): () => number {
  let anchor = wallNow() - monotonicNow();
  return () => {
    const precise = anchor + monotonicNow();
    const wall = wallNow();
    // Date.now() truncates, so `precise` may run up to 1 ms ahead of it legitimately.
    if (precise < wall - 1 || precise > wall + 2) {
      anchor = wall - monotonicNow();
      return wall;
    }
    return precise;
  };
}
