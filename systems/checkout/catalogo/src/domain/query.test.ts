import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, validateCatalogoQuery } from './query.js';

describe('validateCatalogoQuery', () => {
  test('when no parameter is given, then all products, the default limit and offset 0', () => {
    assert.deepEqual(validateCatalogoQuery({}), { ok: true, value: { limit: DEFAULT_LIMIT, offset: 0 } });
  });

  test('when disponivel=true&limit=20&offset=40, then they are parsed', () => {
    assert.deepEqual(validateCatalogoQuery({ disponivel: 'true', limit: '20', offset: '40' }), {
      ok: true,
      value: { disponivel: true, limit: 20, offset: 40 },
    });
    const result = validateCatalogoQuery({ disponivel: 'false' });
    assert.ok(result.ok);
    assert.equal(result.value.disponivel, false);
  });

  test('the bounds are inclusive: limit 1 and 1000, offset 0 and 100 000', () => {
    assert.equal(validateCatalogoQuery({ limit: '1', offset: '0' }).ok, true);
    assert.equal(validateCatalogoQuery({ limit: String(MAX_LIMIT), offset: String(MAX_OFFSET) }).ok, true);
  });

  test('when every parameter is wrong, then every one is reported', () => {
    const result = validateCatalogoQuery({ disponivel: 'sim', limit: '0', offset: '-1', ordem: 'nome' });
    assert.ok(!result.ok);
    assert.deepEqual(
      result.errors.map((e) => e.param),
      ['ordem', 'disponivel', 'limit', 'offset'],
    );
  });

  test('when a number is written loosely (1e2, 010, " 5", 5.0, 1001, 100001), then it is refused', () => {
    for (const limit of ['1e2', '010', ' 5', '5.0', '1001', '', 'abc'])
      assert.equal(validateCatalogoQuery({ limit }).ok, false, limit);
    assert.equal(validateCatalogoQuery({ offset: '100001' }).ok, false);
  });

  test('when disponivel is 1, yes or TRUE, then it is refused: only "true" and "false"', () => {
    for (const disponivel of ['1', 'yes', 'TRUE', ''])
      assert.deepEqual(validateCatalogoQuery({ disponivel }).ok, false, disponivel);
  });

  test('when a parameter is repeated, then it is refused naming the count', () => {
    assert.deepEqual(validateCatalogoQuery({ limit: ['10', '20'] }), {
      ok: false,
      errors: [{ param: 'limit', reason: 'limit must be given once (it was given 2 times)' }],
    });
  });

  test('when a parameter name is unknown (disponível with an accent), then it is refused, not ignored', () => {
    const result = validateCatalogoQuery({ disponível: 'true' });
    assert.ok(!result.ok);
    assert.equal(result.errors[0]?.param, 'disponível');
  });
});
