import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '@dslab/testing';
import { compareVersions, lastWrites, supersedes } from './lww.js';
import { absentEntry, entryOf, type KvWrite } from './types.js';

function write(key: string, version: number, value: string | null): KvWrite {
  const timestamp = '2025-11-01T10:00:00.000Z';
  return value === null
    ? { op: 'delete', key, version, timestamp }
    : { op: 'put', key, value, version, timestamp };
}

describe('last-writer-wins by version', () => {
  test('when a write has a higher version, then it supersedes; an equal or lower one does not', () => {
    assert.equal(supersedes({ version: 5 }, { version: 4 }), true);
    assert.equal(supersedes({ version: 5 }, { version: 5 }), false);
    assert.equal(supersedes({ version: 5 }, { version: 6 }), false);
    assert.equal(supersedes({ version: 1 }, undefined), true);
  });

  test('when any real write meets a never-written key (version 0), then it supersedes it', () => {
    assert.equal(supersedes(entryOf(write('k', 1, null)), absentEntry('k')), true);
  });

  test('when writes of many keys arrive in any order, then the last write of each key is its highest version', () => {
    const random = seededRandom(2025);
    const writes: KvWrite[] = [];
    for (let version = 1; version <= 300; version++) {
      const key = `k${Math.floor(random() * 7)}`;
      writes.push(write(key, version, random() < 0.3 ? null : `v${version}`));
    }
    const expected = new Map<string, KvWrite>();
    for (const w of [...writes].sort(compareVersions)) expected.set(w.key, w);
    // Shuffle (Fisher–Yates) several times: the result never depends on the order.
    for (let round = 0; round < 5; round++) {
      const shuffled = [...writes];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j] as KvWrite, shuffled[i] as KvWrite];
      }
      assert.deepEqual(lastWrites(shuffled), expected);
    }
  });

  test('when a write wins, then the entry it leaves carries its value (null for a delete), version and time', () => {
    assert.deepEqual(entryOf(write('k', 3, 'x')), {
      key: 'k',
      value: 'x',
      version: 3,
      writtenAt: '2025-11-01T10:00:00.000Z',
    });
    assert.equal(entryOf(write('k', 4, null)).value, null);
  });
});
