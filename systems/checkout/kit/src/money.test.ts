import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReais } from './money.js';

test('when centavos are formatted, then they read as Brazilian reais', () => {
  assert.equal(formatReais(0), 'R$ 0,00');
  assert.equal(formatReais(5), 'R$ 0,05');
  assert.equal(formatReais(12345), 'R$ 123,45');
  assert.equal(formatReais(123456789), 'R$ 1.234.567,89');
  assert.equal(formatReais(-1050), '-R$ 10,50');
});
