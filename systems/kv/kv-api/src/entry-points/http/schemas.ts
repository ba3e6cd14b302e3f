/**
 * The wire contract of kv-api (field names from seed 002: key, key_name, key_value), as JSON
 * Schema: Fastify validates requests with it, serialises responses with it (compiled, faster than
 * JSON.stringify on the GET hot path) and publishes it as OpenAPI at /docs.
 */
import { KV_LIMITS } from '@dslab/kv-core';
import { Type } from 'typebox';

/** No control characters U+0000–U+001F and U+007F (JSON Schema patterns are Unicode regexes). */
export const KEY_PATTERN = '^[^\\u0000-\\u001F\\u007F]*$';

function key(description = `the key: 1 to ${KV_LIMITS.keyMaxLength} characters, no control characters`) {
  return Type.String({
    minLength: 1,
    maxLength: KV_LIMITS.keyMaxLength,
    pattern: KEY_PATTERN,
    description,
    examples: ['user:42'],
  });
}

function version(
  description = 'the write version: strictly increasing across every key and every API replica',
) {
  return Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description });
}

const SAME_AS_KEY = 'the same as key (give one of the two, or both equal)';

/** GET / — `key` (the seed's GET) or `key_name` (the seed's consistency DELETE); one, or both equal. */
export const ReadQuery = Type.Object(
  {
    key: Type.Optional(key()),
    key_name: Type.Optional(key(SAME_AS_KEY)),
    min_version: Type.Optional(
      version(
        'read-your-writes: answer only once this version (or a newer one) of the key is visible; wait ' +
          'briefly, then 425 version-not-visible. 409 when no write ever got this version.',
      ),
    ),
  },
  { additionalProperties: false },
);

export const DeleteQuery = Type.Object(
  {
    key: Type.Optional(key()),
    key_name: Type.Optional(key(SAME_AS_KEY)),
  },
  { additionalProperties: false },
);

export const PutBody = Type.Object(
  {
    key_name: key(),
    key_value: Type.String({
      // Code points ≤ UTF-8 bytes: a cheap necessary bound here; the byte count is checked in the handler.
      maxLength: KV_LIMITS.valueMaxBytes,
      description: `the value: any string (may be empty) of at most ${KV_LIMITS.valueMaxBytes} bytes in UTF-8`,
    }),
  },
  { additionalProperties: false },
);

/** 'redis' | 'postgres' as a plain string schema: the serialiser writes it without trying branches. */
const Source = Type.Unsafe<'redis' | 'postgres'>({
  type: 'string',
  enum: ['redis', 'postgres'],
  description: 'where the value was read: the cache, or PostgreSQL on a cache miss',
});

export const ReadAnswer = Type.Object(
  {
    key: Type.String(),
    value: Type.String(),
    source: Source,
    version: Type.Integer({ minimum: 1, description: 'the version of the write this value comes from' }),
  },
  { additionalProperties: false },
);

const Links = Type.Object(
  {
    read: Type.Object(
      {
        href: Type.String({
          description: 'GET it back once this write is visible (waits for min_version)',
          examples: ['/?key=user%3A42&min_version=17'],
        }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

function queuedAnswer(queue: 'add_key' | 'del_key') {
  return Type.Object(
    {
      message: Type.String({ examples: [`Queued to ${queue}`] }),
      key_name: Type.String(),
      version: version(),
      timestamp: Type.String({
        format: 'date-time',
        description: "the server's time of acceptance (ISO-8601 UTC, ms, Z)",
      }),
      queue: Type.String({ description: `the queue the write waits in (${queue}, maybe prefixed)` }),
      _links: Links,
    },
    {
      additionalProperties: false,
      description: 'accepted: the broker confirmed the message; a kv-consumer applies it',
    },
  );
}

export const PutAnswer = queuedAnswer('add_key');
export const DeleteAnswer = queuedAnswer('del_key');
