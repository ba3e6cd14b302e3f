import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newSpanId, newTraceId, parseTraceparent, traceparentFor } from './trace.js';

test('when many trace ids are made, then each is 32 lowercase hex digits, valid W3C and unique', () => {
  // More than one refill of the random pool, so ids from consecutive pools are compared too.
  const ids = Array.from({ length: 5_000 }, () => newTraceId());
  for (const id of ids) {
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(parseTraceparent(traceparentFor(id))?.traceId, id);
  }
  assert.equal(new Set(ids).size, ids.length);
});

test('when span ids are made, then each is 16 lowercase hex digits and they differ', () => {
  const ids = Array.from({ length: 1_000 }, () => newSpanId());
  for (const id of ids) assert.match(id, /^[0-9a-f]{16}$/);
  assert.equal(new Set(ids).size, ids.length);
});

test('when ids are made, then their bits look random (each hex digit about equally often)', () => {
  const digits = Array.from({ length: 2_000 }, () => newTraceId()).join('');
  const counts = new Map<string, number>();
  for (const d of digits) counts.set(d, (counts.get(d) ?? 0) + 1);
  // 64,000 digits: 4,000 expected per digit; a counter or a fixed prefix would be far off.
  assert.equal(counts.size, 16);
  for (const count of counts.values()) assert.ok(count > 3_500 && count < 4_500, `digit count ${count}`);
});
