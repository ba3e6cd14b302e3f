import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_CONSULTA_IDS,
  MAX_ID,
  MAX_MOTIVO,
  parseProdutoIdsParam,
  validateLiberarRequest,
  validateProdutoIds,
  validateSepararRequest,
} from './request.js';

describe('validateSepararRequest', () => {
  test('when pedido_id and items are valid, then the request is accepted', () => {
    assert.deepEqual(validateSepararRequest({ pedido_id: 1, itens: [{ produto_id: 2, quantidade: 3 }] }), {
      ok: true,
      value: { pedido_id: 1, itens: [{ produto_id: 2, quantidade: 3 }] },
    });
  });

  test('when the same product appears on two lines, then it is accepted (the reservation sums them)', () => {
    const result = validateSepararRequest({
      pedido_id: 1,
      itens: [
        { produto_id: 2, quantidade: 3 },
        { produto_id: 2, quantidade: 1 },
      ],
    });
    assert.equal(result.ok, true);
  });

  test('when everything is wrong, then every problem is listed', () => {
    const result = validateSepararRequest({
      pedido_id: '1',
      itens: [{ produto_id: 0, quantidade: 1001 }, null],
    });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      ['pedido_id', 'itens[0].produto_id', 'itens[0].quantidade', 'itens[1]'],
    );
  });

  test('when itens is empty or missing, then it is refused', () => {
    assert.equal(validateSepararRequest({ pedido_id: 1, itens: [] }).ok, false);
    assert.equal(validateSepararRequest({ pedido_id: 1 }).ok, false);
    assert.equal(validateSepararRequest(null).ok, false);
  });
});

describe('validateLiberarRequest', () => {
  test('when pedido_id and motivo are valid, then the motivo is kept trimmed', () => {
    assert.deepEqual(validateLiberarRequest({ pedido_id: 7, motivo: '  pagamento recusado ' }), {
      ok: true,
      value: { pedido_id: 7, motivo: 'pagamento recusado' },
    });
  });

  test('when motivo is absent or empty, then the release is still accepted (a compensation is never refused for a note)', () => {
    assert.deepEqual(validateLiberarRequest({ pedido_id: 7 }), {
      ok: true,
      value: { pedido_id: 7, motivo: '' },
    });
    assert.deepEqual(validateLiberarRequest({ pedido_id: 7, motivo: '' }), {
      ok: true,
      value: { pedido_id: 7, motivo: '' },
    });
  });

  test('when pedido_id is 0 (a proto3 default) and motivo is too long, then both are reported', () => {
    const result = validateLiberarRequest({ pedido_id: 0, motivo: 'x'.repeat(MAX_MOTIVO + 1) });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      ['pedido_id', 'motivo'],
    );
  });

  test('when motivo is not a string or the request not an object, then it is refused', () => {
    assert.equal(validateLiberarRequest({ pedido_id: 1, motivo: 5 }).ok, false);
    assert.equal(validateLiberarRequest([]).ok, false);
    assert.equal(validateLiberarRequest({ pedido_id: MAX_ID + 1, motivo: 'x' }).ok, false);
  });
});

describe('validateProdutoIds', () => {
  test('when ids repeat and are unordered, then they come back unique and ascending', () => {
    assert.deepEqual(validateProdutoIds([3, 1, 3, 2]), { ok: true, value: [1, 2, 3] });
  });

  test('when the list is empty, then it is accepted (every product)', () => {
    assert.deepEqual(validateProdutoIds([]), { ok: true, value: [] });
  });

  test('when an id is 0, negative, fractional, too large or a string, then each one is reported', () => {
    const result = validateProdutoIds([1, 0, -2, 1.5, MAX_ID + 1, '4']);
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      ['produto_ids[1]', 'produto_ids[2]', 'produto_ids[3]', 'produto_ids[4]', 'produto_ids[5]'],
    );
  });

  test('when more than 1000 ids are named, then the list is refused', () => {
    const ids = Array.from({ length: MAX_CONSULTA_IDS + 1 }, (_, i) => i + 1);
    assert.equal(validateProdutoIds(ids).ok, false);
    assert.equal(validateProdutoIds(ids.slice(1)).ok, true);
    assert.equal(validateProdutoIds('1,2').ok, false);
  });
});

describe('parseProdutoIdsParam', () => {
  test('when the parameter is absent or empty, then every product is meant', () => {
    assert.deepEqual(parseProdutoIdsParam(undefined), { ok: true, value: [] });
    assert.deepEqual(parseProdutoIdsParam(''), { ok: true, value: [] });
  });

  test('when it is a comma list, then the ids come back unique and ascending', () => {
    assert.deepEqual(parseProdutoIdsParam('3,1,2,3'), { ok: true, value: [1, 2, 3] });
  });

  test('when an element is loosely written or out of range, then it is reported by position', () => {
    const result = parseProdutoIdsParam('1, 2,02,-3,1e2,abc,,2147483648');
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.field),
      [
        'produto_ids[1]',
        'produto_ids[2]',
        'produto_ids[3]',
        'produto_ids[4]',
        'produto_ids[5]',
        'produto_ids[6]',
        'produto_ids[7]',
      ],
    );
  });

  test('when more than 1000 ids are named, then the list is refused', () => {
    const text = Array.from({ length: MAX_CONSULTA_IDS + 1 }, (_, i) => i + 1).join(',');
    assert.equal(parseProdutoIdsParam(text).ok, false);
  });
});
