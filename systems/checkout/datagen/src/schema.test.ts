import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TABLE_NAMES, toCentavos } from './schema.js';

test('toCentavos rounds the decimal as written, ties away from zero, despite binary floating point', () => {
  const cases: [number, number][] = [
    [10.505, 1051], // 10.505 * 100 === 1050.4999999999998
    [1.005, 101], // 1.005 * 100 === 100.49999999999999
    [0.285, 29],
    [8.345, 835],
    [10.5, 1050],
    [500.99, 50099],
    [10.504, 1050],
    [10.5049, 1050],
    [0.1 + 0.2, 30],
    [0, 0],
    [-0, 0],
    [0.004, 0],
    [0.005, 1],
    [1e-7, 0],
    [-10.505, -1051],
    [-0.004, 0],
    [123456789.125, 12345678913],
  ];
  for (const [reais, centavos] of cases) {
    assert.equal(toCentavos(reais), centavos, `toCentavos(${reais})`);
    assert.ok(!Object.is(toCentavos(reais), -0), `toCentavos(${reais}) is not -0`);
  }
});

test('toCentavos is exact for every 2-decimal price the generator can draw', () => {
  for (let centavos = 1050; centavos <= 50099; centavos++) assert.equal(toCentavos(centavos / 100), centavos);
});

test('toCentavos refuses NaN, infinities and amounts beyond safe integers', () => {
  for (const bad of [Number.NaN, Infinity, -Infinity, 1e21, 1e15, Number.MAX_VALUE]) {
    assert.throws(() => toCentavos(bad), RangeError, String(bad));
  }
});

test('the interchange format has exactly the seed\u2019s seven tables, in creation order', () => {
  assert.deepEqual(TABLE_NAMES, [
    'clientes',
    'produtos',
    'pedidos',
    'itens_pedido',
    'pagamentos',
    'notas_fiscais',
    'envios',
  ]);
});
