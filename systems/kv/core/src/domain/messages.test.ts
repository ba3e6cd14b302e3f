import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PoisonMessageError } from '@dslab/messaging';
import { encodeWrite, kvQueues, parseWriteMessage } from './messages.js';
import type { KvWrite } from './types.js';

const put: KvWrite = {
  op: 'put',
  key: 'user:1',
  value: 'Ana',
  version: 7,
  timestamp: '2025-11-01T10:00:00.123Z',
};
const del: KvWrite = { op: 'delete', key: 'user:1', version: 8, timestamp: '2025-11-01T10:00:01.000Z' };

const bytes = (body: unknown) => Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));

describe('queue names', () => {
  test("when no prefix is given, then the queues are the seed's add_key and del_key", () => {
    assert.deepEqual(kvQueues(), { put: 'add_key', delete: 'del_key' });
  });

  test('when a prefix is given, then both queue names start with it', () => {
    assert.deepEqual(kvQueues('t1.'), { put: 't1.add_key', delete: 't1.del_key' });
  });
});

describe('write messages', () => {
  test("when a write is encoded, then the body has the seed's field names plus the version, and the id names the version", () => {
    assert.deepEqual(encodeWrite(put), {
      messageId: 'kv-7',
      body: { key_name: 'user:1', key_value: 'Ana', version: 7, timestamp: '2025-11-01T10:00:00.123Z' },
    });
    assert.deepEqual(encodeWrite(del), {
      messageId: 'kv-8',
      body: { key_name: 'user:1', version: 8, timestamp: '2025-11-01T10:00:01.000Z' },
    });
  });

  test('when an encoded write is parsed back, then it is the same write (empty and unicode values too)', () => {
    for (const write of [
      put,
      del,
      { ...put, value: '' },
      { ...put, value: 'ação 🔑 "quoted"\n' },
    ] as KvWrite[]) {
      const { body } = encodeWrite(write);
      assert.deepEqual(parseWriteMessage(write.op, bytes(body)), write);
    }
  });

  test('when a del_key message carries a key_value, then it is ignored', () => {
    assert.deepEqual(parseWriteMessage('delete', bytes({ ...encodeWrite(del).body, key_value: 'x' })), del);
  });

  test('when a message is malformed, then parsing throws PoisonMessageError with the reason', () => {
    const good = encodeWrite(put).body;
    const cases: [unknown, RegExp][] = [
      ['not json', /not valid JSON/],
      ['[1,2]', /not a JSON object/],
      ['null', /not a JSON object/],
      [{ ...good, key_name: undefined }, /key_name: the key must be a string/],
      [{ ...good, key_name: '' }, /key_name: the key must not be empty/],
      [{ ...good, key_name: 'a\nb' }, /control characters/],
      [{ ...good, key_value: 5 }, /key_value: the value must be a string/],
      [{ ...good, key_value: undefined }, /key_value/],
      [{ ...good, version: undefined }, /version must be an integer ≥ 1/],
      [{ ...good, version: 0 }, /version/],
      [{ ...good, version: 1.5 }, /version/],
      [{ ...good, version: '7' }, /version/],
      [{ ...good, version: 2 ** 53 }, /version/],
      [{ ...good, timestamp: undefined }, /timestamp must be ISO-8601/],
      [{ ...good, timestamp: '2025-11-01T10:00:00Z' }, /timestamp/],
      [{ ...good, timestamp: '2025-11-01 10:00:00.000Z' }, /timestamp/],
      [{ ...good, timestamp: '2025-13-01T10:00:00.000Z' }, /timestamp/],
      [{ ...good, timestamp: '2025-11-01T10:00:00.000+01:00' }, /timestamp/],
    ];
    for (const [body, reason] of cases) {
      assert.throws(
        () => parseWriteMessage('put', bytes(body)),
        (error: unknown) => error instanceof PoisonMessageError && reason.test(error.message),
        JSON.stringify(body),
      );
    }
  });

  test('when the reason is reported, then it names the seed queue of the operation', () => {
    assert.throws(() => parseWriteMessage('delete', bytes('{}')), /^PoisonMessageError: del_key message/);
  });
});
