import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@dslab/testing';
import { MAX_RANDOM_SEED, mulberry32 } from './random.js';
import { SEED_SIMULATOR, decidePayment } from './simulator.js';

describe('mulberry32', () => {
  test('the same seed gives the same sequence, another seed another', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const c = mulberry32(8);
    const first = Array.from({ length: 20 }, () => a());
    assert.deepEqual(
      Array.from({ length: 20 }, () => b()),
      first,
    );
    assert.notDeepEqual(
      Array.from({ length: 20 }, () => c()),
      first,
    );
  });

  test('it is the reference mulberry32 (the same numbers as the test helper for seeds 0, 1, 2^32−1)', () => {
    for (const seed of [0, 1, 42, MAX_RANDOM_SEED]) {
      const ours = mulberry32(seed);
      const reference = seededRandom(seed);
      for (let i = 0; i < 1000; i++) assert.equal(ours(), reference());
    }
  });

  test('over 100 000 draws every number is in [0, 1) and the mean is about 1/2', () => {
    const random = mulberry32(2025);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const r = random();
      assert.ok(r >= 0 && r < 1, `draw ${r}`);
      sum += r;
    }
    // The mean of 100 000 uniforms has σ ≈ 0.0009; ±0.01 is beyond 10σ.
    assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.01, `mean ${sum / 100_000}`);
  });

  test('when the seed is not an integer from 0 to 2^32−1, then it throws', () => {
    for (const seed of [-1, 1.5, MAX_RANDOM_SEED + 1, Number.NaN])
      assert.throws(() => mulberry32(seed), RangeError, String(seed));
  });

  test('when it drives the simulator, then a seed reproduces the decisions', () => {
    const a = mulberry32(99);
    const b = mulberry32(99);
    const decisions = Array.from({ length: 50 }, () => decidePayment(SEED_SIMULATOR, a));
    assert.deepEqual(
      Array.from({ length: 50 }, () => decidePayment(SEED_SIMULATOR, b)),
      decisions,
    );
  });
});
