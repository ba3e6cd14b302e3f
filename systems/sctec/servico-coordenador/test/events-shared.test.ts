/**
 * Booking events with several coordinators behind one address: each runs the real POST/GET
 * /eventos routes on a Redis-backed feed (adapters/event-feed-redis.ts) over the same stream.
 * An event posted to any coordinator reaches the subscribers of all of them with one id, in id
 * order, once; a browser that reconnects to another coordinator is replayed what it missed.
 * Real Redis (TEST_REDIS_URL); every test has its own key prefix and deletes it afterwards.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  recordEvents,
  type BookingEventData,
  type BookingEventPayload,
  type RecordingSubscriber,
  type SctecEvent,
  type SseMessage,
} from '@dslab/event-client';
import { createHttpApp, type HttpApp } from '@dslab/http-kit';
import { createLogger } from '@dslab/logging';
import { call, freePort, startOnFreePort, TEST_REDIS_URL, uniqueName } from '@dslab/testing';
import { Redis } from 'ioredis';
import {
  createRedisEventFeed,
  eventStreamKey,
  type RedisEventFeed,
} from '../src/adapters/event-feed-redis.js';
import { registerEventRoutes } from '../src/entry-points/http/routes-events.js';

const SERVICE = 'servico-coordenador';

const dados = (id: number): BookingEventData => ({
  agendamento_id: id,
  telescopio_id: 'Hubble-Acad',
  cientista_id: 7,
  horario_inicio_utc: '2025-12-01T03:00:00Z',
  horario_fim_utc: '2025-12-01T03:05:00Z',
  status: 'ativo',
  audit_seq: id,
});

interface SharedCoordinator {
  url: string;
  /** Its Redis connection name; the feed's reader is `<name>-reader`. */
  name: string;
  app: HttpApp;
  feed: RedisEventFeed;
  /** The feed's command connection. */
  redis: Redis;
  messages(): string[];
  publish(agendamentoId: number): Promise<{ status: number; id: number }>;
  /** POST /eventos with any event. */
  post(event: SctecEvent): Promise<{ status: number; id: number }>;
  close(): Promise<void>;
}

/** One coordinator: the real event routes on a shared feed, its own Redis connections, port 0. */
async function startSharedCoordinator(
  prefix: string,
  name: string,
  options: { capacity?: number; heartbeatMs?: number } = {},
): Promise<SharedCoordinator> {
  const rawLines: string[] = [];
  const logger = createLogger({
    service: SERVICE,
    console: false,
    onLine: (l) => rawLines.push(l.trimEnd()),
  });
  const redis = new Redis(TEST_REDIS_URL, { connectionName: name });
  const feed = await createRedisEventFeed({
    redis,
    ownsClient: true,
    prefix,
    now: Date.now,
    logger,
    ...(options.capacity === undefined ? {} : { capacity: options.capacity }),
    heartbeatMs: options.heartbeatMs ?? 15_000,
  });
  const app = await createHttpApp({ service: SERVICE, logger, title: 'test', rateLimitPerMinute: 0 });
  registerEventRoutes(app, { feed });
  // What buildApp does with its feed: end the streams (and here the connections) before closing.
  app.addHook('preClose', async () => feed.close());
  const server = await startOnFreePort(app);
  const post = async (event: SctecEvent) => {
    const res = await call<{ id: number }>(server.url, 'POST', '/eventos', { body: event });
    return { status: res.status, id: res.body.id };
  };
  return {
    url: server.url,
    name,
    app,
    feed,
    redis,
    messages: () => rawLines.map((line) => line.split(':servico-coordenador:')[1] ?? line),
    post,
    publish: (agendamentoId) => post({ tipo: 'AGENDAMENTO_CRIADO', dados: dados(agendamentoId) }),
    async close() {
      await server.close();
      logger.close();
    },
  };
}

/** A test's namespace in Redis, and everything started in it, cleaned up at the end. */
function namespace() {
  const prefix = uniqueName('sctec_events');
  const started: { close(): Promise<void> }[] = [];
  return {
    prefix,
    async start(options?: { capacity?: number; heartbeatMs?: number }) {
      const coordinator = await startSharedCoordinator(prefix, `${prefix}_c${started.length}`, options);
      started.push(coordinator);
      return coordinator;
    },
    subscribe(url: string, lastEventId?: string): RecordingSubscriber {
      const sub = recordEvents({ url: `${url}/eventos`, lastEventId, retry: { initialMs: 50, maxMs: 200 } });
      started.push(sub);
      return sub;
    },
    async cleanUp() {
      for (const item of started.reverse()) await item.close();
      const redis = new Redis(TEST_REDIS_URL);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}

/** Cuts the Redis connections named `name` (the server side of a network failure). */
async function killConnections(name: string): Promise<number> {
  const admin = new Redis(TEST_REDIS_URL);
  try {
    const list = String(await admin.client('LIST'));
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /\bid=(\d+)/.exec(line)?.[1] ?? '');
    for (const id of ids) await admin.client('KILL', 'ID', id);
    return ids.length;
  } finally {
    await admin.quit();
  }
}

const events = (sub: RecordingSubscriber): SseMessage[] => sub.messages().filter((m) => m.event !== 'reset');
const ids = (sub: RecordingSubscriber): number[] => events(sub).map((m) => Number(m.id));
const opened = (sub: RecordingSubscriber) => sub.until((log) => log.some((e) => e.kind === 'open'), 'open');
const hasIds = (sub: RecordingSubscriber, count: number, what: string) =>
  sub.until((log) => log.filter((e) => e.kind === 'event').length >= count, what);

describe('servico-coordenador events shared through Redis by several coordinators', () => {
  const spaces: ReturnType<typeof namespace>[] = [];
  const space = () => {
    const ns = namespace();
    spaces.push(ns);
    return ns;
  };
  after(async () => {
    for (const ns of spaces) await ns.cleanUp();
  });

  test('when an event is posted to coordinator A, then subscribers of A and of B receive it with the same id and bytes', async () => {
    const ns = space();
    const a = await ns.start();
    const b = await ns.start();
    const onA = ns.subscribe(a.url);
    const onB = ns.subscribe(b.url);
    await Promise.all([opened(onA), opened(onB)]);

    const posted = await a.publish(1);
    assert.equal(posted.status, 202);
    await hasIds(onA, 1, 'A got the event');
    await hasIds(onB, 1, 'B got the event');
    assert.deepEqual(ids(onA), [posted.id]);
    assert.deepEqual(ids(onB), [posted.id]);
    assert.deepEqual(events(onA), events(onB));
    const payload = JSON.parse(events(onB)[0]?.data ?? '{}') as BookingEventPayload;
    assert.equal(payload.tipo, 'AGENDAMENTO_CRIADO');
    assert.equal(payload.agendamento_id, 1);
    // The coordinator that took the POST had already written it to its own stream.
    assert.ok(
      a
        .messages()
        .some((m) => m.startsWith('Evento AGENDAMENTO_CRIADO recebido e disseminado para 1 assinantes')),
      JSON.stringify(a.messages()),
    );

    // And the other way round, with the next id from the same counter.
    const second = await b.publish(2);
    assert.equal(second.id, posted.id + 1);
    await hasIds(onA, 2, 'A got the event posted to B');
    await hasIds(onB, 2, 'B got its own event');
    assert.deepEqual(ids(onA), [posted.id, second.id]);
    assert.deepEqual(ids(onB), [posted.id, second.id]);
  });

  test('when a waitlist event is posted to coordinator A, then subscribers of A and of B receive it like a booking event, and a newcomer replays it', async () => {
    const ns = space();
    const a = await ns.start();
    const b = await ns.start();
    const onA = ns.subscribe(a.url);
    const onB = ns.subscribe(b.url);
    await Promise.all([opened(onA), opened(onB)]);

    const booked = await b.publish(1);
    const offer: SctecEvent = {
      tipo: 'ESPERA_OFERECIDA',
      dados: {
        espera_id: 5,
        telescopio_id: 'Hubble-Acad',
        cientista_id: 8,
        horario_inicio_utc: '2025-12-01T03:00:00Z',
        horario_fim_utc: '2025-12-01T03:05:00Z',
        status: 'oferecida',
        oferta_expira_em_utc: '2025-12-01T02:58:00.000Z',
        audit_seq: 2,
      },
    };
    const offered = await a.post(offer);
    assert.equal(offered.status, 202);
    assert.equal(offered.id, booked.id + 1, 'one counter for booking and waitlist events');
    await hasIds(onA, 2, 'A got both events');
    await hasIds(onB, 2, 'B got both events');
    assert.deepEqual(ids(onB), [booked.id, offered.id]);
    assert.deepEqual(events(onA), events(onB));
    const last = events(onB)[1];
    assert.equal(last?.event, 'ESPERA_OFERECIDA');
    const payload = JSON.parse(last.data) as Record<string, unknown>;
    assert.equal(typeof payload.emitido_em_utc, 'string');
    assert.deepEqual(
      { ...payload, emitido_em_utc: undefined },
      {
        tipo: 'ESPERA_OFERECIDA',
        ...offer.dados,
        emitido_em_utc: undefined,
      },
    );

    // A coordinator started now replays it from the shared stream, bytes unchanged.
    const c = await ns.start();
    const replay = ns.subscribe(c.url, String(booked.id));
    await hasIds(replay, 1, 'the waitlist event replayed by the newcomer');
    assert.deepEqual(events(replay), [last]);
  });

  test('when 50 events are posted concurrently across both coordinators, then every subscriber gets all of them in strictly increasing id order, without gaps or duplicates', async () => {
    const ns = space();
    const a = await ns.start();
    const b = await ns.start();
    const subs = [ns.subscribe(a.url), ns.subscribe(a.url), ns.subscribe(b.url), ns.subscribe(b.url)];
    await Promise.all(subs.map(opened));

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).publish(100 + i)),
    );
    assert.ok(results.every((r) => r.status === 202));
    const posted = results.map((r) => r.id).sort((x, y) => x - y);
    assert.equal(new Set(posted).size, 50, 'no two events share an id');
    const first = posted[0] ?? 0;
    assert.deepEqual(
      posted,
      Array.from({ length: 50 }, (_, i) => first + i),
      'ids are contiguous',
    );

    await Promise.all(subs.map((sub, i) => hasIds(sub, 50, `subscriber ${i} got 50 events`)));
    for (const sub of subs) assert.deepEqual(ids(sub), posted);
    // Every event once, whichever coordinator took it.
    const booked = events(subs[3] as RecordingSubscriber).map(
      (m) => (JSON.parse(m.data) as BookingEventPayload).agendamento_id,
    );
    assert.deepEqual(
      [...booked].sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => 100 + i),
    );
    for (const sub of subs) assert.ok(!sub.log.some((e) => e.kind === 'reset'), 'no reset');
  });

  test('when a subscriber reconnects to the other coordinator with its Last-Event-ID, then it gets exactly the events it missed, then live ones', async () => {
    const ns = space();
    const a = await ns.start();
    const b = await ns.start();
    const first = ns.subscribe(a.url);
    await opened(first);
    for (let i = 1; i <= 3; i++) await (i % 2 === 0 ? b : a).publish(i);
    await hasIds(first, 3, 'three events on A');
    const lastSeen = first.subscription.lastEventId;
    await first.close();

    const missed: number[] = [];
    for (let i = 4; i <= 7; i++) missed.push((await (i % 2 === 0 ? a : b).publish(i)).id);

    const resumed = ns.subscribe(b.url, lastSeen);
    await hasIds(resumed, 4, 'the four missed events replayed by B');
    assert.deepEqual(ids(resumed), missed);
    assert.ok(!resumed.log.some((e) => e.kind === 'reset'));
    const live = await a.publish(8);
    await hasIds(resumed, 5, 'a live event after the replay');
    assert.deepEqual(ids(resumed), [...missed, live.id]);
  });

  test('when a coordinator starts after events were published, then it replays them from the shared stream and numbering goes on', async () => {
    const ns = space();
    const a = await ns.start({ capacity: 5 });
    const posted: number[] = [];
    for (let i = 1; i <= 8; i++) posted.push((await a.publish(i)).id);

    // A newcomer's buffer holds the stream's last 5 events (and knows the one before them).
    const c = await ns.start({ capacity: 5 });
    assert.equal(c.feed.readUpTo, posted.at(-1));
    const replay = ns.subscribe(c.url, String(posted[2]));
    await hasIds(replay, 5, 'replay of the last five');
    assert.deepEqual(ids(replay), posted.slice(3));
    const tooOld = ns.subscribe(c.url, String(posted[1]));
    await tooOld.until((log) => log.some((e) => e.kind === 'reset'), 'reset for an evicted id');
    assert.equal(tooOld.messages()[0]?.data, '{"motivo":"too-old"}');

    const next = await c.publish(9);
    assert.equal(next.id, (posted.at(-1) ?? 0) + 1);
  });

  test('when the stream key is lost, then new ids still grow past every id this coordinator has seen', async () => {
    const ns = space();
    const a = await ns.start();
    const before = await a.publish(1);
    const redis = new Redis(TEST_REDIS_URL);
    await redis.del(eventStreamKey(ns.prefix));
    await redis.quit();
    const afterLoss = await a.publish(2);
    assert.equal(afterLoss.status, 202);
    assert.ok(afterLoss.id > before.id, `${afterLoss.id} > ${before.id}`);
  });

  test('when a coordinator has lost its Redis connection, then its POST /eventos answers 503 problem+json and publishes nothing; the others go on', async () => {
    const ns = space();
    const a = await ns.start();
    const b = await ns.start();
    const onB = ns.subscribe(b.url);
    await opened(onB);
    const ok = await a.publish(1);
    await hasIds(onB, 1, 'first event');

    a.redis.disconnect();
    const refused = await call<{ code?: string; id?: number }>(a.url, 'POST', '/eventos', {
      body: { tipo: 'AGENDAMENTO_CRIADO', dados: dados(2) },
    });
    assert.equal(refused.status, 503);
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
    assert.equal(refused.body.id, undefined);

    const next = await b.publish(3);
    assert.equal(next.status, 202);
    assert.equal(next.id, ok.id + 1, 'the refused event took no id');
    await hasIds(onB, 2, 'the event posted to B');
    assert.deepEqual(ids(onB), [ok.id, next.id]);
  });

  test('when a reader loses its Redis connection, then it resumes where it was and its subscribers miss nothing', async () => {
    const ns = space();
    const a = await ns.start();
    const b = await ns.start();
    const onA = ns.subscribe(a.url);
    await opened(onA);
    const first = await b.publish(1);
    await hasIds(onA, 1, 'first event');

    assert.equal(await killConnections(`${a.name}-reader`), 1);
    const during = [(await b.publish(2)).id, (await b.publish(3)).id];
    await hasIds(onA, 3, 'the events published while A was reconnecting');
    assert.deepEqual(ids(onA), [first.id, ...during]);
    assert.ok(!onA.log.some((e) => e.kind === 'reset'), 'no reset');
    assert.equal(a.feed.health(), 'ok');
  });

  test('when the shared stream skips ids (events trimmed while a reader was away), then subscribers get a reset before the next event', async () => {
    const ns = space();
    const a = await ns.start();
    const onA = ns.subscribe(a.url);
    await opened(onA);
    const first = await a.publish(1);
    await hasIds(onA, 1, 'first event');

    const redis = new Redis(TEST_REDIS_URL);
    const jumped = first.id + 10;
    await redis.xadd(eventStreamKey(ns.prefix), `${jumped}-0`, 'event', 'AGENDAMENTO_CRIADO', 'data', '{}');
    await redis.quit();
    await hasIds(onA, 2, 'the event after the gap');
    assert.deepEqual(
      onA.messages().map((m) => (m.event === 'reset' ? `reset:${m.data}` : m.id)),
      [String(first.id), 'reset:{"motivo":"upstream-reset"}', String(jumped)],
    );
    // Numbering goes on from the stream.
    assert.equal((await a.publish(2)).id, jumped + 1);
  });

  test('when Redis comes back without the stream (its data was lost), then subscribers get a reset and ids keep growing', async () => {
    const ns = space();
    const a = await ns.start();
    const onA = ns.subscribe(a.url);
    await opened(onA);
    const first = await a.publish(1);
    await hasIds(onA, 1, 'first event');

    const redis = new Redis(TEST_REDIS_URL);
    await redis.del(eventStreamKey(ns.prefix));
    await redis.quit();
    await killConnections(`${a.name}-reader`);
    await onA.until((log) => log.some((e) => e.kind === 'reset'), 'a reset after the loss');
    const next = await a.publish(2);
    assert.ok(next.id > first.id, `${next.id} > ${first.id}`);
    await hasIds(onA, 2, 'the event after the loss');
    assert.deepEqual(
      onA.messages().map((m) => (m.event === 'reset' ? `reset:${m.data}` : m.id)),
      [String(first.id), 'reset:{"motivo":"upstream-reset"}', String(next.id)],
    );
  });

  test('when Redis cannot be reached at start-up, then creating the shared feed fails with "unavailable" (the start-up fails)', async () => {
    const port = await freePort();
    const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    const logger = createLogger({ service: SERVICE, console: false });
    await assert.rejects(
      createRedisEventFeed({ redis, ownsClient: true, prefix: 'unreachable', now: Date.now, logger }),
      (error: Error & { code?: string }) => error.code === 'unavailable',
    );
    logger.close();
  });
});
