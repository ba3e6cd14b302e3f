// Every kind of bad request to kv-api is refused with a problem+json answer that says what is wrong,
// before anything happens: nothing is queued (both queues stay empty) and no version is consumed
// (the PostgreSQL sequence does not move), and a bad GET does not touch the cache. Real PostgreSQL
// and Redis; the in-process bus, since the broker is not the point here.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KV_LIMITS } from '@dslab/kv-core';
import { call } from '@dslab/testing';
import { NOTHING_QUEUED, startApi, type ApiHarness, type Problem } from './support.js';

interface BadRequest {
  readonly name: string;
  readonly method: 'GET' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  readonly rawBody?: string;
  readonly contentType?: string;
  readonly status: 400 | 413 | 415;
  readonly code: 'validation-failed' | 'malformed-json' | 'payload-too-large' | 'unsupported-media-type';
  /** A field error the answer must name (validation-failed). */
  readonly field?: string;
}

const KEY_TOO_LONG = 'k'.repeat(KV_LIMITS.keyMaxLength + 1);
// 131 073 × 'é' (2 bytes each): few enough characters for the schema, one pair of bytes over the limit.
const VALUE_TOO_BIG = 'é'.repeat(KV_LIMITS.valueMaxBytes / 2 + 1);
const q = encodeURIComponent;

const PUT_CASES: BadRequest[] = [
  {
    name: 'malformed JSON',
    method: 'PUT',
    path: '/',
    rawBody: '{"key_name": "a",',
    contentType: 'application/json',
    status: 400,
    code: 'malformed-json',
  },
  {
    name: 'an empty body that says it is JSON',
    method: 'PUT',
    path: '/',
    rawBody: '',
    contentType: 'application/json',
    status: 400,
    code: 'malformed-json',
  },
  {
    name: 'a text/plain body',
    method: 'PUT',
    path: '/',
    rawBody: 'key_name=a&key_value=b',
    contentType: 'text/plain',
    status: 415,
    code: 'unsupported-media-type',
  },
  {
    name: 'a form body',
    method: 'PUT',
    path: '/',
    rawBody: 'key_name=a&key_value=b',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    code: 'unsupported-media-type',
  },
  {
    name: 'a JSON array',
    method: 'PUT',
    path: '/',
    body: [{ key_name: 'a', key_value: 'b' }],
    status: 400,
    code: 'validation-failed',
    field: 'body',
  },
  {
    name: 'a JSON string',
    method: 'PUT',
    path: '/',
    body: 'a=b',
    status: 400,
    code: 'validation-failed',
    field: 'body',
  },
  {
    name: 'JSON null',
    method: 'PUT',
    path: '/',
    rawBody: 'null',
    contentType: 'application/json',
    status: 400,
    code: 'validation-failed',
  },
  {
    name: 'a missing key_name',
    method: 'PUT',
    path: '/',
    body: { key_value: 'b' },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_name',
  },
  {
    name: 'a missing key_value',
    method: 'PUT',
    path: '/',
    body: { key_name: 'a' },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_value',
  },
  {
    name: 'the query-style field "key" instead of key_name',
    method: 'PUT',
    path: '/',
    body: { key: 'a', key_value: 'b' },
    status: 400,
    code: 'validation-failed',
    field: 'body.key',
  },
  {
    name: 'a number as value (never coerced)',
    method: 'PUT',
    path: '/',
    body: { key_name: 'a', key_value: 42 },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_value',
  },
  {
    name: 'a boolean as value',
    method: 'PUT',
    path: '/',
    body: { key_name: 'a', key_value: true },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_value',
  },
  {
    name: 'null as value (DELETE deletes)',
    method: 'PUT',
    path: '/',
    body: { key_name: 'a', key_value: null },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_value',
  },
  {
    name: 'an object as value',
    method: 'PUT',
    path: '/',
    body: { key_name: 'a', key_value: { nested: 1 } },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_value',
  },
  {
    name: 'a number as key',
    method: 'PUT',
    path: '/',
    body: { key_name: 7, key_value: 'b' },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_name',
  },
  {
    name: 'an extra field',
    method: 'PUT',
    path: '/',
    body: { key_name: 'a', key_value: 'b', ttl: 10 },
    status: 400,
    code: 'validation-failed',
    field: 'body.ttl',
  },
  {
    name: 'an empty key',
    method: 'PUT',
    path: '/',
    body: { key_name: '', key_value: 'b' },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_name',
  },
  {
    name: 'a key one character too long',
    method: 'PUT',
    path: '/',
    body: { key_name: KEY_TOO_LONG, key_value: 'b' },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_name',
  },
  {
    name: 'a key of 300 emoji (600 UTF-16 units)',
    method: 'PUT',
    path: '/',
    body: { key_name: '😀'.repeat(300), key_value: 'b' },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_name',
  },
  {
    name: 'a key with a newline',
    method: 'PUT',
    path: '/',
    body: { key_name: 'a\nb', key_value: 'b' },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_name',
  },
  {
    name: 'a key with NUL',
    method: 'PUT',
    path: '/',
    body: { key_name: 'a\u0000b', key_value: 'b' },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_name',
  },
  {
    name: 'a key with a tab',
    method: 'PUT',
    path: '/',
    body: { key_name: 'a\tb', key_value: 'b' },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_name',
  },
  {
    name: 'a key with DEL (U+007F)',
    method: 'PUT',
    path: '/',
    body: { key_name: 'a\u007fb', key_value: 'b' },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_name',
  },
  {
    name: 'a value one UTF-8 byte pair over 256 KiB',
    method: 'PUT',
    path: '/',
    body: { key_name: 'a', key_value: VALUE_TOO_BIG },
    status: 400,
    code: 'validation-failed',
    field: 'body.key_value',
  },
  {
    name: 'a body over 512 KiB',
    method: 'PUT',
    path: '/',
    body: { key_name: 'a', key_value: 'v'.repeat(KV_LIMITS.bodyLimitBytes) },
    status: 413,
    code: 'payload-too-large',
  },
  {
    name: 'a __proto__ member (prototype poisoning)',
    method: 'PUT',
    path: '/',
    rawBody: '{"key_name":"a","key_value":"b","__proto__":{"x":1}}',
    contentType: 'application/json',
    status: 400,
    code: 'malformed-json',
  },
];

/** The GET and DELETE query-string rules are the same; GET also has min_version. */
function keyQueryCases(method: 'GET' | 'DELETE'): BadRequest[] {
  const bad = (name: string, query: string, field?: string): BadRequest => ({
    name,
    method,
    path: `/?${query}`,
    status: 400,
    code: 'validation-failed',
    ...(field === undefined ? {} : { field }),
  });
  return [
    bad('no key at all', '', 'querystring.key'),
    bad('key and key_name that differ', 'key=a&key_name=b', 'querystring.key_name'),
    bad('an empty key', 'key=', 'querystring.key'),
    bad('an empty key_name', 'key_name=', 'querystring.key_name'),
    bad('a key one character too long', `key=${KEY_TOO_LONG}`, 'querystring.key'),
    bad('a key with a newline', `key=${q('a\nb')}`, 'querystring.key'),
    bad('a key with NUL', `key=${q('a\u0000b')}`, 'querystring.key'),
    bad('a key given twice', 'key=a&key=b', 'querystring.key'),
    bad('an unknown parameter', 'key=a&value=b', 'querystring.value'),
  ];
}

const GET_CASES: BadRequest[] = [
  ...keyQueryCases('GET'),
  ...['0', '-1', '1.5', 'abc', '', '9007199254740992'].map((value): BadRequest => ({
    name: `min_version=${value}`,
    method: 'GET',
    path: `/?key=a&min_version=${value}`,
    status: 400,
    code: 'validation-failed',
    field: 'querystring.min_version',
  })),
];

const DELETE_CASES: BadRequest[] = [
  ...keyQueryCases('DELETE'),
  {
    name: 'min_version (a GET parameter)',
    method: 'DELETE',
    path: '/?key=a&min_version=1',
    status: 400,
    code: 'validation-failed',
    field: 'querystring.min_version',
  },
];

describe('kv-api refuses bad input, and nothing happens', () => {
  let api: ApiHarness;
  let versionBefore: number;
  before(async () => {
    api = await startApi();
    versionBefore = await api.kv.store.highestIssuedVersion();
  });
  after(async () => {
    await api.close();
  });

  async function send(request: BadRequest) {
    const headers: Record<string, string> = {};
    if (request.contentType !== undefined) headers['content-type'] = request.contentType;
    return call<Problem>(api.url, request.method, request.path, {
      headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      ...(request.rawBody === undefined ? {} : { rawBody: request.rawBody }),
    });
  }

  async function cacheKeys(): Promise<string[]> {
    return api.kv.redis.keys(`${api.kv.cachePrefix}*`);
  }

  for (const request of [...PUT_CASES, ...GET_CASES, ...DELETE_CASES]) {
    test(`when ${request.method} sends ${request.name}, then ${request.status} ${request.code}, nothing is queued and no version is taken`, async () => {
      const response = await send(request);
      assert.equal(response.status, request.status, response.text);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      assert.equal(response.body.status, request.status);
      assert.equal(response.body.code, request.code);
      assert.ok(response.body.detail.length > 0);
      if (request.field !== undefined) {
        const fields = (response.body.errors ?? []).map((error) => error.field);
        assert.ok(
          fields.includes(request.field),
          `${request.field} not among ${JSON.stringify(response.body.errors)}`,
        );
      }
      assert.deepEqual(await api.queuedDepth(), NOTHING_QUEUED);
      assert.equal(await api.kv.store.highestIssuedVersion(), versionBefore, 'a version was consumed');
      assert.deepEqual(await cacheKeys(), [], 'a bad request touched the cache');
    });
  }

  // The checks above can fail: a good request next to the bad ones does queue, take a version and fill the cache.
  test('when the same requests are well-formed, then they are accepted, queued and take versions (the checks above can fail)', async () => {
    const put = await call<{ version: number }>(api.url, 'PUT', '/', {
      body: { key_name: 'a', key_value: '' },
    });
    assert.equal(put.status, 202, put.text);
    const del = await call<{ version: number }>(api.url, 'DELETE', '/?key=a&key_name=a');
    assert.equal(del.status, 202, del.text);
    assert.deepEqual(await api.queuedDepth(), { ready: 2, retrying: 0, dead: 0 });
    assert.equal(await api.kv.store.highestIssuedVersion(), del.body.version);
    assert.ok(del.body.version > put.body.version && put.body.version > versionBefore);
    const get = await call(api.url, 'GET', '/?key_name=never-written');
    assert.equal(get.status, 404);
    assert.deepEqual(await cacheKeys(), [`${api.kv.cachePrefix}never-written`], 'a miss caches the absence');
  });
});
