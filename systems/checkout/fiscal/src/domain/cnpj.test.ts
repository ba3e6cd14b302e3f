import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@dslab/testing';
import { cnpjCheckDigits, cnpjProblem, formatCnpj, generateCnpj, isValidCnpj } from './cnpj.js';

describe('CNPJ check digits', () => {
  test('known valid CNPJs pass, bare or formatted', () => {
    for (const cnpj of ['11.444.777/0001-61', '11444777000161', '11.222.333/0001-81', '33009911002506'])
      assert.equal(isValidCnpj(cnpj), true, cnpj);
    assert.equal(cnpjCheckDigits('114447770001'), '61');
  });

  test('when a check digit is wrong, then the reason names the right ones', () => {
    assert.equal(cnpjProblem('11444777000162'), 'CNPJ check digits should be 61');
  });

  test('when the CNPJ is one repeated digit, then it is refused even though the arithmetic passes', () => {
    assert.equal(cnpjCheckDigits('000000000000'), '00');
    assert.equal(cnpjProblem('00000000000000'), 'CNPJ must not be one repeated digit');
  });

  test('when the shape is wrong, then it is refused', () => {
    for (const bad of ['1144477700016', '11.444.777/0001-6', '11-444-777/0001.61', 'AB444777000161', ''])
      assert.equal(isValidCnpj(bad), false, bad);
  });

  test('formatCnpj writes 00.000.000/0000-00', () => {
    assert.equal(formatCnpj('11444777000161'), '11.444.777/0001-61');
  });

  test('for generated CNPJs (seed 2), every one is valid and a single altered digit is caught (bar rare double 0 ↔ 1 collisions)', () => {
    const random = seededRandom(2);
    let undetected = 0;
    for (let n = 0; n < 5_000; n++) {
      const cnpj = generateCnpj(random);
      assert.equal(isValidCnpj(cnpj), true, cnpj);
      assert.equal(cnpj.slice(8, 12), '0001');
      const i = Math.floor(random() * 14);
      const d = (Number(cnpj[i]) + 1 + Math.floor(random() * 9)) % 10;
      const altered = `${cnpj.slice(0, i)}${d}${cnpj.slice(i + 1)}`;
      // An altered check digit is always caught; in the base, the second digit covers the first,
      // so a change passes only if both digits hit the remainder 0 ↔ 1 blind spot (mod11.ts).
      if (i >= 12) assert.equal(isValidCnpj(altered), false, `${cnpj} → ${altered}`);
      else if (isValidCnpj(altered)) undetected++;
    }
    assert.ok(undetected < 10, `undetected ${undetected} of 5000`);
  });
});
