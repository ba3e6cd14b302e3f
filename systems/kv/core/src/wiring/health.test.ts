// The bounded engine checks behind GET /health of kv-api and kv-consumer: a check that hangs or
// fails still answers, in time, and a hung engine costs one pending check however often it is polled.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { boundedProbe } from './health.js';

describe('bounded health probes', () => {
  test('when a check never settles, then the probe answers "no answer in N ms" instead of waiting', async () => {
    const probe = boundedProbe(() => new Promise<never>(() => undefined), 20);
    assert.equal(await probe(), 'no answer in 20 ms');
  });

  test('when a check is still running, then the next poll joins it instead of starting another', async () => {
    let started = 0;
    let hang = true;
    let finish: () => void = () => undefined;
    const probe = boundedProbe(() => {
      started += 1;
      if (!hang) return Promise.resolve();
      return new Promise<void>((resolve) => {
        finish = resolve;
      });
    }, 10);
    assert.equal(await probe(), 'no answer in 10 ms');
    assert.equal(await probe(), 'no answer in 10 ms');
    assert.equal(started, 1, 'a hung engine must cost one pending check, not one per poll');
    hang = false;
    finish();
    assert.equal(await probe(), 'ok', 'the poll that joins the check sees it finish');
    assert.equal(started, 1);
    assert.equal(await probe(), 'ok', 'once it finished, the next poll checks again');
    assert.equal(started, 2);
  });

  test('when a check fails, then the probe answers its reason', async () => {
    const probe = boundedProbe(() => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:1')), 1000);
    assert.equal(await probe(), 'ECONNREFUSED 127.0.0.1:1');
  });
});
