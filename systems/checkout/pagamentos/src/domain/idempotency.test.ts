import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@dslab/testing';
import {
  canonicalJson,
  decideIdempotency,
  isIdempotencyKey,
  type Json,
  type StoredEntry,
} from './idempotency.js';

const fp = (value: Json) => canonicalJson(value);
const request = { pedido_id: 42, valor_centavos: 1000, metodo: 'pix' };
const stored: StoredEntry<{ status: string }> = {
  state: 'done',
  fingerprint: fp(request),
  result: { status: 'aprovado' },
};

describe('decideIdempotency', () => {
  test('when the key is new, then the request is executed', () => {
    assert.deepEqual(decideIdempotency(undefined, fp(request)), { kind: 'execute' });
  });

  test('when the same key comes with the same request, then the stored result is replayed', () => {
    assert.deepEqual(decideIdempotency(stored, fp({ metodo: 'pix', valor_centavos: 1000, pedido_id: 42 })), {
      kind: 'replay',
      result: { status: 'aprovado' },
    });
  });

  test('when the same key comes with a different request, then it is a conflict', () => {
    assert.deepEqual(decideIdempotency(stored, fp({ ...request, valor_centavos: 1001 })), {
      kind: 'conflict',
    });
  });

  test('when the same request arrives while the first is still running, then it is in-progress', () => {
    assert.deepEqual(decideIdempotency({ state: 'in-progress', fingerprint: fp(request) }, fp(request)), {
      kind: 'in-progress',
    });
  });

  test('when a different request arrives while the first is running, then it is a conflict', () => {
    assert.deepEqual(
      decideIdempotency(
        { state: 'in-progress', fingerprint: fp(request) },
        fp({ ...request, pedido_id: 43 }),
      ),
      { kind: 'conflict' },
    );
  });
});

describe('canonicalJson', () => {
  test('sorts keys at every level and drops whitespace', () => {
    assert.equal(canonicalJson({ b: [{ d: 1, c: 'x' }], a: null }), '{"a":null,"b":[{"c":"x","d":1}]}');
  });

  test('when a number is not finite, then it throws', () => {
    assert.throws(() => canonicalJson({ a: Number.NaN }), RangeError);
  });

  test('for random objects (seed 9), any permutation of keys gives the same text, any changed value another', () => {
    const random = seededRandom(9);
    for (let n = 0; n < 2_000; n++) {
      const keys = ['pedido_id', 'valor_centavos', 'metodo', 'x', 'y'].filter(() => random() < 0.7);
      const obj: Record<string, Json> = {};
      for (const k of keys) obj[k] = Math.floor(random() * 10);
      const shuffled: Record<string, Json> = {};
      for (const k of [...keys].sort(() => random() - 0.5)) shuffled[k] = obj[k] ?? null;
      assert.equal(canonicalJson(obj), canonicalJson(shuffled));
      const [first] = keys;
      if (first !== undefined) {
        const changed = { ...obj, [first]: (obj[first] as number) + 1 };
        assert.notEqual(canonicalJson(obj), canonicalJson(changed));
      }
    }
  });
});

describe('isIdempotencyKey', () => {
  test('accepts 1–255 printable ASCII characters without spaces', () => {
    assert.equal(isIdempotencyKey('b4d6a6b0-1c1e-4f9c-9f2e-2f0a0c2b6d11'), true);
    assert.equal(isIdempotencyKey('x'.repeat(255)), true);
    assert.equal(isIdempotencyKey(''), false);
    assert.equal(isIdempotencyKey('x'.repeat(256)), false);
    assert.equal(isIdempotencyKey('a b'), false);
    assert.equal(isIdempotencyKey('chave\n'), false);
    assert.equal(isIdempotencyKey(7), false);
  });
});
