import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@dslab/testing';
import {
  generateCodigoRastreamento,
  isCodigoRastreamento,
  normalizeCodigoRastreamento,
} from './rastreamento.js';

describe('generateCodigoRastreamento', () => {
  test('when the draw is 0, then the code is the smallest of the seed’s range, BR100000000PY', () => {
    assert.equal(
      generateCodigoRastreamento(() => 0),
      'BR100000000PY',
    );
  });

  test('when the draw is just below 1, then the code is the largest, BR999999999PY', () => {
    assert.equal(
      generateCodigoRastreamento(() => 1 - 2 ** -40),
      'BR999999999PY',
    );
  });

  test('when the random source returns 1, then it throws (a wiring bug)', () => {
    assert.throws(() => generateCodigoRastreamento(() => 1), RangeError);
  });

  test('for 20 000 seeded codes (seed 8), every one is valid and the same seed repeats them', () => {
    const a = seededRandom(8);
    const b = seededRandom(8);
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const code = generateCodigoRastreamento(a);
      assert.equal(isCodigoRastreamento(code), true, code);
      assert.equal(generateCodigoRastreamento(b), code);
      seen.add(code);
    }
    // 20 000 draws from 9 × 10^8 values: collisions are possible but rare (the DB enforces uniqueness).
    assert.ok(seen.size > 19_990);
  });
});

describe('normalizeCodigoRastreamento', () => {
  test('when a person types it in lower case with spaces, then it is accepted in canonical form', () => {
    assert.deepEqual(normalizeCodigoRastreamento('  br123456789py '), { ok: true, value: 'BR123456789PY' });
  });

  test('when the shape is wrong, then it is refused with the expected shape', () => {
    for (const bad of [
      'BR012345678PY',
      'BR12345678PY',
      'BR1234567890PY',
      'XX123456789PY',
      'BR123456789BR',
      '',
    ])
      assert.equal(normalizeCodigoRastreamento(bad).ok, false, bad);
    assert.equal(isCodigoRastreamento(123), false);
  });
});
