/**
 * The coordinator's lock state in Redis, shared by every coordinator on the same Redis and
 * key prefix. Each store step is one Lua script (`defineCommand`: EVALSHA, EVAL on NOSCRIPT),
 * so Redis runs it atomically; leases and ticket liveness use Redis's own clock
 * (`redis.call('TIME')`), so coordinators on machines with different clocks agree on when a
 * lease ends.
 *
 * Keys (P = the prefix, R = the resource name):
 *   P:tokens        string  last fencing token: strictly increasing across coordinators (next_token)
 *   P:tickets       string  ticket counter (INCR): FIFO order across coordinators
 *   P:lock:R        hash    t = holder token, e = lease end (Redis ms); PEXPIRE'd 60 s after the
 *                           lease end, only as garbage collection (the decision reads `e`)
 *   P:queue:R       zset    live tickets of R, score = ticket number (so FIFO order)
 *   P:qlive:R       hash    ticket -> liveness deadline (Redis ms); refreshed by every step of
 *                           its owner, which steps at least every poll interval
 *   P:held          zset    R -> lease end, to count held resources for the metrics
 *   P:wake          channel R is published when its lease ended or its queue head left
 *
 * Durability: Redis keeps these keys in memory. Fencing tokens are one more than the last one
 * but never below Redis's clock in microseconds (a hybrid of a counter and a clock), so a Redis
 * that restarts without persistence and loses P:tokens still continues above every token it
 * handed out before, unless its clock stepped back meanwhile. Even then nothing double-books: the
 * scheduler's per-resource fence table refuses any token not greater than the last it accepted,
 * so bookings with repeated tokens fail (409) until the tokens pass the old values again. The
 * locks themselves are leases: losing them only frees slots early, and the fence then refuses
 * the stale holder.
 *
 * All keys of a script are named in KEYS except the per-ticket ones; this suits one Redis (or
 * a primary with replicas), not Redis Cluster.
 */
import { AppError } from '@dslab/errors';
import type { Redis } from 'ioredis';
import type { HolderInfo, ReleaseResult } from '../domain/lock-table.js';
import type { ExpiryCheck, SharedLockStore, StoreStep } from '../domain/shared-lock-service.js';

/** How long a ticket outlives its owner's last step: a dead coordinator's waiters lapse this fast. */
export const DEFAULT_TICKET_LIVENESS_MS = 5_000;

/** Extra life of a lease key past its end, so a late visitor can still report the expiry. */
const GC_MS = 60_000;

// Shared Lua helpers. KEYS[1] tokens, KEYS[2] tickets, KEYS[3] lock:R, KEYS[4] queue:R,
// KEYS[5] qlive:R, KEYS[6] held; ARGV[1] resource, ARGV[2] wake channel.
const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The live lease (token, end) of the resource; an expired one is ended and its token returned third.
local function settle(now)
  local v = redis.call('HMGET', KEYS[3], 't', 'e')
  if not v[1] then return false, 0, false end
  local token, e = tonumber(v[1]), tonumber(v[2])
  if e > now then return token, e, false end
  redis.call('DEL', KEYS[3])
  redis.call('ZREM', KEYS[6], ARGV[1])
  return false, 0, token
end
-- Drops lapsed tickets; returns how many are live and the head (or false).
local function prune(now)
  local members = redis.call('ZRANGE', KEYS[4], 0, -1)
  local live, head = 0, false
  for _, m in ipairs(members) do
    local d = tonumber(redis.call('HGET', KEYS[5], m) or '0')
    if d <= now then
      redis.call('ZREM', KEYS[4], m)
      redis.call('HDEL', KEYS[5], m)
    else
      live = live + 1
      if not head then head = m end
    end
  end
  return live, head
end
-- The next fencing token: one more than the last, but never below Redis's clock in microseconds,
-- so a Redis that lost the counter (restart without persistence) still continues above every
-- token it handed out before (as long as its clock did not step back). Formatted as integers:
-- Lua would print a number of 16 digits in exponent form.
local function next_token()
  local t = redis.call('TIME')
  local floor = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('GET', KEYS[1]) or '0')
  local token = string.format('%.0f', math.max(last + 1, floor))
  redis.call('SET', KEYS[1], token)
  return token
end
local function grant(now, ttl)
  local token = next_token()
  redis.call('HSET', KEYS[3], 't', token, 'e', string.format('%.0f', now + ttl))
  redis.call('PEXPIRE', KEYS[3], ttl + ${GC_MS})
  redis.call('ZADD', KEYS[6], now + ttl, ARGV[1])
  return token
end
local function keep_queue(ms)
  redis.call('PEXPIRE', KEYS[4], ms + ${GC_MS})
  redis.call('PEXPIRE', KEYS[5], ms + ${GC_MS})
end
local function wake() redis.call('PUBLISH', ARGV[2], ARGV[1]) end
`;

// ARGV[3] ttl, ARGV[4] queue (0/1), ARGV[5] liveness.
// -> {'granted', token, ttl, expired} | {'held', remaining, 0, expired} | {'queued', remaining, position, expired, ticket}
const ACQUIRE = `${PRELUDE}
local now = now_ms()
local ttl, queue, liveness = tonumber(ARGV[3]), ARGV[4] == '1', tonumber(ARGV[5])
local token, e, expired = settle(now)
local live, head = prune(now)
if not token and live == 0 then
  return {'granted', grant(now, ttl), ttl, expired or 0}
end
if expired and live > 0 then wake() end
local remaining = token and (e - now) or 0
if not queue then return {'held', remaining, 0, expired or 0} end
local ticket = tostring(redis.call('INCR', KEYS[2]))
redis.call('ZADD', KEYS[4], tonumber(ticket), ticket)
redis.call('HSET', KEYS[5], ticket, now + liveness)
keep_queue(liveness)
return {'queued', remaining, live + 1, expired or 0, ticket}
`;

// ARGV[3] ttl, ARGV[4] ticket, ARGV[5] liveness, ARGV[6] final (0/1).
// -> {'granted', token, ttl, expired} | {'queued', remaining, position, expired} | {'left', remaining, 0, expired}
const RETRY = `${PRELUDE}
local now = now_ms()
local ttl, ticket, liveness, final = tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), ARGV[6] == '1'
local token, e, expired = settle(now)
-- Refresh this ticket's liveness; one that lapsed comes back at its original place.
redis.call('ZADD', KEYS[4], tonumber(ticket), ticket)
redis.call('HSET', KEYS[5], ticket, now + liveness)
keep_queue(liveness)
local live, head = prune(now)
if not token and head == ticket then
  redis.call('ZREM', KEYS[4], ticket)
  redis.call('HDEL', KEYS[5], ticket)
  local granted = grant(now, ttl)
  -- The others now see a holder: they re-arm their lease timers.
  if live > 1 then wake() end
  return {'granted', granted, ttl, expired or 0}
end
local remaining = token and (e - now) or 0
if final then
  redis.call('ZREM', KEYS[4], ticket)
  redis.call('HDEL', KEYS[5], ticket)
  if head == ticket or (expired and live > 1) then wake() end
  return {'left', remaining, 0, expired or 0}
end
if expired then wake() end
return {'queued', remaining, redis.call('ZRANK', KEYS[4], ticket) + 1, expired or 0}
`;

// ARGV[3] ticket. -> 1 if it was queued
const LEAVE = `${PRELUDE}
local first = redis.call('ZRANGE', KEYS[4], 0, 0)[1]
local removed = redis.call('ZREM', KEYS[4], ARGV[3])
redis.call('HDEL', KEYS[5], ARGV[3])
if first == ARGV[3] and redis.call('ZCARD', KEYS[4]) > 0 then wake() end
return removed
`;

// ARGV[3] token. -> {'released'|'not-held'|'stale-token', expired}
const RELEASE = `${PRELUDE}
local now = now_ms()
local token, e, expired = settle(now)
if not token then
  if expired and redis.call('ZCARD', KEYS[4]) > 0 then wake() end
  return {'not-held', expired or 0}
end
if token ~= tonumber(ARGV[3]) then return {'stale-token', 0} end
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[6], ARGV[1])
if redis.call('ZCARD', KEYS[4]) > 0 then wake() end
return {'released', 0}
`;

// -> {token or 0, remaining, waiting, expired}
const HOLDER = `${PRELUDE}
local now = now_ms()
local token, e, expired = settle(now)
local live = prune(now)
if expired and live > 0 then wake() end
if not token then return {0, 0, 0, expired or 0} end
return {token, e - now, live, expired or 0}
`;

// ARGV[3] token. -> {'expired'|'live'|'gone', remaining}
const EXPIRE = `${PRELUDE}
local now = now_ms()
local v = redis.call('HMGET', KEYS[3], 't', 'e')
if not v[1] or tonumber(v[1]) ~= tonumber(ARGV[3]) then return {'gone', 0} end
if tonumber(v[2]) > now then return {'live', tonumber(v[2]) - now} end
settle(now)
if redis.call('ZCARD', KEYS[4]) > 0 then wake() end
return {'expired', 0}
`;

// -> number of live leases; drops entries of leases long gone.
const HELD = `${PRELUDE}
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now - ${GC_MS})
return redis.call('ZCOUNT', KEYS[6], '(' .. now, '+inf')
`;

const SCRIPTS = {
  acquire: ACQUIRE,
  retry: RETRY,
  leave: LEAVE,
  release: RELEASE,
  holder: HOLDER,
  expire: EXPIRE,
  held: HELD,
} as const;

type ScriptName = keyof typeof SCRIPTS;

export interface RedisLockStoreOptions {
  /** Commands and scripts. The caller owns it (and closes it after the lock service). */
  readonly redis: Redis;
  /**
   * A second connection for pub/sub (a subscribed connection can run nothing else). The caller
   * owns it; the store subscribes to P:wake on it and unsubscribes on `close()`.
   */
  readonly subscriber: Redis;
  /** Key prefix; coordinators that share locks share the prefix, tests use one each. */
  readonly prefix: string;
  readonly ticketLivenessMs?: number;
}

export interface RedisLockStore extends SharedLockStore {
  /** Unsubscribes from the wake channel (the connections stay open: their owner closes them). */
  close(): Promise<void>;
}

/** Infrastructure errors enter here: the caller sees `unavailable` (503) with the cause kept. */
function unavailable(error: unknown): never {
  if (error instanceof AppError) throw error;
  throw new AppError('unavailable', 'The coordinator cannot reach its lock store (Redis)', { cause: error });
}

function asArray(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected Redis script reply: ${JSON.stringify(reply)}`);
  return reply as unknown[];
}

function int(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`unexpected Redis script value: ${JSON.stringify(value)}`);
  return n;
}

function expiredOf(value: unknown): number | undefined {
  const token = int(value);
  return token === 0 ? undefined : token;
}

export async function createRedisLockStore({
  redis,
  subscriber,
  prefix,
  ticketLivenessMs = DEFAULT_TICKET_LIVENESS_MS,
}: RedisLockStoreOptions): Promise<RedisLockStore> {
  if (prefix.length === 0) throw new RangeError('the Redis key prefix must not be empty');
  const channel = `${prefix}:wake`;
  const names = new Map<ScriptName, string>();
  for (const [name, lua] of Object.entries(SCRIPTS) as [ScriptName, string][]) {
    // The scripts do not depend on the prefix (keys come in KEYS), so stores with different
    // prefixes on one client share them; redefining a command is harmless.
    const command = `sctecLock_${name}`;
    redis.defineCommand(command, { numberOfKeys: 6, lua });
    names.set(name, command);
  }

  async function run(name: ScriptName, resource: string, ...args: (string | number)[]): Promise<unknown[]> {
    const command = names.get(name);
    const fn: unknown = command === undefined ? undefined : Reflect.get(redis, command);
    if (typeof fn !== 'function') throw new Error(`Redis script ${name} is not defined`);
    const keys = [
      `${prefix}:tokens`,
      `${prefix}:tickets`,
      `${prefix}:lock:${resource}`,
      `${prefix}:queue:${resource}`,
      `${prefix}:qlive:${resource}`,
      `${prefix}:held`,
    ];
    try {
      const reply: unknown = await (Reflect.apply(fn, redis, [
        ...keys,
        resource,
        channel,
        ...args,
      ]) as Promise<unknown>);
      return asArray(reply);
    } catch (error) {
      return unavailable(error);
    }
  }

  const listeners = new Set<(resource: string) => void>();
  const onMessage = (from: string, message: string) => {
    if (from !== channel) return;
    for (const listener of listeners) listener(message);
  };
  subscriber.on('message', onMessage);
  try {
    await subscriber.subscribe(channel);
  } catch (error) {
    subscriber.off('message', onMessage);
    unavailable(error);
  }

  function step(reply: unknown[]): StoreStep {
    const [kind, a, b, expired, ticket] = reply;
    const expiredToken = expiredOf(expired);
    switch (kind) {
      case 'granted':
        return { outcome: 'granted', token: int(a), ttlRemainingMs: int(b), expiredToken };
      case 'held':
        return { outcome: 'held', ttlRemainingMs: int(a), expiredToken };
      case 'left':
        return { outcome: 'left', ttlRemainingMs: int(a), expiredToken };
      case 'queued':
        return {
          outcome: 'queued',
          ticket: typeof ticket === 'string' ? ticket : '',
          position: int(b),
          ttlRemainingMs: int(a),
          expiredToken,
        };
      default:
        throw new Error(`unexpected Redis script reply: ${JSON.stringify(reply)}`);
    }
  }

  return {
    async acquire(resource, ttlMs, queue) {
      const reply = await run('acquire', resource, ttlMs, queue ? 1 : 0, ticketLivenessMs);
      const result = step(reply);
      if (result.outcome === 'queued' && result.ticket === '')
        throw new Error('Redis queued without a ticket');
      return result;
    },

    async retry(resource, ticket, ttlMs, final) {
      return step(await run('retry', resource, ttlMs, ticket, ticketLivenessMs, final ? 1 : 0));
    },

    async leave(resource, ticket) {
      await run('leave', resource, ticket).catch(() => undefined);
    },

    async release(resource, token) {
      const [kind, expired] = await run('release', resource, token);
      const expiredToken = expiredOf(expired);
      let result: ReleaseResult;
      if (kind === 'released') result = { released: true };
      else if (kind === 'stale-token') result = { released: false, reason: 'stale-token' };
      else result = { released: false, reason: 'not-held' };
      return { result, expiredToken };
    },

    async holder(resource) {
      const [token, remaining, waiting, expired] = await run('holder', resource);
      const held = int(token);
      const holder: HolderInfo | undefined =
        held === 0 ? undefined : { token: held, ttlRemainingMs: int(remaining), waiting: int(waiting) };
      return { holder, expiredToken: expiredOf(expired) };
    },

    async expireIfDue(resource, token): Promise<ExpiryCheck> {
      const [kind, remaining] = await run('expire', resource, token);
      if (kind === 'expired') return { state: 'expired' };
      if (kind === 'live') return { state: 'live', ttlRemainingMs: int(remaining) };
      return { state: 'gone' };
    },

    async heldCount() {
      // Not a per-resource script: the resource key slots are unused.
      const fn: unknown = Reflect.get(redis, names.get('held') ?? '');
      if (typeof fn !== 'function') throw new Error('Redis script held is not defined');
      const keys = [
        `${prefix}:tokens`,
        `${prefix}:tickets`,
        `${prefix}:-`,
        `${prefix}:-`,
        `${prefix}:-`,
        `${prefix}:held`,
      ];
      try {
        return int(await (Reflect.apply(fn, redis, [...keys, '', channel]) as Promise<unknown>));
      } catch (error) {
        return unavailable(error);
      }
    },

    onWake(listener) {
      const entry = (resource: string) => listener(resource);
      listeners.add(entry);
      return () => listeners.delete(entry);
    },

    async close() {
      listeners.clear();
      subscriber.off('message', onMessage);
      // Best effort: the connection may already be closing.
      await subscriber.unsubscribe(channel).catch(() => undefined);
    },
  };
}
