import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  defaultRetryDelayMs,
  isPoisonMessage,
  resolveQueueOptions,
  withoutDeathHeaders,
} from './defaults.js';
import { HEADERS, PoisonMessageError } from './types.js';

test('when no retry delay is given, then it doubles from 200 ms and stops at 10 s', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 20].map(defaultRetryDelayMs),
    [200, 400, 800, 1600, 3200, 6400, 10_000, 10_000],
  );
});

test('when maxAttempts is not a positive integer, then the options are refused', () => {
  assert.throws(() => resolveQueueOptions({ maxAttempts: 0 }), RangeError);
  assert.throws(() => resolveQueueOptions({ maxAttempts: 1.5 }), RangeError);
  assert.equal(resolveQueueOptions({}).maxAttempts, 5);
});

test('when an error is a PoisonMessageError, also from another copy of the package, then it is recognised as poison', () => {
  assert.equal(isPoisonMessage(new PoisonMessageError('x')), true);
  const foreign = new Error('x');
  foreign.name = 'PoisonMessageError';
  assert.equal(isPoisonMessage(foreign), true);
  assert.equal(isPoisonMessage(new Error('x')), false);
  assert.equal(isPoisonMessage('PoisonMessageError'), false);
});

test('when a dead letter is replayed, then its death and attempt headers are dropped and the others kept', () => {
  assert.deepEqual(
    withoutDeathHeaders({
      [HEADERS.attempt]: 3,
      [HEADERS.deathReason]: 'r',
      [HEADERS.deathQueue]: 'q',
      [HEADERS.deathTime]: 't',
      'x-trace': 'abc',
    }),
    { 'x-trace': 'abc' },
  );
});
