/**
 * A short chaos run in CI, both ways: with every protection on the checker must find nothing;
 * with fencing and the database's last line off it must find the double bookings the frozen
 * lock holders cause, which proves the checker (and the fault injection) can see a failure.
 * `npm run chaos:sctec` runs the same thing longer and writes the results to docs/chaos/.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TEST_POSTGRES_URL, TEST_REDIS_URL } from '@dslab/testing';
import { runChaos, type ChaosMode } from './run.js';

const run = (mode: ChaosMode) =>
  runChaos({
    mode,
    durationMs: 30_000,
    clients: 8,
    hotSlots: 4,
    seed: 11,
    databaseUrl: TEST_POSTGRES_URL,
    redisUrl: TEST_REDIS_URL,
  });

describe('SCTEC under faults (2 coordinators on Redis, 2 schedulers on PostgreSQL)', () => {
  test('when coordinators and schedulers are killed and lock holders frozen past their lease, then no invariant breaks', async () => {
    const report = await run('safe');
    assert.ok(report.faults.length >= 2, `faults injected: ${JSON.stringify(report.faultCounts)}`);
    assert.ok(report.faults.some((f) => f.kind === 'pause-scheduler'));
    assert.ok(
      (report.requests.book['201'] ?? 0) > 0,
      `booking answers: ${JSON.stringify(report.requests.book)}`,
    );
    assert.deepEqual(report.examples, []);
    assert.equal(report.totalViolations, 0);
  });

  test('when fencing and the last-line constraints are off, then the same faults produce double bookings and the checker reports them', async () => {
    const report = await run('unsafe');
    assert.ok(
      report.violations.doubleBookedSlots > 0,
      `violations: ${JSON.stringify(report.violations)}; faults: ${JSON.stringify(report.faults)}; answers: ${JSON.stringify(report.requests)}`,
    );
    // Everything else still holds: the audit is written in the same transaction as the booking.
    assert.equal(report.violations.auditDisagreements, 0);
    assert.equal(report.violations.brokenChainLinks, 0);
    assert.equal(report.violations.acknowledgedMissing, 0);
  });
});
