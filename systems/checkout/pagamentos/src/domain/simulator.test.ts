import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@dslab/testing';
import { SEED_SIMULATOR, decidePayment, validateSimulatorConfig, type SimulatorConfig } from './simulator.js';

/** A random source that returns the given values in turn. */
function scripted(...values: number[]): () => number {
  let i = 0;
  return () => {
    const v = values[i++];
    if (v === undefined) throw new Error('scripted source exhausted');
    return v;
  };
}

describe('validateSimulatorConfig', () => {
  test('the seed’s simulator (500–1500 ms, 10 %) is valid', () => {
    assert.deepEqual(validateSimulatorConfig(SEED_SIMULATOR), { ok: true, value: SEED_SIMULATOR });
  });

  test('the edges are valid: p = 0, p = 1, min = max = 0, max = 60 000', () => {
    for (const config of [
      { minMs: 0, maxMs: 0, rejectionProbability: 0 },
      { minMs: 60_000, maxMs: 60_000, rejectionProbability: 1 },
    ])
      assert.equal(validateSimulatorConfig(config).ok, true);
  });

  test('when every field is wrong, then every field is reported', () => {
    const result = validateSimulatorConfig({ minMs: -1, maxMs: 60_001, rejectionProbability: 1.5 });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      ['minMs', 'maxMs', 'rejectionProbability'],
    );
  });

  test('when min > max, then maxMs is reported naming both', () => {
    assert.deepEqual(validateSimulatorConfig({ minMs: 900, maxMs: 800, rejectionProbability: 0 }), {
      ok: false,
      errors: [{ field: 'maxMs', reason: 'maxMs (800) must not be less than minMs (900)' }],
    });
  });

  test('when a value is NaN or fractional ms, then it is refused', () => {
    const bad: SimulatorConfig[] = [
      { minMs: 0.5, maxMs: 10, rejectionProbability: 0 },
      { minMs: 0, maxMs: Number.NaN, rejectionProbability: 0 },
      { minMs: 0, maxMs: 10, rejectionProbability: Number.NaN },
      { minMs: 0, maxMs: 10, rejectionProbability: -0.01 },
    ];
    for (const config of bad) assert.equal(validateSimulatorConfig(config).ok, false, JSON.stringify(config));
  });
});

describe('decidePayment', () => {
  test('when the draws are 0 and 0.5, then latency is minMs and the payment is approved', () => {
    assert.deepEqual(decidePayment(SEED_SIMULATOR, scripted(0, 0.5)), { latencyMs: 500, status: 'aprovado' });
  });

  test('when the first draw is just below 1, then latency is maxMs (inclusive)', () => {
    assert.equal(decidePayment(SEED_SIMULATOR, scripted(0.999_999_9, 0.5)).latencyMs, 1500);
  });

  test('when the second draw is below p, then the payment is rejected; at p it is approved', () => {
    assert.equal(decidePayment(SEED_SIMULATOR, scripted(0, 0.099_999)).status, 'rejeitado');
    assert.equal(decidePayment(SEED_SIMULATOR, scripted(0, 0.1)).status, 'aprovado');
  });

  test('when p is 0, then nothing is rejected; when p is 1, then everything is', () => {
    const random = seededRandom(3);
    for (let i = 0; i < 1000; i++) {
      assert.equal(decidePayment({ ...SEED_SIMULATOR, rejectionProbability: 0 }, random).status, 'aprovado');
      assert.equal(decidePayment({ ...SEED_SIMULATOR, rejectionProbability: 1 }, random).status, 'rejeitado');
    }
  });

  test('when the random source returns 1 or a negative number, then it throws (a wiring bug)', () => {
    assert.throws(() => decidePayment(SEED_SIMULATOR, scripted(1, 0)), RangeError);
    assert.throws(() => decidePayment(SEED_SIMULATOR, scripted(0, -0.1)), RangeError);
  });

  test('the same seed gives the same decisions', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    for (let i = 0; i < 100; i++)
      assert.deepEqual(decidePayment(SEED_SIMULATOR, a), decidePayment(SEED_SIMULATOR, b));
  });

  test('over 100 000 seeded decisions, latency stays in [500, 1500] and about 10 % are rejected', () => {
    const random = seededRandom(20_251_026);
    const n = 100_000;
    let rejected = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const { latencyMs, status } = decidePayment(SEED_SIMULATOR, random);
      assert.ok(Number.isInteger(latencyMs));
      min = Math.min(min, latencyMs);
      max = Math.max(max, latencyMs);
      sum += latencyMs;
      if (status === 'rejeitado') rejected++;
    }
    assert.equal(min, 500);
    assert.equal(max, 1500);
    // Binomial(100 000, 0.1): σ ≈ 95, so ±600 is beyond 6σ.
    assert.ok(Math.abs(rejected - 10_000) < 600, `rejected ${rejected}`);
    assert.ok(Math.abs(sum / n - 1000) < 10, `mean latency ${sum / n}`);
  });
});
