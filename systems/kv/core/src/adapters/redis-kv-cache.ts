/**
 * The KV cache in Redis: one hash per key at `${prefix}${key}` with fields
 *   v    version of the cached state (0 = known absent: negative caching)
 *   d    '1' when the key is deleted or absent (a tombstone), '0' when it has a value
 *   val  the value ('' for a tombstone)
 *   t    when the API accepted that write (ISO-8601 UTC; '' when never written)
 *
 * Reads are one HMGET. Every write — the consumer after applying, a GET filling a miss — goes
 * through one Lua script that sets the entry only when the cached version is missing or lower
 * (Redis runs a script atomically), so a GET that read PostgreSQL before a write can never put
 * its older state over the newer one the consumer cached meanwhile.
 *
 * Entries expire (TTL, default 1 h), which bounds the one stale case left: if Redis evicts or
 * expires the newer entry in the few milliseconds between a GET's PostgreSQL read and its fill,
 * the fill caches the older state; it lasts at most one TTL, or until the next write of the key.
 */
import { AppError } from '@dslab/errors';
import type { Redis } from 'ioredis';
import type { KvEntry } from '../domain/types.js';
import type { KvCache } from '../app/ports.js';

const SET_IF_NEWER = `
local stored = redis.call('HGET', KEYS[1], 'v')
if stored then
  local s, incoming = tonumber(stored), tonumber(ARGV[1])
  if s > incoming then return 0 end
  if s == incoming then
    redis.call('PEXPIRE', KEYS[1], ARGV[5])
    return 0
  end
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2], 'val', ARGV[3], 't', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

const COMMAND = 'kvSetIfNewer';

export interface RedisKvCacheOptions {
  /** Prepended to every key (e.g. 'kv:'); isolates deployments and tests sharing one Redis. */
  prefix: string;
  /** Time to live of every entry in milliseconds (default deployments use 1 h). */
  ttlMs: number;
}

type SetIfNewerCommand = (
  key: string,
  version: number,
  deleted: string,
  value: string,
  writtenAt: string,
  ttlMs: number,
) => Promise<unknown>;

function unavailable(error: unknown): never {
  throw new AppError('unavailable', 'The cache is not reachable right now', { cause: error });
}

export function createRedisKvCache(redis: Redis, options: RedisKvCacheOptions): KvCache {
  if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs < 1) {
    throw new RangeError(`the cache TTL must be a positive integer of milliseconds (got ${options.ttlMs})`);
  }
  const { prefix, ttlMs } = options;
  // Defined once per client: ioredis sends EVALSHA and falls back to EVAL after a NOSCRIPT (e.g.
  // after a Redis restart). Redefining it for another cache on the same client is harmless.
  redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: SET_IF_NEWER });
  const command: unknown = Reflect.get(redis, COMMAND);
  if (typeof command !== 'function') throw new Error(`ioredis did not define ${COMMAND}`);
  const setIfNewerCommand = (command as SetIfNewerCommand).bind(redis);

  return {
    async get(key) {
      let fields: (string | null)[];
      try {
        fields = await redis.hmget(prefix + key, 'v', 'd', 'val', 't');
      } catch (error) {
        return unavailable(error);
      }
      const [version, deleted, value, writtenAt] = fields;
      if (version === null || version === undefined) return undefined;
      return {
        key,
        value: deleted === '1' ? null : (value ?? ''),
        version: Number(version),
        writtenAt: writtenAt === null || writtenAt === undefined || writtenAt === '' ? null : writtenAt,
      } satisfies KvEntry;
    },

    async setIfNewer(entry) {
      try {
        const reply = await setIfNewerCommand(
          prefix + entry.key,
          entry.version,
          entry.value === null ? '1' : '0',
          entry.value ?? '',
          entry.writtenAt ?? '',
          ttlMs,
        );
        return reply === 1;
      } catch (error) {
        return unavailable(error);
      }
    },
  };
}
