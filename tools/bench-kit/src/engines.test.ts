import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEVELOPMENT_ENGINE_URLS, engineUrls, withoutCredentials } from './engines.js';

describe('benchmark engines', () => {
  test('each URL comes from its variable, or is the development default when unset or empty, and the report is told which', () => {
    const { urls, defaults } = engineUrls(
      { DATABASE_URL: 'postgres://bench@db:5432/x', REDIS_URL: '', PATH: '/bin' },
      ['DATABASE_URL', 'REDIS_URL', 'AMQP_URL'],
    );
    assert.deepEqual(urls, {
      DATABASE_URL: 'postgres://bench@db:5432/x',
      REDIS_URL: DEVELOPMENT_ENGINE_URLS.REDIS_URL,
      AMQP_URL: DEVELOPMENT_ENGINE_URLS.AMQP_URL,
    });
    assert.deepEqual(defaults, ['REDIS_URL', 'AMQP_URL']);
  });

  test('a report shows URLs without user and password', () => {
    assert.equal(withoutCredentials('amqp://guest:secret@broker:5672'), 'amqp://broker:5672');
    assert.equal(withoutCredentials('not a url'), '(unparseable URL)');
  });
});
