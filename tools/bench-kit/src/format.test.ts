import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatMiB, formatMs, formatNumber, formatRatio, markdownTable, textTable } from './format.js';

describe('report formatting', () => {
  test('tables are rendered as Markdown and as aligned text', () => {
    assert.equal(markdownTable(['a', 'b|c'], [['1', '2']]), '| a | b\\|c |\n| --- | ---: |\n| 1 | 2 |\n');
    assert.equal(textTable(['name', 'n'], [['x', '10']]), 'name   n\n----  --\nx     10\n');
  });

  test('ratios get more decimals the smaller they are; a missing value is a dash', () => {
    assert.equal(formatRatio(0.0123), '0.012×');
    assert.equal(formatRatio(0.25), '0.25×');
    assert.equal(formatRatio(12.34), '12.3×');
    assert.equal(formatRatio(null), '—');
  });

  test('numbers, milliseconds and memory are readable', () => {
    assert.equal(formatNumber(12345.6), '12,346');
    assert.equal(formatNumber(1.234, 2), '1.23');
    assert.equal(formatNumber(Number.NaN), '—');
    assert.equal(formatMs(0.4234), '0.42');
    assert.equal(formatMs(12.34), '12.3');
    assert.equal(formatMs(250.4), '250');
    assert.equal(formatMiB(150 * 2 ** 20), '150 MiB');
    assert.equal(formatMiB(undefined), '—');
  });
});
