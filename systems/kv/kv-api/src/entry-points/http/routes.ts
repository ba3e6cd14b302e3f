/**
 * GET /, PUT / and DELETE / — the lecture's KV API (seed 002) over the use cases of @dslab/kv-core.
 *
 * The GET handler is the hot path (a cache hit is one HMGET): it allocates nothing beyond its
 * answer, and the answer is serialised by the compiled response schema.
 */
import { AppError, invalidFields, type FieldError } from '@dslab/errors';
import { problemResponses } from '@dslab/http-kit';
import type { HttpApp } from '@dslab/http-kit';
import { validateKey, validateValue, type KvReader, type KvWriter, type QueuedWrite } from '@dslab/kv-core';
import { DeleteAnswer, DeleteQuery, PutAnswer, PutBody, ReadAnswer, ReadQuery } from './schemas.js';

export interface KvRouteDeps {
  readonly reader: KvReader;
  readonly writer: KvWriter;
}

/** The seed's 202 messages. */
export const QUEUED_MESSAGES = { put: 'Queued to add_key', delete: 'Queued to del_key' } as const;

/**
 * The key of a GET or DELETE: `key` (the seed's GET and first DELETE) or `key_name` (the seed's
 * consistency DELETE). Both at once must agree, or the request is ambiguous.
 */
export function keyOfQuery(query: { readonly key?: string; readonly key_name?: string }): string {
  const { key, key_name: keyName } = query;
  let chosen: string;
  if (key !== undefined) {
    if (keyName !== undefined && keyName !== key)
      throw invalidFields([
        { field: 'querystring.key_name', message: 'differs from querystring.key (give one, or both equal)' },
      ]);
    chosen = key;
  } else if (keyName !== undefined) {
    chosen = keyName;
  } else {
    throw invalidFields([{ field: 'querystring.key', message: 'is required (or querystring.key_name)' }]);
  }
  // The domain's rule is authoritative (the schema counts code points; the domain decides).
  const problem = validateKey(chosen);
  if (problem !== undefined) throw invalidFields([{ field: 'querystring.key', message: problem }]);
  return chosen;
}

/** Where to read a write back once it is visible: the PUT/DELETE answer's link and Location. */
export function readHref(key: string, version: number): string {
  return `/?key=${encodeURIComponent(key)}&min_version=${version}`;
}

function queuedAnswer(message: string, queued: QueuedWrite, href: string) {
  return {
    message,
    key_name: queued.key,
    version: queued.version,
    timestamp: queued.timestamp,
    queue: queued.queue,
    _links: { read: { href } },
  };
}

/** Shared by every GET without min_version, so the hot path allocates no options object. */
const NO_READ_OPTIONS = Object.freeze({});

export function registerKvRoutes(app: HttpApp, deps: KvRouteDeps): void {
  const { reader, writer } = deps;

  app.get(
    '/',
    {
      schema: {
        summary: 'Read a key (cache first, PostgreSQL on a miss)',
        description:
          'Cache-aside: Redis first; on a miss PostgreSQL, then the cache is filled (only with a version ' +
          'newer than what it holds). 404 when the key was never written or is deleted. With ' +
          'min_version=V, waits until version V (or newer) of the key is visible, then 425.',
        querystring: ReadQuery,
        response: { 200: ReadAnswer, ...problemResponses(400, 404, 409, 425, 503) },
      },
    },
    async (request) => {
      const key = keyOfQuery(request.query);
      const minVersion = request.query.min_version;
      const { entry, source } = await reader.get(
        key,
        minVersion === undefined ? NO_READ_OPTIONS : { minVersion },
      );
      // A tombstone is the reader's 404; a value here is a real write.
      if (entry.value === null)
        throw new AppError('not-found', `Key "${key}" not found`, {
          extensions: { key, version: entry.version },
        });
      return { key, value: entry.value, source, version: entry.version };
    },
  );

  app.put(
    '/',
    {
      schema: {
        summary: 'Write a key (queued to add_key)',
        description:
          'Takes the next version, publishes {key_name, key_value, version, timestamp} to add_key and ' +
          'answers 202 once the broker confirmed it (503 otherwise). A kv-consumer applies it: the ' +
          'highest version of a key wins, whatever order the writes arrive in.',
        body: PutBody,
        response: { 202: PutAnswer, ...problemResponses(400, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const { key_name: key, key_value: value } = request.body;
      const errors: FieldError[] = [];
      const keyProblem = validateKey(key);
      if (keyProblem !== undefined) errors.push({ field: 'body.key_name', message: keyProblem });
      const valueProblem = validateValue(value);
      if (valueProblem !== undefined) errors.push({ field: 'body.key_value', message: valueProblem });
      if (errors.length > 0) throw invalidFields(errors);

      const queued = await writer.put(key, value);
      const href = readHref(key, queued.version);
      return reply
        .code(202)
        .header('location', href)
        .send(queuedAnswer(QUEUED_MESSAGES.put, queued, href));
    },
  );

  app.delete(
    '/',
    {
      schema: {
        summary: 'Delete a key (queued to del_key)',
        description:
          'Takes the next version, publishes {key_name, version, timestamp} to del_key and answers 202 ' +
          'once the broker confirmed it. The consumer keeps a tombstone with that version, so an older ' +
          'write that arrives later cannot bring the key back.',
        querystring: DeleteQuery,
        response: { 202: DeleteAnswer, ...problemResponses(400, 503) },
      },
    },
    async (request, reply) => {
      const key = keyOfQuery(request.query);
      const queued = await writer.delete(key);
      const href = readHref(key, queued.version);
      return reply
        .code(202)
        .header('location', href)
        .send(queuedAnswer(QUEUED_MESSAGES.delete, queued, href));
    },
  );
}
