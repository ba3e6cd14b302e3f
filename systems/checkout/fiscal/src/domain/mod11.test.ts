import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@dslab/testing';
import { mod11CheckDigit, mod11Remainder, mod11Weight } from './mod11.js';

/** The chave de acesso's 43 weights written out left to right, as the manuals print them. */
const WEIGHTS_43 = '4329876543298765432987654329876543298765432';

function oracle(digits43: string): number {
  let sum = 0;
  for (let i = 0; i < 43; i++) sum += Number(digits43[i]) * Number(WEIGHTS_43[i]);
  const r = sum % 11;
  return r === 0 || r === 1 ? 0 : 11 - r;
}

describe('mod11', () => {
  test('weights run 2..9 from the right and cycle back to 2', () => {
    assert.deepEqual(
      Array.from({ length: 10 }, (_, i) => mod11Weight(i)),
      [2, 3, 4, 5, 6, 7, 8, 9, 2, 3],
    );
    assert.equal(WEIGHTS_43.length, 43);
  });

  test('when the remainder is 0 or 1, then the digit is 0; otherwise 11 − remainder', () => {
    assert.equal(mod11Remainder('0'), 0);
    assert.equal(mod11CheckDigit('0'), 0);
    // 5 × 2 = 10 → remainder 10 → digit 1
    assert.equal(mod11CheckDigit('5'), 1);
    // 6 × 2 = 12 → remainder 1 → digit 0
    assert.equal(mod11Remainder('6'), 1);
    assert.equal(mod11CheckDigit('6'), 0);
    // 1 × 2 = 2 → digit 9
    assert.equal(mod11CheckDigit('1'), 9);
  });

  test('when the input has a non-digit, then it throws', () => {
    assert.throws(() => mod11CheckDigit('12a'), RangeError);
    assert.throws(() => mod11CheckDigit(''), RangeError);
  });

  test('for random 43-digit bodies (seed 44), it agrees with the written-out weight table', () => {
    const random = seededRandom(44);
    for (let n = 0; n < 10_000; n++) {
      let body = '';
      for (let i = 0; i < 43; i++) body += String(Math.floor(random() * 10));
      assert.equal(mod11CheckDigit(body), oracle(body), body);
    }
  });
});
