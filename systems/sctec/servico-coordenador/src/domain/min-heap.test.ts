import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMinHeap } from './min-heap.js';

test('when items are pushed in any order, then they pop smallest first', () => {
  const heap = createMinHeap<number>((a, b) => a < b);
  const values = Array.from({ length: 500 }, (_, i) => (i * 7_919) % 1_009);
  for (const v of values) heap.push(v);
  const popped: number[] = [];
  for (let v = heap.pop(); v !== undefined; v = heap.pop()) popped.push(v);
  assert.deepEqual(
    popped,
    [...values].sort((a, b) => a - b),
  );
  assert.equal(heap.size, 0);
  assert.equal(heap.peek(), undefined);
});

test('when the heap is reset, then it holds exactly the new items in heap order', () => {
  const heap = createMinHeap<number>((a, b) => a < b);
  heap.push(1);
  heap.reset([9, 4, 7, 2, 8]);
  assert.equal(heap.size, 5);
  assert.deepEqual(
    [heap.pop(), heap.pop(), heap.pop(), heap.pop(), heap.pop(), heap.pop()],
    [2, 4, 7, 8, 9, undefined],
  );
});
