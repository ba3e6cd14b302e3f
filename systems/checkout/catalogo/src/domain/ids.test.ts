import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_IDS, MAX_PRODUTO_ID, validateProdutoIds } from './ids.js';

describe('validateProdutoIds', () => {
  test('when ids repeat and are unordered, then they come back once each, ascending', () => {
    assert.deepEqual(validateProdutoIds([5, 1, 5, 3]), { ok: true, value: [1, 3, 5] });
  });

  test('the bounds are inclusive: 1 id and 1000 ids, ids 1 and 2^31 - 1', () => {
    assert.equal(validateProdutoIds([1]).ok, true);
    assert.equal(validateProdutoIds([MAX_PRODUTO_ID]).ok, true);
    assert.equal(validateProdutoIds(Array.from({ length: MAX_IDS }, (_, i) => i + 1)).ok, true);
  });

  test('when the list is empty, too long or not a list, then it is refused as a whole', () => {
    for (const input of [
      [],
      Array.from({ length: MAX_IDS + 1 }, (_, i) => i + 1),
      '1,2',
      null,
      { ids: [1] },
    ]) {
      const result = validateProdutoIds(input);
      assert.ok(!result.ok);
      assert.deepEqual(
        result.errors.map((e) => e.field),
        ['ids'],
      );
    }
  });

  test('when some ids are bad, then each is reported by position', () => {
    const result = validateProdutoIds([1, 0, -1, 2.5, '3', MAX_PRODUTO_ID + 1, null]);
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      ['ids[1]', 'ids[2]', 'ids[3]', 'ids[4]', 'ids[5]', 'ids[6]'],
    );
  });
});
