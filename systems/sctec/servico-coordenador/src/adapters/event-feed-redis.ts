/**
 * The event feed (booking and waitlist events alike) shared by several coordinators behind one address, on a Redis Stream.
 *
 * Why a Stream (and not INCR + PUBLISH): the stream is at once the id counter, the ordered
 * delivery channel and a durable log. One Lua script reads the stream's last generated id and
 * XADDs the event with the next one, so numbering and publication are one atomic step and the
 * stream order IS the id order. Every coordinator reads the whole stream on its own connection
 * (XREAD BLOCK from the last id it delivered, no consumer group: every reader must see every
 * entry), so each of its subscribers gets every event exactly once, in id order, whichever
 * coordinator received the POST. A reader that lost its connection resumes from its cursor and
 * misses nothing the stream still holds; Pub/Sub would have dropped whatever was published
 * meanwhile. At start-up a coordinator fills its replay buffer from the stream's tail (XREVRANGE),
 * so a browser's Last-Event-ID is replayed by any coordinator, even one that just (re)started.
 *
 * Ids are contiguous: the script always takes last id + 1. A reader that sees a jump has lost
 * events (trimmed by MAXLEN while it was away, or Redis lost its data) and sends `event: reset`
 * to its subscribers, who reload their state, exactly like the single-process feed after a
 * restart. The floor argument (the highest id this coordinator has seen) keeps ids growing even
 * if Redis comes back empty, so an old Last-Event-ID is never mistaken for a new event.
 *
 * Connections: the append script runs on the client given (it may be shared with the Redis lock
 * store); the start-up read and the blocking reads run on one duplicate of it that the feed owns.
 * close() disconnects the reader, and quits the given client too when `ownsClient`.
 */
import { createHash } from 'node:crypto';
import { createSseHub } from '@dslab/event-client';
import { AppError } from '@dslab/errors';
import type { Logger } from '@dslab/logging';
import type { Redis } from 'ioredis';
import {
  DEFAULT_EVENT_BUFFER_SIZE,
  DEFAULT_EVENT_HEARTBEAT_MS,
  eventPayload,
  type EventFeed,
} from '../event-feed.js';

/** Entries the Redis stream keeps (approximately: `MAXLEN ~`). */
export const DEFAULT_EVENT_STREAM_MAX_LEN = 10_000;
/** How long publish() waits for this coordinator's own reader to deliver the event. */
export const DEFAULT_EVENT_DELIVERY_WAIT_MS = 250;
/** XREAD BLOCK timeout of the reader. */
export const DEFAULT_EVENT_READ_BLOCK_MS = 5_000;

/** How much longer than its BLOCK an XREAD may take before the connection is deemed dead. */
const READ_GRACE_MS = 10_000;

/** The stream's key under the deployment's prefix (LOCK_STORE_PREFIX, as the Redis lock store uses it). */
export const eventStreamKey = (prefix: string): string => `${prefix}:events`;

/**
 * KEYS[1] the stream; ARGV: floor, approximate MAXLEN, event name, data.
 * The next id is one above the stream's last generated id (kept by Redis even when entries are
 * trimmed) or above the floor, whichever is higher. Entry ids are `<id>-0`. Returns the id.
 */
const APPEND_SCRIPT = `
local last = 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      last = tonumber(string.match(info[i + 1], '^(%d+)'))
    end
  end
end
local floor = tonumber(ARGV[1])
if floor > last then last = floor end
local id = last + 1
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], string.format('%d-0', id), 'event', ARGV[3], 'data', ARGV[4])
return id
`;
const APPEND_SHA = createHash('sha1').update(APPEND_SCRIPT).digest('hex');

export interface RedisEventFeedOptions {
  /**
   * A client for commands (may be shared with the Redis lock store). The feed reads the stream
   * on one duplicate of it, which it owns.
   */
  redis: Redis;
  /** Close `redis` as well when the feed closes (it was made for the feed alone). Default false. */
  ownsClient?: boolean;
  /**
   * Key prefix of the deployment (LOCK_STORE_PREFIX); the stream is `<prefix>:events`. Every
   * coordinator behind one address uses the same prefix; tests use one each.
   */
  prefix: string;
  /** Wall clock for `emitido_em_utc`. */
  now: () => number;
  logger: Logger;
  /** Events kept for Last-Event-ID replay in this coordinator (default 1000). */
  capacity?: number;
  heartbeatMs?: number;
  maxSubscribers?: number;
  /** Entries kept in Redis (`MAXLEN ~`, default 10 000); raised to capacity + 1 if lower. */
  streamMaxLen?: number;
  /** Bound on publish() waiting for the local delivery (default 250 ms). */
  deliveryWaitMs?: number;
  /** XREAD BLOCK timeout (default 5000 ms). */
  readBlockMs?: number;
}

export interface RedisEventFeed extends EventFeed {
  readonly kind: 'redis';
  /** The stream's key. */
  readonly key: string;
  /** Id of the newest event this coordinator has read from the stream. */
  readonly readUpTo: number | undefined;
}

type StreamEntry = [id: string, fields: string[]];

/**
 * Connects the reader, fills the replay buffer from the stream's tail and starts reading. Fails
 * (so the start-up fails) if Redis cannot be reached.
 */
export async function createRedisEventFeed(options: RedisEventFeedOptions): Promise<RedisEventFeed> {
  const { redis, logger, now } = options;
  if (options.prefix.length === 0) throw new RangeError('the Redis key prefix must not be empty');
  const key = eventStreamKey(options.prefix);
  const capacity = options.capacity ?? DEFAULT_EVENT_BUFFER_SIZE;
  const maxLen = Math.max(options.streamMaxLen ?? DEFAULT_EVENT_STREAM_MAX_LEN, capacity + 1);
  const deliveryWaitMs = options.deliveryWaitMs ?? DEFAULT_EVENT_DELIVERY_WAIT_MS;
  const blockMs = options.readBlockMs ?? DEFAULT_EVENT_READ_BLOCK_MS;
  const hub = createSseHub({
    capacity,
    heartbeatMs: options.heartbeatMs ?? DEFAULT_EVENT_HEARTBEAT_MS,
    ...(options.maxSubscribers === undefined ? {} : { maxSubscribers: options.maxSubscribers }),
  });

  const reader = redis.duplicate({
    // A blocked XREAD cut by a disconnection is not re-sent (with a cursor that may no longer
    // mean anything if Redis came back empty): ioredis drops it, and readOnce() notices the
    // 'close' instead, so the loop checks the stream again before reading on.
    autoResendUnfulfilledCommands: false,
    // RESP2-shaped replies whatever the shared client uses.
    replyMapping: 'legacy',
    // readOnce() bounds the wait itself; a timeout of the shared client's would cut every BLOCK.
    commandTimeout: undefined,
    // Tells the reader apart in CLIENT LIST.
    connectionName: `${redis.options.connectionName ?? 'servico-coordenador-events'}-reader`,
  });
  // Connection problems surface as read failures (logged once per outage by the loop) and 503s.
  const quiet = (what: string) => (error: unknown) =>
    logger.debug(`Conexão ${what} do fluxo de eventos no Redis: ${describe(error)}`);
  reader.on('error', quiet('de leitura'));
  if (options.ownsClient === true) redis.on('error', quiet('de publicação'));

  let closed = false;
  const isClosed = () => closed;
  /** Stream entry id after which the reader reads. */
  let cursor = '0-0';
  /** Id of the last event given to the hub (since start or the last reset). */
  let lastId: number | undefined;
  /** Highest id seen or assigned; never decreases: the floor of new ids. */
  let highest = 0;
  let readError: string | undefined;
  /** publish() calls waiting for the local delivery of their id. */
  const waiting = new Map<number, (delivered: number) => void>();
  /** Streams written per id, for the latest ids (the reader may deliver before the publisher hears back). */
  const recent = new Map<number, number>();

  function settle(id: number, delivered: number): void {
    recent.set(id, delivered);
    if (recent.size > 1024) {
      const oldest = recent.keys().next();
      if (oldest.done !== true) recent.delete(oldest.value);
    }
    waiting.get(id)?.(delivered);
  }

  function deliver([entryId, fields]: StreamEntry, checkGap: boolean): void {
    cursor = entryId;
    const id = streamEntryNumber(entryId);
    const event = field(fields, 'event');
    const data = field(fields, 'data');
    if (id === undefined || event === undefined || data === undefined) {
      logger.warn(`Entrada ${entryId} do fluxo de eventos ${key} inválida; ignorada`);
      return;
    }
    highest = Math.max(highest, id);
    if (lastId !== undefined && id <= lastId) return; // already delivered (cannot happen reading forward)
    if (checkGap && lastId !== undefined && id !== lastId + 1) {
      const streams = hub.reset('upstream-reset');
      logger.warn(
        `Eventos ${lastId + 1} a ${id - 1} não estão mais no fluxo compartilhado ${key}; reset enviado a ${streams} assinantes`,
      );
    }
    const delivered = hub.publish({ id, event, data });
    lastId = id;
    settle(id, delivered);
  }

  // Start-up: the tail of the stream fills the replay buffer. One entry more than the buffer
  // holds, so the oldest is evicted at once and a Last-Event-ID equal to it is replayed too.
  let tail: StreamEntry[];
  try {
    tail = await reader.xrevrange(key, '+', '-', 'COUNT', capacity + 1);
  } catch (error) {
    reader.disconnect();
    if (options.ownsClient === true) redis.disconnect();
    throw new AppError('unavailable', `The shared event stream ${key} cannot be read from Redis`, {
      cause: error,
    });
  }
  for (const entry of tail.reverse()) deliver(entry, false);
  logger.info(
    `Fluxo de eventos compartilhado no Redis (${key}): ${tail.length} eventos recentes carregados para retomada` +
      (lastId === undefined ? '' : `, último id ${lastId}`),
  );

  /** After a read failure: did the stream lose what we already read (Redis restarted empty)? */
  async function checkStream(): Promise<void> {
    const top = await reader.xrevrange(key, '+', '-', 'COUNT', 1);
    const topId = top[0] === undefined ? undefined : streamEntryNumber(top[0][0]);
    if (lastId !== undefined && (topId === undefined || topId < lastId)) {
      const streams = hub.reset('upstream-reset');
      logger.warn(
        `O fluxo de eventos compartilhado ${key} perdeu eventos já lidos (último lido ${lastId}, último no Redis ${topId ?? 'nenhum'}); reset enviado a ${streams} assinantes`,
      );
      lastId = undefined;
      cursor = '0-0';
    }
  }

  /**
   * One XREAD BLOCK from the cursor. Rejects as soon as the reader's connection closes, and
   * after blockMs + READ_GRACE_MS without an answer (a half-open connection), in which case the
   * reader reconnects.
   */
  async function readOnce(): Promise<[key: string, items: StreamEntry[]][] | null> {
    let onClose: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const lost = new Promise<never>((_, reject) => {
      onClose = () => reject(new Error('connection closed while reading'));
      reader.once('close', onClose);
      timer = setTimeout(() => {
        reject(new Error(`no answer to XREAD within ${blockMs + READ_GRACE_MS} ms`));
        reader.disconnect(true);
      }, blockMs + READ_GRACE_MS);
    });
    try {
      return await Promise.race([reader.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', key, cursor), lost]);
    } finally {
      clearTimeout(timer);
      if (onClose !== undefined) reader.off('close', onClose);
    }
  }

  async function readLoop(): Promise<void> {
    let failures = 0;
    while (!closed) {
      try {
        if (failures > 0) {
          await checkStream();
          logger.info(`Leitura do fluxo de eventos compartilhado ${key} retomada`);
          failures = 0;
          readError = undefined;
        }
        const reply = await readOnce();
        // close() may have run while the read was blocked.
        if (isClosed()) return;
        for (const entry of reply?.[0]?.[1] ?? []) deliver(entry, true);
        // Ids the reader will never deliver (skipped by a reset): do not keep their publishers waiting.
        if (lastId !== undefined)
          for (const [id, wake] of waiting) if (id <= lastId) wake(recent.get(id) ?? 0);
      } catch (error) {
        if (isClosed()) return;
        failures += 1;
        readError = describe(error);
        if (failures === 1) {
          logger.warn(
            `Falha ao ler o fluxo de eventos compartilhado ${key} no Redis: ${readError}; tentando novamente`,
          );
        }
        await sleep(Math.min(100 * 2 ** (failures - 1), 2_000));
      }
    }
  }
  void readLoop();

  function waitDelivered(id: number): Promise<number> {
    const known = recent.get(id);
    if (known !== undefined) return Promise.resolve(known);
    if (closed) return Promise.resolve(0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(0);
      }, deliveryWaitMs);
      waiting.set(id, (delivered) => {
        clearTimeout(timer);
        waiting.delete(id);
        resolve(delivered);
      });
    });
  }

  async function append(args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(APPEND_SHA, 1, key, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await redis.eval(APPEND_SCRIPT, 1, key, ...args);
    }
  }

  return {
    kind: 'redis',
    key,
    hub,
    get readUpTo() {
      return lastId;
    },
    async publish(tipo, dados) {
      if (closed) {
        throw new AppError('unavailable', 'The coordinator is shutting down; retry in a moment', {
          headers: { 'retry-after': '1' },
        });
      }
      // Not connected: fail now rather than queue the event and publish it at some later moment.
      if (redis.status !== 'ready') {
        throw new AppError(
          'unavailable',
          `The shared event stream (Redis) is unreachable (${redis.status})`,
          {
            headers: { 'retry-after': '1' },
          },
        );
      }
      const payload = eventPayload(tipo, dados, now);
      let reply: unknown;
      try {
        reply = await append([highest, maxLen, tipo, JSON.stringify(payload)]);
      } catch (error) {
        throw new AppError('unavailable', 'The shared event stream (Redis) did not take the event', {
          cause: error,
          headers: { 'retry-after': '1' },
        });
      }
      const id = Number(reply);
      if (!Number.isSafeInteger(id) || id < 1) {
        throw new AppError('internal', `The shared event stream answered an invalid id (${String(reply)})`);
      }
      highest = Math.max(highest, id);
      const delivered = await waitDelivered(id);
      return { id, delivered, payload };
    },
    health() {
      if (closed) return 'closed';
      return readError === undefined ? 'ok' : `shared event stream unreadable: ${readError}`;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const wake of [...waiting.values()]) wake(0);
      hub.close();
      // disconnect(), not quit(): quit would wait for the blocked XREAD.
      reader.disconnect();
      if (options.ownsClient === true) void redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** `<id>-0` → id; undefined if the entry id's first part is not a safe integer ≥ 1. */
function streamEntryNumber(entryId: string): number | undefined {
  const match = /^(\d{1,16})-\d+$/.exec(entryId);
  const id = Number(match?.[1]);
  return Number.isSafeInteger(id) && id >= 1 ? id : undefined;
}

function field(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());
