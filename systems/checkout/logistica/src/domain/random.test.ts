import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandomSource } from './random.js';

test('a seeded source repeats its draws for the same seed and stays in [0, 1)', () => {
  const a = seededRandomSource(42);
  const b = seededRandomSource(42);
  const c = seededRandomSource(43);
  const drawsA = Array.from({ length: 1000 }, a);
  assert.deepEqual(drawsA, Array.from({ length: 1000 }, b));
  assert.notDeepEqual(drawsA, Array.from({ length: 1000 }, c));
  assert.ok(drawsA.every((r) => r >= 0 && r < 1));
  assert.ok(new Set(drawsA).size > 990);
});
