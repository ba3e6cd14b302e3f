import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { median, percentile, ratio, round, Samples, summarize, summarizeAt } from './stats.js';

describe('benchmark statistics', () => {
  test('the nearest-rank percentile is a value of the sample', () => {
    const values = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(percentile(values, 50), 5);
    assert.equal(percentile(values, 90), 9);
    assert.equal(percentile(values, 99), 10);
    assert.equal(percentile(values, 0), 1);
    assert.equal(percentile(values, 100), 10);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  test('a summary sorts its input and reports mean, percentiles and max', () => {
    const s = summarize([3, 1, 2, 100]);
    assert.deepEqual(s, { count: 4, mean: 26.5, p50: 2, p90: 100, p99: 100, max: 100 });
    const empty = summarize([]);
    assert.equal(empty.count, 0);
    assert.ok(Number.isNaN(empty.mean) && Number.isNaN(empty.max));
  });

  test('a summary at chosen percentiles names each one, in the order count, mean, percentiles, max', () => {
    const s = summarizeAt([5, 1, 4, 2, 3, 6, 7, 8, 9, 10], [50, 95, 99]);
    assert.deepEqual(Object.entries(s), [
      ['count', 10],
      ['mean', 5.5],
      ['p50', 5],
      ['p95', 10],
      ['p99', 10],
      ['max', 10],
    ]);
    const empty = summarizeAt([], [75]);
    assert.equal(empty.count, 0);
    assert.ok(Number.isNaN(empty.mean) && Number.isNaN(empty.p75) && Number.isNaN(empty.max));
  });

  test('the sample buffer grows past its initial size and sorts numerically', () => {
    const samples = new Samples();
    for (let i = 3000; i > 0; i--) samples.add(i / 10);
    assert.equal(samples.count, 3000);
    const sorted = samples.sorted();
    assert.equal(sorted[0], 0.1);
    assert.equal(sorted[2999], 300);
  });

  test('a ratio needs two finite numbers and a non-zero reference', () => {
    assert.equal(ratio(50, 200), 0.25);
    assert.equal(ratio(1, 0), null);
    assert.equal(ratio(undefined, 3), null);
    assert.equal(ratio(Number.NaN, 3), null);
  });

  test('rounding keeps significant digits and turns non-finite values into null', () => {
    assert.equal(round(0.000123456, 3), 0.000123);
    assert.equal(round(123456.7), 123500);
    assert.equal(round(0), 0);
    assert.equal(round(Number.POSITIVE_INFINITY), null);
    assert.equal(round(undefined), null);
  });

  test('the median is the middle value, or the mean of the two middle ones', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });
});
