import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ean13CheckDigit, isValidEan13 } from './ean.js';
import { createFaker } from './faker.js';
import { ean13 } from './generate.js';

test('the EAN-13 check digit matches published codes', () => {
  // GS1 examples and ISBN-13s (an ISBN-13 is an EAN-13).
  const known = ['4006381333931', '5901234123457', '9780306406157', '9788575224380', '0000000000000'];
  for (const code of known) {
    assert.equal(ean13CheckDigit(code.slice(0, 12)), Number(code[12]), code);
    assert.ok(isValidEan13(code), code);
  }
  // Weights run 1, 3, 1, 3, … from the left: the 11th digit weighs 1, the 12th weighs 3.
  assert.equal(ean13CheckDigit('000000000010'), 9);
  assert.equal(ean13CheckDigit('000000000001'), 7);
});

test('a wrong check digit, a swapped pair or a bad length is rejected', () => {
  assert.ok(!isValidEan13('4006381333932'));
  assert.ok(!isValidEan13('4006381339331')); // adjacent 3 and 9 swapped
  assert.ok(!isValidEan13('400638133393'));
  assert.ok(!isValidEan13('40063813339311'));
  assert.ok(!isValidEan13('40063813339a1'));
  assert.throws(() => ean13CheckDigit('12345'), RangeError);
  assert.throws(() => ean13CheckDigit('12345678901a'), RangeError);
});

test('generated EAN-13 codes are 13 digits with a valid check digit, leading zeros allowed', () => {
  const faker = createFaker(3);
  for (let i = 0; i < 2000; i++) {
    const code = ean13(faker);
    assert.match(code, /^\d{13}$/);
    assert.ok(isValidEan13(code), code);
  }
});
