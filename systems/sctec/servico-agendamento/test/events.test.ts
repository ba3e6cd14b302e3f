/**
 * Live booking events end to end: a real coordinator process, the scheduler in-process with its
 * publisher and relay, and "browsers" subscribed to the scheduler's GET /eventos.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { migrate } from '@dslab/db';
import {
  createEventPublisher,
  recordEvents,
  type BookingEventPayload,
  type RecordingSubscriber,
} from '@dslab/event-client';
import { createLockClient } from '@dslab/lock-client';
import { createLogger } from '@dslab/logging';
import {
  call,
  createTestDatabase,
  freePort,
  spawnService,
  startOnFreePort,
  type ServiceProcess,
} from '@dslab/testing';
import { Client } from 'undici';
import { futureSlot, JWT_SECRET, startCoordinatorProcess } from '../../test/harness.js';
import { schedulerMigrations } from '../src/adapters/migrations.js';
import { createSchedulerStore } from '../src/adapters/store.js';
import { buildApp, DEFAULT_TELESCOPE, type SchedulerTables } from '../src/index.js';
import { createEventRelay, type EventRelay } from '../src/entry-points/http/routes-events.js';

const SECRET = 'segredo-compartilhado-1';
const until = async (check: () => boolean, what: string, timeoutMs = 10_000) => {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

interface Scheduler {
  url: string;
  relay: EventRelay;
  lines: string[];
  scientist(): Promise<{ id: number; token: string }>;
  close(): Promise<void>;
}

let counter = 0;

/** The scheduler through buildApp on port 0 with live events wired as main.ts wires them. */
async function startScheduler(options: {
  coordinatorUrl: string;
  /** Where events are published (default the coordinator). */
  eventsBaseUrl?: string;
  secret?: string;
  publishTimeoutMs?: number;
}): Promise<Scheduler> {
  const database = await createTestDatabase<SchedulerTables>('sqlite', 'sctec-events');
  await migrate(database, schedulerMigrations(database.engine));
  await createSchedulerStore(database.db).ensureTelescope({
    ...DEFAULT_TELESCOPE,
    criado_em_utc: new Date().toISOString(),
  });
  const lines: string[] = [];
  const logger = createLogger({
    service: 'servico-agendamento',
    console: false,
    onLine: (l) => lines.push(l),
  });
  const locks = createLockClient({ baseUrl: options.coordinatorUrl, secret: options.secret });
  const publisher = createEventPublisher({
    baseUrl: options.eventsBaseUrl ?? options.coordinatorUrl,
    secret: options.secret,
    timeoutMs: options.publishTimeoutMs ?? 500,
  });
  const relay = createEventRelay({
    url: `${options.coordinatorUrl}/eventos`,
    secret: options.secret,
    logger,
    retry: { initialMs: 50, maxMs: 200 },
  });
  const app = await buildApp({
    database,
    locks,
    logger,
    clock: { now: () => Date.now() },
    jwtSecret: JWT_SECRET,
    events: { publisher, relay },
  });
  const server = await startOnFreePort(app);
  return {
    url: server.url,
    relay,
    lines,
    async scientist() {
      counter += 1;
      const email = `ev${counter}-${Math.random().toString(36).slice(2, 8)}@obs.example`;
      const created = await call<{ id: number }>(server.url, 'POST', '/cientistas', {
        body: { nome: 'Cecilia Payne', email, senha: 'senha-segura-1' },
      });
      const token = await call<{ access_token: string }>(server.url, 'POST', '/auth/token', {
        body: { email, senha: 'senha-segura-1' },
      });
      return { id: created.body.id, token: token.body.access_token };
    },
    async close() {
      await server.close();
      await locks.close();
      await publisher.close();
      logger.close();
      await database.dispose();
    },
  };
}

const book = (url: string, token: string, slot: number) =>
  call<{ id: number; _links: Record<string, { href: string; method?: string }> }>(
    url,
    'POST',
    '/agendamentos',
    {
      token,
      body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(slot, 3) },
    },
  );
const cancel = (url: string, token: string, id: number) =>
  call<{ status: string }>(url, 'POST', `/agendamentos/${id}/cancelamento`, { token });

const payloads = (browser: RecordingSubscriber) =>
  browser
    .messages()
    .filter((m) => m.event !== 'reset')
    .map((m) => ({ id: Number(m.id), event: m.event, data: JSON.parse(m.data) as BookingEventPayload }));

describe('live booking events through the scheduler (coordinator with COORDINATOR_SECRET)', () => {
  let coordinator: ServiceProcess | undefined;
  let scheduler: Scheduler | undefined;
  const env = () => {
    assert.ok(coordinator && scheduler, 'set-up finished');
    return { coordinator, scheduler };
  };
  const firstIds: number[] = [];

  before(async () => {
    coordinator = await startCoordinatorProcess({ COORDINATOR_SECRET: SECRET });
    scheduler = await startScheduler({ coordinatorUrl: coordinator.url, secret: SECRET });
    await until(() => scheduler?.relay.upstreamConnected === true, 'the relay is subscribed');
  });
  after(async () => {
    await scheduler?.close();
    await coordinator?.stop();
  });

  test('the API root links the event stream', async () => {
    const root = await call<{ _links: Record<string, { href: string }> }>(env().scheduler.url, 'GET', '/');
    assert.equal(root.body._links.eventos?.href, '/eventos');
  });

  test('when a booking is created and then cancelled, then a browser receives AGENDAMENTO_CRIADO then AGENDAMENTO_CANCELADO, in order, with increasing ids', async () => {
    const { scheduler: s } = env();
    const browser = recordEvents({ url: `${s.url}/eventos` });
    const other = recordEvents({ url: `${s.url}/eventos` });
    try {
      await browser.until((log) => log.some((e) => e.kind === 'open'), 'browser connected');
      await other.until((log) => log.some((e) => e.kind === 'open'), 'other browser connected');
      const scientist = await s.scientist();
      const created = await book(s.url, scientist.token, 1);
      assert.equal(created.status, 201, created.text);
      const cancelled = await cancel(s.url, scientist.token, created.body.id);
      assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));

      for (const b of [browser, other]) {
        await b.until((log) => log.filter((e) => e.kind === 'event').length >= 2, 'two events');
      }
      const [first, second] = payloads(browser);
      assert.ok(first && second);
      assert.deepEqual(payloads(other), payloads(browser), 'every browser sees the same stream');
      assert.equal(first.event, 'AGENDAMENTO_CRIADO');
      assert.equal(second.event, 'AGENDAMENTO_CANCELADO');
      assert.ok(Number.isSafeInteger(first.id) && second.id > first.id, `${first.id} < ${second.id}`);
      assert.deepEqual(
        { ...first.data, emitido_em_utc: 'x', audit_seq: 0 },
        {
          tipo: 'AGENDAMENTO_CRIADO',
          agendamento_id: created.body.id,
          telescopio_id: 'Hubble-Acad',
          cientista_id: scientist.id,
          // The booking's own times, as the scheduler writes every wire timestamp (milliseconds, Z).
          horario_inicio_utc: new Date(Date.parse(futureSlot(1, 3))).toISOString(),
          horario_fim_utc: new Date(Date.parse(futureSlot(1, 3)) + 300_000).toISOString(),
          status: 'ativo',
          emitido_em_utc: 'x',
          audit_seq: 0,
        },
      );
      assert.equal(second.data.tipo, 'AGENDAMENTO_CANCELADO');
      assert.equal(second.data.status, 'cancelado');
      assert.equal(second.data.agendamento_id, created.body.id);
      assert.ok(second.data.audit_seq > first.data.audit_seq, 'audit_seq follows the commit order');
      assert.match(first.data.emitido_em_utc, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      firstIds.push(first.id, second.id);
    } finally {
      await browser.close();
      await other.close();
    }
  });

  test('the stream is served as text/event-stream that nothing buffers', async () => {
    const client = new Client(env().scheduler.url);
    try {
      const response = await client.request({ path: '/eventos', method: 'GET' });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/event-stream/);
      assert.match(String(response.headers['cache-control']), /no-cache/);
      assert.equal(response.headers['x-accel-buffering'], 'no');
      assert.equal(response.headers['content-encoding'], undefined);
      response.body.destroy();
    } finally {
      await client.destroy();
    }
  });

  test('when a browser reconnects with Last-Event-ID, then the relay replays what it missed; an id it does not have gets a reset', async () => {
    const { scheduler: s } = env();
    const [first, second] = firstIds;
    assert.ok(first !== undefined && second !== undefined, 'the previous test recorded the ids');
    const resumed = recordEvents({ url: `${s.url}/eventos`, lastEventId: String(first) });
    try {
      await resumed.until((log) => log.some((e) => e.kind === 'event'), 'the replayed event');
      assert.deepEqual(
        payloads(resumed).map((p) => [p.id, p.event]),
        [[second, 'AGENDAMENTO_CANCELADO']],
      );
    } finally {
      await resumed.close();
    }
    for (const lastEventId of ['999999999', String(first - 1), 'not-a-number']) {
      const stale = recordEvents({ url: `${s.url}/eventos`, lastEventId });
      try {
        await stale.until((log) => log.some((e) => e.kind === 'reset'), `reset for ${lastEventId}`);
        assert.equal(payloads(stale).length, 0);
      } finally {
        await stale.close();
      }
    }
  });

  test('when a browser asks the coordinator directly without the secret, then it is refused', async () => {
    const res = await call(env().coordinator.url, 'GET', '/eventos');
    assert.equal(res.status, 401);
  });
});

describe('live events when the coordinator goes away', () => {
  const entry = fileURLToPath(new URL('../../servico-coordenador/src/main.ts', import.meta.url));
  const dataDir = mkdtempSync(join(tmpdir(), 'coord-relay-'));
  const started: ServiceProcess[] = [];
  let scheduler: Scheduler | undefined;
  after(async () => {
    await scheduler?.close();
    for (const p of started) await p.kill();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('when the coordinator dies and comes back, then browsers stay connected, get event: reset, and then live events again', async () => {
    const port = await freePort();
    const env = { COORDINATOR_PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    const first = await spawnService({ entry, port, env });
    started.push(first);
    scheduler = await startScheduler({ coordinatorUrl: first.url });
    const s = scheduler;
    await until(() => s.relay.upstreamConnected, 'the relay is subscribed');
    const browser = recordEvents({ url: `${s.url}/eventos` });
    try {
      await browser.until((log) => log.some((e) => e.kind === 'open'), 'browser connected');
      const scientist = await s.scientist();
      const before = await book(s.url, scientist.token, 40);
      assert.equal(before.status, 201);
      await browser.until((log) => log.some((e) => e.kind === 'event'), 'the first event');

      await first.kill();
      await until(() => !s.relay.upstreamConnected, 'the relay noticed');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(browser.subscription.connected, true, 'the browser stays connected to the scheduler');
      assert.ok(!browser.log.some((e) => e.kind === 'error'), 'the browser saw no error');
      assert.ok(s.lines.some((l) => l.includes('Fluxo de eventos do coordenador indisponível')));

      const second = await spawnService({ entry, port, env });
      started.push(second);
      await browser.until((log) => log.some((e) => e.kind === 'reset'), 'a reset after the reconnection');
      assert.ok(s.lines.some((l) => l.includes('Reconectado ao fluxo de eventos do coordenador')));

      const afterRestart = await book(s.url, scientist.token, 41);
      assert.equal(afterRestart.status, 201);
      await browser.until(
        (log) => log.filter((e) => e.kind === 'event').length >= 2,
        'the event published after the restart',
      );
      const events = payloads(browser);
      assert.deepEqual(
        events.map((e) => e.data.agendamento_id),
        [before.body.id, afterRestart.body.id],
      );
      assert.ok((events[1]?.id ?? 0) > (events[0]?.id ?? 0), 'ids keep growing across the restart');
      const kinds = browser.log.filter((e) => e.kind !== 'open').map((e) => e.kind);
      assert.deepEqual(kinds, ['event', 'reset', 'event']);
    } finally {
      await browser.close();
    }
  });
});

describe('a booking does not depend on the event feed', () => {
  let coordinator: ServiceProcess | undefined;
  let silent: Server | undefined;
  const schedulers: Scheduler[] = [];
  before(async () => {
    coordinator = await startCoordinatorProcess();
  });
  after(async () => {
    for (const s of schedulers) await s.close();
    silent?.closeAllConnections();
    await new Promise((resolve) => (silent ? silent.close(resolve) : resolve(undefined)));
    await coordinator?.stop();
  });

  const scenario = async (eventsBaseUrl: string, publishTimeoutMs: number) => {
    assert.ok(coordinator);
    const s = await startScheduler({ coordinatorUrl: coordinator.url, eventsBaseUrl, publishTimeoutMs });
    schedulers.push(s);
    const scientist = await s.scientist();
    const t0 = performance.now();
    const created = await book(s.url, scientist.token, 60 + schedulers.length * 2);
    const bookingMs = performance.now() - t0;
    assert.equal(created.status, 201, created.text);
    const t1 = performance.now();
    const cancelled = await cancel(s.url, scientist.token, created.body.id);
    const cancelMs = performance.now() - t1;
    assert.equal(cancelled.status, 200);
    const warnings = s.lines.filter(
      (l) => l.startsWith('WARNING:') && l.includes('Falha ao publicar o evento'),
    );
    assert.equal(warnings.length, 2, s.lines.join('\n'));
    assert.ok(warnings[0]?.includes(`AGENDAMENTO_CRIADO do agendamento ${created.body.id}`));
    assert.ok(warnings[1]?.includes(`AGENDAMENTO_CANCELADO do agendamento ${created.body.id}`));
    return { bookingMs, cancelMs, warnings };
  };

  test('when the event endpoint is down, then the booking is still 201 and cancel 200, with a warning', async () => {
    const closedPort = await freePort();
    const { bookingMs } = await scenario(`http://127.0.0.1:${closedPort}`, 300);
    assert.ok(bookingMs < 2000, `booking took ${bookingMs} ms`);
  });

  test('when the event endpoint hangs, then the booking waits at most the publish timeout and is still 201', async () => {
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const { bookingMs, cancelMs, warnings } = await scenario(`http://127.0.0.1:${port}`, 200);
    assert.ok(bookingMs >= 190 && bookingMs < 1500, `booking took ${bookingMs} ms`);
    assert.ok(cancelMs < 1500, `cancel took ${cancelMs} ms`);
    assert.match(warnings[0] ?? '', /no answer within 200 ms/);
  });
});

describe('scheduler shutdown with browsers connected', () => {
  test('when the app closes, then open event streams end and the close is prompt', async () => {
    const coordinator = await startCoordinatorProcess();
    try {
      const s = await startScheduler({ coordinatorUrl: coordinator.url });
      await until(() => s.relay.upstreamConnected, 'the relay is subscribed');
      const browsers = [recordEvents({ url: `${s.url}/eventos` }), recordEvents({ url: `${s.url}/eventos` })];
      for (const b of browsers) await b.until((log) => log.some((e) => e.kind === 'open'), 'connected');
      const t0 = performance.now();
      await s.close();
      const took = performance.now() - t0;
      assert.ok(took < 2000, `close took ${took} ms`);
      for (const b of browsers) {
        await b.until((log) => log.some((e) => e.kind === 'error'), 'the stream ended');
        await b.close();
      }
    } finally {
      await coordinator.stop();
    }
  });
});
