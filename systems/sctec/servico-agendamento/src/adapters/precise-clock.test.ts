import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPreciseWallClock } from './precise-clock.js';

test('when the system clock is steady, then readings keep sub-millisecond resolution', () => {
  let mono = 1000.25;
  let wall = 1_700_000_000_000;
  const now = createPreciseWallClock(
    () => mono,
    () => wall,
  );
  mono += 0.5;
  assert.equal(now() % 1, (1_700_000_000_000 - 1000.25 + 1000.75) % 1);
  mono += 10.3;
  wall += 10;
  assert.ok(Math.abs(now() - (wall + 0.8)) < 1.01);
});

test('when the system clock is stepped, then the clock follows it at once', () => {
  let mono = 0;
  let wall = 1_700_000_000_000;
  const now = createPreciseWallClock(
    () => mono,
    () => wall,
  );
  wall += 5_000; // NTP step
  mono += 1;
  assert.equal(now(), wall);
  mono += 0.25;
  assert.equal(now(), wall + 0.25);
});
