import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  convergenceProblems,
  lastAccepted,
  observationProblems,
  type AcceptedWrite,
  type CachedHash,
  type StoredRow,
} from './invariants.js';

const writes: AcceptedWrite[] = [
  { key: 'a', version: 1, value: 'one' },
  { key: 'a', version: 4, value: 'four' },
  { key: 'a', version: 3, value: null },
  { key: 'b', version: 2, value: 'two' },
  { key: 'b', version: 5, value: null },
];

const row = (key: string, version: number, value: string | null): StoredRow => ({
  key,
  version,
  value,
  deleted: value === null,
});
const hash = (version: number, value: string | null, ttlMs = 1000): CachedHash => ({
  v: String(version),
  d: value === null ? '1' : '0',
  val: value ?? '',
  ttlMs,
});

function problems(
  rows: StoredRow[],
  cached: [string, CachedHash | undefined][] = [],
  keys: string[] = ['a', 'b', 'c'],
): string[] {
  return convergenceProblems({
    keys,
    expected: lastAccepted(writes),
    rows: new Map(rows.map((r) => [r.key, r])),
    cached: new Map(cached),
  });
}

describe('the e2e convergence oracle', () => {
  test('the last accepted write of a key is its highest version, whatever the order it was accepted in', () => {
    assert.deepEqual(
      lastAccepted(writes),
      new Map([
        ['a', { version: 4, value: 'four' }],
        ['b', { version: 5, value: null }],
      ]),
    );
  });

  test('when PostgreSQL and the cache hold the last accepted writes, then no problem is reported', () => {
    assert.deepEqual(
      problems(
        [row('a', 4, 'four'), row('b', 5, null)],
        [
          ['a', hash(4, 'four')],
          ['b', hash(5, null)],
          ['c', hash(0, null)],
        ],
      ),
      [],
    );
  });

  test('when PostgreSQL holds an older write, a resurrected key or a missing row, then each is reported', () => {
    assert.equal(problems([row('a', 3, null), row('b', 5, null)]).length, 1);
    assert.equal(problems([row('a', 4, 'four'), row('b', 2, 'two')]).length, 1);
    assert.equal(problems([row('b', 5, null)]).length, 1);
    assert.equal(problems([row('a', 4, 'four'), row('b', 5, null), row('c', 9, 'x')]).length, 1);
    assert.equal(problems([row('a', 4, 'four'), row('b', 5, null), row('zz', 9, 'x')]).length, 1);
    assert.equal(problems([row('a', 4, 'four'), { ...row('b', 5, null), deleted: false }]).length, 1);
  });

  test('when the cache disagrees with PostgreSQL or has no TTL, then it is reported', () => {
    const rows = [row('a', 4, 'four'), row('b', 5, null)];
    assert.equal(problems(rows, [['a', hash(1, 'one')]]).length, 1);
    assert.equal(problems(rows, [['a', hash(4, 'FOUR')]]).length, 1);
    assert.equal(problems(rows, [['b', hash(5, 'two')]]).length, 1);
    assert.equal(problems(rows, [['a', hash(4, 'four', -1)]]).length, 1);
    assert.equal(problems(rows, [['c', hash(2, 'two')]]).length, 1);
    assert.equal(problems(rows, [['a', { v: null, d: '0', val: 'four', ttlMs: 5 }]]).length, 1);
  });

  test('when a GET showed a version or value no accepted write produced, then it is reported', () => {
    assert.deepEqual(
      observationProblems(
        [
          { key: 'a', status: 200, version: 4, value: 'four' },
          { key: 'a', status: 404, version: 3 },
          { key: 'c', status: 404, version: 0 },
        ],
        writes,
      ),
      [],
    );
    assert.equal(
      observationProblems([{ key: 'a', status: 200, version: 4, value: 'one' }], writes).length,
      1,
    );
    assert.equal(
      observationProblems([{ key: 'a', status: 200, version: 9, value: 'four' }], writes).length,
      1,
    );
    assert.equal(
      observationProblems([{ key: 'b', status: 200, version: 4, value: 'four' }], writes).length,
      1,
    );
    assert.equal(observationProblems([{ key: 'a', status: 404, version: 4 }], writes).length, 1);
  });
});
