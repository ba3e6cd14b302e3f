/**
 * The lecture's KV ("API para key-value (Consistência de Dados)", seed 002), ported faithfully —
 * bugs included — against the same real engines, so that each problem test can show its
 * scenario ending wrong here and right in our version. DO NOT FIX ANYTHING IN THIS FILE: it is the
 * control group. The only liberties: the Redis key gets a prefix and the queue names may get
 * one (test isolation), the clock is injected (to skew API replicas), HTTP answers are returned
 * as { status, body } instead of being sent, and the seed's garbled try/catch nesting is read
 * the way it was evidently meant.
 *
 * Its flaws, which our version fixes (see ../../test/problems.test.ts):
 *  - LWW by the API replica's wall clock (`last_updated <= $3`): skewed replicas and equal
 *    timestamps let an older write win;
 *  - DELETE removes the row (no tombstone): a late, older PUT inserts the key again;
 *  - GET fills Redis unconditionally with what it read from PostgreSQL, possibly after the
 *    consumer wrote a newer value, and the consumer only updates Redis if the key is there;
 *  - DELETE checks then acts in two statements (SELECT, then an unconditional DELETE);
 *  - a failing message is nack'ed without requeue and there is no dead-letter queue: it is lost;
 *  - sendToQueue on a plain channel: the 202 is sent without the broker's confirmation;
 *  - the del_key "retry" re-publishes with `expiration: 3000`, which does not delay anything
 *    (it discards the copy if it waits 3 s), and drops the DELETE after 3 attempts;
 *  - an empty value (`!key_value`) is rejected as invalid.
 */
import type { Channel, ConsumeMessage } from 'amqplib';

/** What the seed calls on `pgClient` (pg.Client / pg.Pool shape). */
export interface LecturePgClient {
  query(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;
}

/** What the seed calls on `redis` (ioredis shape). */
export interface LectureRedis {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<unknown>;
  del(key: string): Promise<number>;
}

/** The seed's console.log / console.warn / console.error. */
export interface LectureConsole {
  log(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export interface LectureResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface LectureQueues {
  readonly put: string;
  readonly delete: string;
}

export interface AddKeyPayload {
  key_name: string;
  key_value: string;
  timestamp: string;
}

export interface DelKeyPayload {
  key_name: string;
  timestamp: string;
}

/** What the consumer does with the message after the handler: the seed's ack / nack / re-publish. */
export type LectureOutcome =
  | { readonly action: 'ack' }
  /** nack(msg, false, false): not requeued, no dead-letter exchange — the message is gone. */
  | { readonly action: 'drop' }
  /** nack, then sendToQueue(del_key, same content, { headers: { 'x-retry': retries }, expiration: 3000 }). */
  | { readonly action: 'retry'; readonly retries: number };

export interface LectureKvDeps {
  pgClient: LecturePgClient;
  redis: LectureRedis;
  /** Prepended to every Redis key (the seed uses the bare key). */
  redisPrefix?: string;
  /** The channel the API publishes on (the seed's mqChannel); only needed by lecturePut/lectureDelete. */
  channel?: Pick<Channel, 'sendToQueue'>;
  queues?: LectureQueues;
  /** This replica's wall clock (the seed's `new Date()`). */
  now?: () => Date;
  console?: LectureConsole;
}

/** The seed's table (the lecture does not show its DDL; this is the one its queries need). */
export const LECTURE_TABLE_DDL =
  'CREATE TABLE IF NOT EXISTS kv_store (key TEXT PRIMARY KEY, value TEXT, last_updated TIMESTAMPTZ)';

const silentConsole: LectureConsole = { log: () => undefined, warn: () => undefined, error: () => undefined };

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createLectureKv(deps: LectureKvDeps) {
  const { pgClient, redis } = deps;
  const prefix = deps.redisPrefix ?? '';
  const queues = deps.queues ?? { put: 'add_key', delete: 'del_key' };
  const now = deps.now ?? (() => new Date());
  const console = deps.console ?? silentConsole;

  function channel(): Pick<Channel, 'sendToQueue'> {
    if (deps.channel === undefined) throw new Error('the lecture API needs a channel to publish');
    return deps.channel;
  }

  /** app.get('/') after validation. */
  async function lectureGet(key: string): Promise<LectureResponse> {
    try {
      // Try Redis
      const redisVal = await redis.get(prefix + key);
      if (redisVal !== null) {
        return { status: 200, body: { value: redisVal, source: 'redis' } };
      }
      // Fallback to Postgres
      const result = await pgClient.query('SELECT value FROM kv_store WHERE key = $1', [key]);
      if (result.rows.length > 0) {
        const value = result.rows[0]?.value as string;
        // Save to Redis for next time
        await redis.set(prefix + key, value);
        return { status: 200, body: { value, source: 'postgres' } };
      }
      return { status: 404, body: { error: 'Key not found' } };
    } catch (err) {
      console.error(errorMessage(err));
      return { status: 500, body: { error: 'Internal Server Error' } };
    }
  }

  /** The payload app.put('/') queues, stamped with this replica's clock. */
  function stampAddKey(key_name: string, key_value: string): AddKeyPayload {
    return { key_name, key_value, timestamp: now().toISOString() };
  }

  function stampDelKey(key_name: string): DelKeyPayload {
    return { key_name, timestamp: now().toISOString() };
  }

  /** app.put('/') after validation: sendToQueue returns at once, confirmed or not. */
  async function lecturePut(key_name: string, key_value: string): Promise<LectureResponse> {
    const payload = stampAddKey(key_name, key_value);
    // eslint-disable-next-line @typescript-eslint/await-thenable -- the seed awaits a boolean
    await channel().sendToQueue(queues.put, Buffer.from(JSON.stringify(payload)));
    return { status: 202, body: { message: 'Queued to add_key' } };
  }

  /** app.delete('/') after validation. */
  async function lectureDelete(key_name: string): Promise<LectureResponse> {
    const payload = stampDelKey(key_name);
    // eslint-disable-next-line @typescript-eslint/await-thenable -- the seed awaits a boolean
    await channel().sendToQueue(queues.delete, Buffer.from(JSON.stringify(payload)));
    return { status: 202, body: { message: 'Queued to del_key' } };
  }

  function parse(message: unknown): Record<string, unknown> {
    return (Buffer.isBuffer(message) ? JSON.parse(message.toString()) : message) as Record<string, unknown>;
  }

  function show(message: unknown): string {
    return Buffer.isBuffer(message) ? message.toString() : JSON.stringify(message);
  }

  /** The add_key consumer's body (message content or its parsed payload). */
  async function applyAddKey(message: AddKeyPayload | Buffer): Promise<LectureOutcome> {
    try {
      const { key_name, key_value, timestamp } = parse(message);
      const ts = new Date(timestamp as string);

      if (!key_name || !key_value || !timestamp) {
        console.warn(`⚠ Invalid add_key message: ${show(message)}`);
        return { action: 'drop' };
      }

      const upt_result = await pgClient.query(
        `INSERT INTO kv_store (key, value, last_updated)
      VALUES ($1, $2, $3)
      ON CONFLICT (key)
      DO UPDATE SET value = $2, last_updated = $3
      WHERE kv_store.last_updated <= $3`,
        [key_name, key_value, ts],
      );

      if ((upt_result.rowCount ?? 0) > 0) {
        try {
          // Try Redis
          const redisVal = await redis.get(prefix + (key_name as string));
          if (redisVal !== null) {
            await redis.set(prefix + (key_name as string), key_value as string);
          }
        } catch (err) {
          console.error(`Error: ${errorMessage(err)}`);
        }
      }
      console.log(
        `[add_key] ${key_name as string} set to "${key_value as string}" at ${timestamp as string}`,
      );
      return { action: 'ack' };
    } catch (err) {
      console.error(`[add_key] Error: ${errorMessage(err)}`);
      return { action: 'drop' };
    }
  }

  /** The del_key consumer's body; `retries` is the message's x-retry header (0 when absent). */
  async function applyDelKey(message: DelKeyPayload | Buffer, retries = 0): Promise<LectureOutcome> {
    try {
      const { key_name, timestamp } = parse(message);
      const ts = new Date(timestamp as string);

      if (!key_name || !timestamp) {
        console.warn(`⚠ Invalid del_key message: ${show(message)}`);
        return { action: 'drop' };
      }

      const res = await pgClient.query('SELECT last_updated FROM kv_store WHERE key = $1', [key_name]);

      if (res.rows.length === 0) {
        if (retries < 3) {
          console.warn(
            `[del_key] Key "${key_name as string}" not found. Retrying... (attempt ${retries + 1})`,
          );
          return { action: 'retry', retries: retries + 1 };
        } else {
          console.warn(`[del_key] Key "${key_name as string}" not found after ${retries} retries. Dropping.`);
          return { action: 'ack' };
        }
      }

      const dbTimestamp = new Date(res.rows[0]?.last_updated as Date);

      if (dbTimestamp <= ts) {
        await pgClient.query('DELETE FROM kv_store WHERE key = $1', [key_name]);
        console.log(`    [del_key] Deleted "${key_name as string}" at ${timestamp as string}`);
        try {
          // Try Redis
          const redisVal = await redis.get(prefix + (key_name as string));
          if (redisVal !== null) {
            await redis.del(prefix + (key_name as string));
          }
        } catch (err) {
          console.error(`    Error: ${errorMessage(err)}`);
        }
      } else {
        console.log(`    [del_key] Skipped deletion of "${key_name as string}" — newer value exists.`);
      }
      return { action: 'ack' };
    } catch (err) {
      console.error(`    [del_key] Error: ${errorMessage(err)}`);
      return { action: 'drop' };
    }
  }

  /**
   * The two mqChannel.consume(...) calls on one plain channel: no prefetch, ack after the
   * handler, nack(msg, false, false) on failure (dropped), del_key's manual re-publish.
   */
  async function startLectureConsumer(
    mqChannel: Channel,
    consumeQueues: LectureQueues = queues,
  ): Promise<{ stop(): Promise<void> }> {
    await mqChannel.assertQueue(consumeQueues.put, { durable: true });
    await mqChannel.assertQueue(consumeQueues.delete, { durable: true });
    const inFlight = new Set<Promise<void>>();
    const track = (work: Promise<void>) => {
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    };

    const addTag = await mqChannel.consume(consumeQueues.put, (msg: ConsumeMessage | null) => {
      if (!msg) return;
      track(
        applyAddKey(msg.content).then((outcome) => {
          if (outcome.action === 'ack') mqChannel.ack(msg);
          else mqChannel.nack(msg, false, false);
        }),
      );
    });

    const delTag = await mqChannel.consume(consumeQueues.delete, (msg: ConsumeMessage | null) => {
      if (!msg) return;
      const headers = msg.properties.headers ?? {};
      const retries = Number(headers['x-retry'] ?? 0) || 0;
      track(
        applyDelKey(msg.content, retries).then((outcome) => {
          if (outcome.action === 'ack') mqChannel.ack(msg);
          else if (outcome.action === 'drop') mqChannel.nack(msg, false, false);
          else {
            mqChannel.nack(msg, false, false); // Don't requeue yet
            // Requeue manually with retry count
            mqChannel.sendToQueue(consumeQueues.delete, Buffer.from(msg.content.toString()), {
              headers: { 'x-retry': outcome.retries },
              expiration: 3000, // optional: delay retry
            });
          }
        }),
      );
    });

    return {
      async stop() {
        await mqChannel.cancel(addTag.consumerTag);
        await mqChannel.cancel(delTag.consumerTag);
        await Promise.allSettled([...inFlight]);
      },
    };
  }

  return {
    lectureGet,
    lecturePut,
    lectureDelete,
    stampAddKey,
    stampDelKey,
    applyAddKey,
    applyDelKey,
    startLectureConsumer,
  };
}

export type LectureKv = ReturnType<typeof createLectureKv>;
