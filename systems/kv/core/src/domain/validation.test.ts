import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KV_LIMITS } from './types.js';
import { validateKey, validateValue } from './validation.js';

describe('key validation', () => {
  test('when a key has 1 to 512 printable characters (any script), then it is valid', () => {
    for (const key of [
      'a',
      'user:42',
      'chave com espaços',
      'ключ',
      '🔑',
      'x'.repeat(KV_LIMITS.keyMaxLength),
    ]) {
      assert.equal(validateKey(key), undefined, key);
    }
  });

  test('when a key is empty, too long, not a string or has control characters, then it says why', () => {
    assert.match(validateKey('') ?? '', /empty/);
    assert.match(validateKey('x'.repeat(KV_LIMITS.keyMaxLength + 1)) ?? '', /at most 512/);
    assert.match(validateKey(42) ?? '', /string/);
    assert.match(validateKey(undefined) ?? '', /string/);
    for (const bad of ['a\u0000b', 'line\nbreak', 'tab\t', '\u001f', 'del\u007f']) {
      assert.match(validateKey(bad) ?? '', /control characters/, JSON.stringify(bad));
    }
  });
});

describe('value validation', () => {
  test('when a value is a string of at most 256 KiB in UTF-8 (empty included), then it is valid', () => {
    assert.equal(validateValue(''), undefined);
    assert.equal(validateValue('x'.repeat(KV_LIMITS.valueMaxBytes)), undefined);
    // 2-byte characters: exactly at the limit.
    assert.equal(validateValue('é'.repeat(KV_LIMITS.valueMaxBytes / 2)), undefined);
    assert.equal(validateValue('line\nbreaks and \u0000 are fine in values'), undefined);
  });

  test('when a value is over 256 KiB in UTF-8 or not a string, then it says why', () => {
    assert.match(validateValue('x'.repeat(KV_LIMITS.valueMaxBytes + 1)) ?? '', /at most 262144 bytes/);
    // Fewer characters than the limit, but more bytes: counted in UTF-8, not in characters.
    assert.match(validateValue('é'.repeat(KV_LIMITS.valueMaxBytes / 2 + 1)) ?? '', /has 262146\)/);
    assert.match(validateValue('🔑'.repeat(KV_LIMITS.valueMaxBytes / 4 + 1)) ?? '', /has 262148\)/);
    for (const bad of [42, null, undefined, { a: 1 }, ['x'], true]) {
      assert.match(validateValue(bad) ?? '', /must be a string/, JSON.stringify(bad));
    }
  });
});
