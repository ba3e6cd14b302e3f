import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { passThroughEnvironment, prefixLine, redactPassword } from './console.js';

describe('what a launcher prints and passes on', () => {
  test('a line is prefixed with its process name padded to one column', () => {
    assert.equal(prefixLine('api', 'INFO:x', 8), 'api      | INFO:x');
    assert.equal(prefixLine('consumer', '', 8), 'consumer | ');
  });

  test('passwords are hidden in URLs; URLs without one are unchanged', () => {
    assert.equal(redactPassword('amqp://guest:guest@127.0.0.1:5672'), 'amqp://guest:***@127.0.0.1:5672');
    assert.equal(
      redactPassword('postgres://checkout:s3cret@127.0.0.1:5432/checkout'),
      'postgres://checkout:***@127.0.0.1:5432/checkout',
    );
    for (const url of ['redis://127.0.0.1:6379', 'postgres://127.0.0.1/db', 'postgresql://u@h/db'])
      assert.equal(redactPassword(url), url);
  });

  test('a child inherits every set value except the keys the launcher controls', () => {
    const env = passThroughEnvironment(
      { PATH: '/usr/bin', HTTP_PORT: '9999', LOG_LEVEL: 'debug', UNSET: undefined },
      new Set(['HTTP_PORT']),
    );
    assert.deepEqual(env, { PATH: '/usr/bin', LOG_LEVEL: 'debug' });
  });
});
