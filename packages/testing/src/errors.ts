import assert from 'node:assert/strict';
import { isAppError, type AppError } from '@dslab/errors';

/** Awaits `promise`, which must reject with an AppError, and answers that error for further checks. */
export async function expectAppError(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isAppError(error), `expected an AppError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}
