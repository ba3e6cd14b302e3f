import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRecorder, decodeRecorder } from '../src/histogram.js';

/** HDR keeps 3 significant digits: a value comes back within 0.1 % (plus the 1 µs unit). */
function assertNear(actual: number, expected: number, what: string): void {
  const tolerance = expected * 0.001 + 0.001;
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} is not within 0.1 % of ${expected}`,
  );
}

test('when 1…1000 ms are recorded, then the summary reports their percentiles in milliseconds', () => {
  const recorder = createRecorder();
  for (let ms = 1; ms <= 1000; ms++) recorder.record(ms);
  const summary = recorder.summary();
  assert.equal(recorder.count, 1000);
  assert.equal(summary.count, 1000);
  assertNear(summary.min, 1, 'min');
  assertNear(summary.mean, 500.5, 'mean');
  assertNear(summary.p50, 500, 'p50');
  assertNear(summary.p90, 900, 'p90');
  assertNear(summary.p99, 990, 'p99');
  assertNear(summary.p999, 999, 'p999');
  assertNear(summary.max, 1000, 'max');
  assertNear(recorder.percentile(75), 750, 'p75');
});

test('when latencies are below a millisecond, then they keep microsecond resolution', () => {
  const recorder = createRecorder();
  for (let i = 0; i < 100; i++) recorder.record(0.25);
  recorder.record(0.0125);
  const summary = recorder.summary();
  assert.equal(summary.p50, 0.25);
  assert.equal(summary.min, 0.013);
});

test('when nothing was recorded, then every figure is 0', () => {
  const recorder = createRecorder();
  assert.deepEqual(recorder.summary(), {
    count: 0,
    min: 0,
    mean: 0,
    p50: 0,
    p90: 0,
    p99: 0,
    p999: 0,
    max: 0,
  });
  assert.equal(recorder.percentile(99), 0);
  assert.equal(decodeRecorder(recorder.encode()).count, 0);
});

test('when a value is outside 1 µs … 1 h, then it is clamped instead of throwing mid-run', () => {
  const recorder = createRecorder();
  recorder.record(-5);
  recorder.record(0);
  recorder.record(10 * 3_600_000);
  recorder.record(Number.POSITIVE_INFINITY);
  const summary = recorder.summary();
  assert.equal(summary.count, 4);
  assert.equal(summary.min, 0.001);
  assertNear(summary.max, 3_600_000, 'max');
});

test('when a recorder is encoded and decoded, then the copy has the same summary', () => {
  const recorder = createRecorder();
  for (let i = 0; i < 5000; i++) recorder.record(0.5 + ((i * 7919) % 4000) / 3);
  const encoded = recorder.encode();
  assert.match(encoded, /^[A-Za-z0-9+/]+=*$/);
  const copy = decodeRecorder(encoded);
  assert.deepEqual(copy.summary(), recorder.summary());
  // The decoded histogram keeps the range: it still takes an hour-long latency.
  copy.record(3_600_000);
  assertNear(copy.summary().max, 3_600_000, 'max after decode');
});

test('when one recorder is added to another, then the sum holds both and the source is unchanged', () => {
  const fast = createRecorder();
  const slow = createRecorder();
  for (let i = 0; i < 900; i++) fast.record(10);
  for (let i = 0; i < 100; i++) slow.record(2000);
  const total = createRecorder();
  total.add(fast);
  total.add(decodeRecorder(slow.encode()));
  const summary = total.summary();
  assert.equal(summary.count, 1000);
  assertNear(summary.p50, 10, 'p50');
  assertNear(summary.p90, 10, 'p90');
  assertNear(summary.p99, 2000, 'p99');
  assertNear(summary.mean, (900 * 10 + 100 * 2000) / 1000, 'mean');
  assert.equal(fast.count, 900);
  assert.throws(() => {
    total.add({ ...fast });
  }, /createRecorder or decodeRecorder/);
});
