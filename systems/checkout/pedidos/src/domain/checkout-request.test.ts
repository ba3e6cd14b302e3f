import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@dslab/testing';
import {
  MAX_ID,
  MAX_ITENS,
  MAX_QUANTIDADE,
  validateCheckoutRequest,
  type FieldError,
  type Validated,
} from './checkout-request.js';

function errorsOf<T>(result: Validated<T>): readonly FieldError[] {
  if (result.ok) assert.fail(`expected errors, got ${JSON.stringify(result.value)}`);
  return result.errors;
}

function fields<T>(result: Validated<T>): string[] {
  return errorsOf(result).map((e) => e.field);
}

const item = (produto_id: number, quantidade = 1) => ({ produto_id, quantidade });

describe('validateCheckoutRequest: valid requests', () => {
  test('when cliente_id and one item are valid, then the request is accepted as sent', () => {
    assert.deepEqual(validateCheckoutRequest({ cliente_id: 7, itens: [item(3, 2)] }), {
      ok: true,
      value: { cliente_id: 7, itens: [{ produto_id: 3, quantidade: 2 }] },
    });
  });

  test('when there are exactly 50 distinct items with quantidade 1000, then it is accepted', () => {
    const itens = Array.from({ length: MAX_ITENS }, (_, i) => item(i + 1, MAX_QUANTIDADE));
    const result = validateCheckoutRequest({ cliente_id: MAX_ID, itens });
    assert.equal(result.ok, true);
  });

  test('when the request has extra fields, then they are dropped from the validated value', () => {
    const result = validateCheckoutRequest({ cliente_id: 1, itens: [{ ...item(1), x: 1 }], extra: true });
    assert.deepEqual(result, { ok: true, value: { cliente_id: 1, itens: [item(1)] } });
  });

  test('the line order is kept', () => {
    const result = validateCheckoutRequest({ cliente_id: 1, itens: [item(9), item(2), item(5)] });
    assert.ok(result.ok);
    assert.deepEqual(
      result.value.itens.map((i) => i.produto_id),
      [9, 2, 5],
    );
  });
});

describe('validateCheckoutRequest: every problem is listed at once', () => {
  test('when the body is not an object, then one error for the whole request', () => {
    for (const body of [null, [], 'x', 3, undefined])
      assert.deepEqual(fields(validateCheckoutRequest(body)), ['']);
  });

  test('when cliente_id and itens are missing, then both are reported', () => {
    assert.deepEqual(errorsOf(validateCheckoutRequest({})), [
      { field: 'cliente_id', reason: 'cliente_id is required' },
      { field: 'itens', reason: 'itens is required' },
    ]);
  });

  test('when cliente_id is 0, negative, fractional, a string or past int32, then it is refused', () => {
    for (const cliente_id of [0, -1, 1.5, '7', MAX_ID + 1, Number.NaN, Infinity]) {
      assert.deepEqual(fields(validateCheckoutRequest({ cliente_id, itens: [item(1)] })), ['cliente_id']);
    }
  });

  test('when itens is empty, then it asks for at least one item', () => {
    assert.deepEqual(errorsOf(validateCheckoutRequest({ cliente_id: 1, itens: [] })), [
      { field: 'itens', reason: 'itens must have at least 1 item' },
    ]);
  });

  test('when itens has 51 lines, then one error names the count and the lines are not inspected', () => {
    const itens = Array.from({ length: MAX_ITENS + 1 }, () => ({ produto_id: 'bad' }));
    assert.deepEqual(errorsOf(validateCheckoutRequest({ cliente_id: 1, itens })), [
      { field: 'itens', reason: 'itens must have at most 50 items (it has 51)' },
    ]);
  });

  test('when itens is not an array, then it is refused', () => {
    assert.deepEqual(fields(validateCheckoutRequest({ cliente_id: 1, itens: { produto_id: 1 } })), ['itens']);
  });

  test('when several lines are wrong, then each wrong field is reported with its path', () => {
    const result = validateCheckoutRequest({
      cliente_id: -3,
      itens: [item(1, 0), 'x', { produto_id: 0, quantidade: 1001 }, { quantidade: 2 }, item(2, 2.5)],
    });
    assert.deepEqual(fields(result), [
      'cliente_id',
      'itens[0].quantidade',
      'itens[1]',
      'itens[2].produto_id',
      'itens[2].quantidade',
      'itens[3].produto_id',
      'itens[4].quantidade',
    ]);
  });

  test('when quantidade is 1001, then the reason states the range and the value received', () => {
    assert.deepEqual(errorsOf(validateCheckoutRequest({ cliente_id: 1, itens: [item(4, 1001)] })), [
      {
        field: 'itens[0].quantidade',
        reason: 'itens[0].quantidade must be an integer from 1 to 1000 (got 1001)',
      },
    ]);
  });

  test('when a produto_id repeats, then the request is refused naming both lines (no merging)', () => {
    const result = validateCheckoutRequest({ cliente_id: 1, itens: [item(7, 2), item(8), item(7, 3)] });
    assert.deepEqual(errorsOf(result), [
      {
        field: 'itens[2].produto_id',
        reason:
          'itens[2].produto_id repeats produto_id 7 of itens[0]: send one line per product with the total quantidade',
      },
    ]);
  });

  test('when a string value is very long, then the reason shows only its start', () => {
    const [error] = errorsOf(validateCheckoutRequest({ cliente_id: 'x'.repeat(10_000), itens: [item(1)] }));
    assert.ok(error !== undefined && error.reason.length < 120);
  });
});

describe('validateCheckoutRequest: property', () => {
  test('for random requests (seed 5), it accepts exactly those that meet every rule', () => {
    const random = seededRandom(5);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
    const ids = [1, 2, 3, 0, -1, 1.5, MAX_ID, MAX_ID + 1, '1'];
    const quantities = [1, 2, 1000, 0, 1001, 2.5, '3'];
    for (let n = 0; n < 5_000; n++) {
      const count = Math.floor(random() * 5);
      const itens = Array.from({ length: count }, () => ({
        produto_id: pick(ids),
        quantidade: pick(quantities),
      }));
      const cliente_id = pick(ids);
      const idOk = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_ID;
      const qOk = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 1000;
      const distinct = new Set(itens.map((i) => i.produto_id)).size === itens.length;
      const expected =
        idOk(cliente_id) &&
        count >= 1 &&
        distinct &&
        itens.every((i) => idOk(i.produto_id) && qOk(i.quantidade));
      const result = validateCheckoutRequest({ cliente_id, itens });
      assert.equal(result.ok, expected, JSON.stringify({ cliente_id, itens }));
      if (result.ok) assert.deepEqual(result.value, { cliente_id, itens });
    }
  });
});
