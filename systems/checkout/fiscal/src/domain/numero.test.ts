import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNumeroNf, nextNumeroNf, parseNumeroNf } from './numero.js';

describe('numero da nota fiscal', () => {
  test('when nNF is 780 for pedido 42, then the numero is NF780-42', () => {
    assert.equal(formatNumeroNf(780, 42), 'NF780-42');
    assert.deepEqual(parseNumeroNf('NF780-42'), { nNF: 780, pedido_id: 42 });
  });

  test('numbers written by the seed’s generator (NF<5 digits>-<pedido_id>) parse too', () => {
    assert.deepEqual(parseNumeroNf('NF54321-7'), { nNF: 54_321, pedido_id: 7 });
  });

  test('when the text has leading zeros, a missing part or extra text, then it does not parse', () => {
    for (const bad of ['NF0780-42', 'NF780-', 'NF-42', 'nf780-42', 'NF780-42 ', 'NF1000000000-1'])
      assert.equal(parseNumeroNf(bad), undefined, bad);
  });

  test('when nNF is out of 1..999 999 999, then formatting throws', () => {
    assert.throws(() => formatNumeroNf(0, 1), RangeError);
    assert.throws(() => formatNumeroNf(1_000_000_000, 1), RangeError);
  });

  test('the first number of a série is 1 and each next is one more', () => {
    assert.deepEqual(nextNumeroNf(undefined), { ok: true, nNF: 1 });
    assert.deepEqual(nextNumeroNf(41), { ok: true, nNF: 42 });
  });

  test('when the série reaches 999 999 999, then the next number is refused, not wrapped', () => {
    assert.equal(nextNumeroNf(999_999_998).ok, true);
    assert.equal(nextNumeroNf(999_999_999).ok, false);
  });
});
