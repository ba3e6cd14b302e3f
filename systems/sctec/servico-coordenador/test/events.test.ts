/**
 * The coordinator's real-time booking and waitlist events over real HTTP: POST /eventos (strict contract,
 * secret), the GET /eventos Server-Sent Events stream (wire format, ids, Last-Event-ID replay and
 * reset, heartbeats, clean-up) and a shutdown that open streams do not hold up.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import {
  ALL_EVENT_TYPES,
  recordEvents,
  type BookingEventData,
  type BookingEventPayload,
  type WaitlistEventData,
  type WaitlistEventPayload,
} from '@dslab/event-client';
import { call, freePort, spawnService } from '@dslab/testing';
import { Client } from 'undici';
import { sleep, startCoordinator, until } from './helpers.js';

const SECRET = 'segredo-do-coordenador';
const PROBLEM = /^application\/problem\+json/;

const dados = (id: number, status: 'ativo' | 'cancelado' = 'ativo'): BookingEventData => ({
  agendamento_id: id,
  telescopio_id: 'Hubble-Acad',
  cientista_id: 7,
  horario_inicio_utc: '2025-12-01T03:00:00Z',
  horario_fim_utc: '2025-12-01T03:05:00Z',
  status,
  audit_seq: id * 2,
});

/** A waitlist entry's `dados`: offered until 03:00:00 minus 2 min, or expired (deadline kept). */
const espera = (id: number, status: 'oferecida' | 'expirada' = 'oferecida'): WaitlistEventData => ({
  espera_id: id,
  telescopio_id: 'Hubble-Acad',
  cientista_id: 8,
  horario_inicio_utc: '2025-12-01T03:00:00Z',
  horario_fim_utc: '2025-12-01T03:05:00Z',
  status,
  oferta_expira_em_utc: '2025-12-01T02:58:00.000Z',
  audit_seq: id * 2 + 1,
});

async function startEventsCoordinator(
  options: { secret?: string; bufferSize?: number; heartbeatMs?: number } = {},
) {
  const coordinator = await startCoordinator({
    secret: options.secret,
    eventBufferSize: options.bufferSize ?? 1000,
    eventHeartbeatMs: options.heartbeatMs ?? 15_000,
    now: () => Date.parse('2025-10-26T18:00:05.123Z'),
  });
  const auth = options.secret === undefined ? {} : { authorization: `Bearer ${options.secret}` };
  return {
    url: coordinator.url,
    app: coordinator.app,
    messages: () => coordinator.messages(),
    publish: (body: unknown, headers: Record<string, string> = auth) =>
      call<{ id: number; code?: string; errors?: { field: string }[] }>(coordinator.url, 'POST', '/eventos', {
        body,
        headers,
      }),
    auth,
    close: () => coordinator.close(),
  };
}

/** GET /eventos read as raw text, so the wire format itself is checked. */
async function openRaw(url: string, headers: Record<string, string> = {}) {
  // A connection of its own, destroyed on close (a pooled spare socket would delay server closes).
  const client = new Client(url);
  const response = await client.request({ path: '/eventos', method: 'GET', headers });
  let text = '';
  let ended = false;
  const reading = (async () => {
    try {
      for await (const chunk of response.body) text += (chunk as Buffer).toString('utf8');
    } catch {
      // destroyed by close()
    }
    ended = true;
  })();
  return {
    status: response.statusCode,
    headers: response.headers,
    text: () => text,
    ended: () => ended,
    async waitFor(pattern: RegExp | string, what = String(pattern)) {
      await until(() => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)), what);
    },
    async close() {
      response.body.destroy();
      await reading;
      await client.destroy();
    },
  };
}

describe('servico-coordenador events: POST /eventos and the SSE stream', () => {
  let c: Awaited<ReturnType<typeof startEventsCoordinator>>;
  before(async () => {
    c = await startEventsCoordinator({ bufferSize: 3, heartbeatMs: 100 });
  });
  after(() => c.close());

  test('when an event is posted, then 202 with its id, and every subscriber gets it in the SSE wire format', async () => {
    const a = await openRaw(c.url);
    const b = await openRaw(c.url);
    assert.equal(a.status, 200);
    assert.match(String(a.headers['content-type']), /^text\/event-stream/);
    assert.match(String(a.headers['cache-control']), /no-cache/);
    assert.equal(a.headers.connection, 'keep-alive');
    assert.equal(a.headers['x-accel-buffering'], 'no');
    assert.ok(a.headers['x-request-id'], 'the request id survives the hijacked reply');
    assert.equal(a.headers['content-length'], undefined);
    await a.waitFor('retry:');
    await b.waitFor('retry:');

    const res = await c.publish({ tipo: 'AGENDAMENTO_CRIADO', dados: dados(1) });
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { id: 1 });
    const payload: BookingEventPayload = {
      tipo: 'AGENDAMENTO_CRIADO',
      ...dados(1),
      emitido_em_utc: '2025-10-26T18:00:05.123Z',
    };
    const frame = `id: 1\nevent: AGENDAMENTO_CRIADO\ndata: ${JSON.stringify(payload)}\n\n`;
    await a.waitFor(frame, 'event 1 on a');
    await b.waitFor(frame, 'event 1 on b');
    assert.ok(c.messages().includes('Evento AGENDAMENTO_CRIADO recebido e disseminado para 2 assinantes'));

    const second = await c.publish({ tipo: 'AGENDAMENTO_CANCELADO', dados: dados(1, 'cancelado') });
    assert.deepEqual(second.body, { id: 2 });
    await a.waitFor(
      /id: 2\nevent: AGENDAMENTO_CANCELADO\ndata: \{"tipo":"AGENDAMENTO_CANCELADO","agendamento_id":1,.*"status":"cancelado"/,
    );
    assert.ok(a.text().indexOf('id: 1\n') < a.text().indexOf('id: 2\n'));
    await a.close();
    await b.close();
  });

  test('when a stream stays idle, then a ": ping" comment arrives every heartbeat', async () => {
    const s = await openRaw(c.url);
    await s.waitFor(/: ping\n\n[^]*: ping\n\n/, 'two pings');
    await s.close();
  });

  test('when subscribers disconnect, then they are dropped (the gauge returns to 0)', async () => {
    const gauge = async () => {
      const metrics = await call(c.url, 'GET', '/metrics');
      return Number(/^coordinator_event_subscribers\{[^}]*\} (\d+)$/m.exec(metrics.text)?.[1]);
    };
    const streams = await Promise.all([openRaw(c.url), openRaw(c.url), openRaw(c.url)]);
    for (const s of streams) await s.waitFor('retry:');
    assert.equal(await gauge(), 3);
    for (const s of streams) await s.close();
    for (let i = 0; i < 100 && (await gauge()) !== 0; i++) await sleep(10);
    assert.equal(await gauge(), 0);
    assert.ok(c.messages().some((m) => m.startsWith('Assinante desconectado do fluxo de eventos')));
  });

  test('when a subscriber resumes with Last-Event-ID, then it gets what it missed; an id older than the buffer gets a reset', async () => {
    // The buffer holds 3 events. Publish until ids 1..6 exist: 4, 5, 6 are buffered.
    let last = 0;
    while (last < 6)
      last = (await c.publish({ tipo: 'AGENDAMENTO_CRIADO', dados: dados(100 + last) })).body.id;

    const ids = async (lastEventId: string) => {
      const sub = recordEvents({ url: `${c.url}/eventos`, lastEventId });
      await sub.until((log) => log.some((e) => e.kind === 'open'), 'open');
      await sleep(50);
      await sub.close();
      return sub.messages().map((m) => (m.event === 'reset' ? `reset:${m.data}` : m.id));
    };
    assert.deepEqual(await ids('4'), ['5', '6']);
    assert.deepEqual(await ids('3'), ['4', '5', '6']);
    assert.deepEqual(await ids('6'), []);
    assert.deepEqual(await ids('2'), ['reset:{"motivo":"too-old"}']);
    assert.deepEqual(await ids('999'), ['reset:{"motivo":"unknown-id"}']);
    assert.deepEqual(await ids('abc'), ['reset:{"motivo":"malformed-id"}']);

    // After a replay the stream goes on live.
    const sub = recordEvents({ url: `${c.url}/eventos`, lastEventId: '5' });
    await sub.until((log) => log.some((e) => e.message?.id === '6'), 'replayed 6');
    const next = await c.publish({ tipo: 'AGENDAMENTO_CANCELADO', dados: dados(105, 'cancelado') });
    await sub.until((log) => log.some((e) => e.message?.id === String(next.body.id)), 'live 7');
    await sub.close();
    const payload = JSON.parse(sub.messages().at(-1)?.data ?? '{}') as BookingEventPayload;
    assert.equal(payload.tipo, 'AGENDAMENTO_CANCELADO');
    assert.equal(payload.agendamento_id, 105);
  });

  test('when POST /eventos bodies are wrong, then 4xx problem+json naming the field, and nothing is published', async () => {
    const before = (await c.publish({ tipo: 'AGENDAMENTO_CRIADO', dados: dados(1) })).body.id;
    const good = { tipo: 'AGENDAMENTO_CRIADO', dados: dados(1) };
    const cases: [string, unknown, string][] = [
      ['unknown tipo', { ...good, tipo: 'AGENDAMENTO_ALTERADO' }, 'body.tipo'],
      ['no tipo', { dados: dados(1) }, 'body.tipo'],
      ['no dados', { tipo: 'AGENDAMENTO_CRIADO' }, 'body.dados'],
      ['extra top-level field', { ...good, extra: 1 }, 'body.extra'],
      ['extra dados field', { ...good, dados: { ...dados(1), nome: 'x' } }, 'body.dados.nome'],
      ['id as text', { ...good, dados: { ...dados(1), agendamento_id: '1' } }, 'body.dados.agendamento_id'],
      [
        'fractional id',
        { ...good, dados: { ...dados(1), agendamento_id: 1.5 } },
        'body.dados.agendamento_id',
      ],
      ['id 0', { ...good, dados: { ...dados(1), agendamento_id: 0 } }, 'body.dados.agendamento_id'],
      ['no audit_seq', { ...good, dados: { ...dados(1), audit_seq: undefined } }, 'body.dados.audit_seq'],
      ['empty telescope', { ...good, dados: { ...dados(1), telescopio_id: '' } }, 'body.dados.telescopio_id'],
      ['bad status', { ...good, dados: { ...dados(1), status: 'pendente' } }, 'body.dados.status'],
      ['status against tipo', { ...good, dados: dados(1, 'cancelado') }, 'body.dados.status'],
      [
        'local time',
        { ...good, dados: { ...dados(1), horario_inicio_utc: '2025-12-01T03:00:00' } },
        'body.dados.horario_inicio_utc',
      ],
      [
        'offset time',
        { ...good, dados: { ...dados(1), horario_fim_utc: '2025-12-01T03:05:00+00:00' } },
        'body.dados.horario_fim_utc',
      ],
      [
        'not a real day',
        { ...good, dados: { ...dados(1), horario_inicio_utc: '2025-02-30T03:00:00Z' } },
        'body.dados.horario_inicio_utc',
      ],
      [
        'end before start',
        { ...good, dados: { ...dados(1), horario_fim_utc: '2025-12-01T02:55:00Z' } },
        'body.dados.horario_fim_utc',
      ],
      ['an array', [good], 'body'],
    ];
    for (const [what, body, field] of cases) {
      const res = await c.publish(body);
      assert.equal(res.status, 400, what);
      assert.match(String(res.headers['content-type']), PROBLEM, what);
      assert.equal(res.body.code, 'validation-failed', what);
      assert.ok(
        res.body.errors?.some((e) => e.field === field),
        `${what}: ${JSON.stringify(res.body.errors)}`,
      );
    }
    const raw = (rawBody: string, contentType = 'application/json') =>
      call<{ code: string }>(c.url, 'POST', '/eventos', {
        rawBody,
        headers: { 'content-type': contentType },
      });
    assert.equal((await raw('{"tipo":')).body.code, 'malformed-json');
    assert.equal((await raw('')).status, 400);
    assert.equal((await raw('tipo=AGENDAMENTO_CRIADO', 'application/x-www-form-urlencoded')).status, 415);
    assert.equal((await raw(JSON.stringify({ ...good, pad: 'x'.repeat(5000) }))).status, 413);
    const after = (await c.publish({ tipo: 'AGENDAMENTO_CRIADO', dados: dados(1) })).body.id;
    assert.equal(after, before + 1, 'no bad body got an id');
  });

  test('when waitlist events are posted, then 202 with their ids, and every subscriber gets them with their data like booking events', async () => {
    const a = await openRaw(c.url);
    const b = recordEvents({ url: `${c.url}/eventos` });
    await a.waitFor('retry:');
    await b.until((log) => log.some((e) => e.kind === 'open'), 'b is connected');

    const offered = await c.publish({ tipo: 'ESPERA_OFERECIDA', dados: espera(31) });
    assert.equal(offered.status, 202);
    const expired = await c.publish({
      tipo: 'ESPERA_EXPIRADA',
      dados: { ...espera(31, 'expirada'), audit_seq: 70 },
    });
    assert.equal(expired.status, 202);
    // An expiry may also go out without the lapsed deadline.
    const bare = await c.publish({
      tipo: 'ESPERA_EXPIRADA',
      dados: { ...espera(32, 'expirada'), oferta_expira_em_utc: null },
    });
    assert.equal(bare.status, 202);
    assert.deepEqual(
      [expired.body.id, bare.body.id],
      [offered.body.id + 1, offered.body.id + 2],
      'one counter for every tipo',
    );

    const payload: WaitlistEventPayload = {
      tipo: 'ESPERA_OFERECIDA',
      ...espera(31),
      emitido_em_utc: '2025-10-26T18:00:05.123Z',
    };
    await a.waitFor(
      `id: ${offered.body.id}\nevent: ESPERA_OFERECIDA\ndata: ${JSON.stringify(payload)}\n\n`,
      'the offer on a',
    );
    await b.until((log) => log.filter((e) => e.kind === 'event').length === 3, 'three events on b');
    await b.close();
    assert.deepEqual(
      b.messages().map((m) => [m.id, m.event, JSON.parse(m.data) as WaitlistEventPayload]),
      [
        [String(offered.body.id), 'ESPERA_OFERECIDA', payload],
        [
          String(expired.body.id),
          'ESPERA_EXPIRADA',
          { ...payload, tipo: 'ESPERA_EXPIRADA', status: 'expirada', audit_seq: 70 },
        ],
        [
          String(bare.body.id),
          'ESPERA_EXPIRADA',
          {
            ...payload,
            tipo: 'ESPERA_EXPIRADA',
            espera_id: 32,
            status: 'expirada',
            oferta_expira_em_utc: null,
            audit_seq: 65,
          },
        ],
      ],
    );
    await a.close();
    assert.ok(c.messages().includes('Evento ESPERA_OFERECIDA recebido e disseminado para 2 assinantes'));
    assert.ok(c.messages().includes('Evento ESPERA_EXPIRADA recebido e disseminado para 2 assinantes'));

    // The counter has a series for every tipo, the waitlist ones counted like the others.
    const metrics = (await call(c.url, 'GET', '/metrics')).text;
    const count = (tipo: string) =>
      Number(
        new RegExp(`^coordinator_events_total\\{[^}]*tipo="${tipo}"[^}]*\\} (\\d+)$`, 'm').exec(metrics)?.[1],
      );
    for (const tipo of ALL_EVENT_TYPES) assert.ok(Number.isInteger(count(tipo)), `a series for ${tipo}`);
    assert.ok(count('ESPERA_OFERECIDA') >= 1 && count('ESPERA_EXPIRADA') >= 2, metrics);
  });

  test('when a subscriber resumes with Last-Event-ID after waitlist events, then they are replayed with their data', async () => {
    // The buffer holds 3 events: a booking event, then the two waitlist events after it.
    const seen = (await c.publish({ tipo: 'AGENDAMENTO_CRIADO', dados: dados(200) })).body.id;
    const offered = await c.publish({ tipo: 'ESPERA_OFERECIDA', dados: espera(40) });
    const expired = await c.publish({ tipo: 'ESPERA_EXPIRADA', dados: espera(40, 'expirada') });

    const sub = recordEvents({ url: `${c.url}/eventos`, lastEventId: String(seen) });
    await sub.until((log) => log.filter((e) => e.kind === 'event').length === 2, 'the two missed events');
    await sub.close();
    assert.ok(!sub.log.some((e) => e.kind === 'reset'), 'no reset');
    const replayed = sub
      .messages()
      .map((m) => ({ id: m.id, event: m.event, dados: JSON.parse(m.data) as unknown }));
    assert.deepEqual(replayed, [
      {
        id: String(offered.body.id),
        event: 'ESPERA_OFERECIDA',
        dados: { tipo: 'ESPERA_OFERECIDA', ...espera(40), emitido_em_utc: '2025-10-26T18:00:05.123Z' },
      },
      {
        id: String(expired.body.id),
        event: 'ESPERA_EXPIRADA',
        dados: {
          tipo: 'ESPERA_EXPIRADA',
          ...espera(40, 'expirada'),
          emitido_em_utc: '2025-10-26T18:00:05.123Z',
        },
      },
    ]);
  });

  test('when waitlist event bodies are wrong, then 400 problem+json naming the field (only the errors of the shape tipo names), and nothing is published', async () => {
    const before = (await c.publish({ tipo: 'ESPERA_OFERECIDA', dados: espera(1) })).body.id;
    const good = { tipo: 'ESPERA_OFERECIDA', dados: espera(1) };
    const expired = { tipo: 'ESPERA_EXPIRADA', dados: espera(1, 'expirada') };
    const { oferta_expira_em_utc: _, ...withoutOffer } = espera(1);
    const cases: [string, unknown, string][] = [
      ['OFERECIDA with status expirada', { ...good, dados: espera(1, 'expirada') }, 'body.dados.status'],
      ['EXPIRADA with status oferecida', { ...expired, dados: espera(1, 'oferecida') }, 'body.dados.status'],
      ['unknown status', { ...good, dados: { ...espera(1), status: 'aceita' } }, 'body.dados.status'],
      [
        'OFERECIDA without oferta_expira_em_utc',
        { ...good, dados: withoutOffer },
        'body.dados.oferta_expira_em_utc',
      ],
      [
        'OFERECIDA with a null oferta_expira_em_utc',
        { ...good, dados: { ...espera(1), oferta_expira_em_utc: null } },
        'body.dados.oferta_expira_em_utc',
      ],
      [
        'oferta_expira_em_utc not a real instant',
        { ...good, dados: { ...espera(1), oferta_expira_em_utc: '2025-12-01T24:10:00Z' } },
        'body.dados.oferta_expira_em_utc',
      ],
      [
        'oferta_expira_em_utc in local time',
        { ...expired, dados: { ...espera(1, 'expirada'), oferta_expira_em_utc: '2025-12-01T02:58:00' } },
        'body.dados.oferta_expira_em_utc',
      ],
      ['unknown tipo', { ...good, tipo: 'ESPERA_ACEITA' }, 'body.tipo'],
      ['tipo not a string', { ...good, tipo: 7 }, 'body.tipo'],
      ['extra top-level field', { ...good, extra: 1 }, 'body.extra'],
      ['extra dados field', { ...good, dados: { ...espera(1), nome: 'x' } }, 'body.dados.nome'],
      ['espera_id 0', { ...good, dados: { ...espera(1), espera_id: 0 } }, 'body.dados.espera_id'],
      ['no audit_seq', { ...good, dados: { ...espera(1), audit_seq: undefined } }, 'body.dados.audit_seq'],
      ['booking dados under a waitlist tipo', { ...good, dados: dados(1) }, 'body.dados.espera_id'],
      [
        'waitlist dados under a booking tipo',
        { tipo: 'AGENDAMENTO_CRIADO', dados: espera(1) },
        'body.dados.agendamento_id',
      ],
      [
        'end before start',
        { ...good, dados: { ...espera(1), horario_fim_utc: '2025-12-01T02:55:00Z' } },
        'body.dados.horario_fim_utc',
      ],
    ];
    for (const [what, body, field] of cases) {
      const res = await c.publish(body);
      assert.equal(res.status, 400, what);
      assert.match(String(res.headers['content-type']), PROBLEM, what);
      assert.equal(res.body.code, 'validation-failed', what);
      const errors = res.body.errors ?? [];
      assert.ok(
        errors.some((e) => e.field === field),
        `${what}: ${JSON.stringify(errors)}`,
      );
      // Only the shape `tipo` names is judged: no "anyOf" noise, no fields of the other shape.
      assert.ok(!errors.some((e) => e.field === 'body'), `${what}: ${JSON.stringify(errors)}`);
      const bookingShape =
        JSON.stringify(body).includes('AGENDAMENTO_') || JSON.stringify(body).includes('agendamento_id');
      if (!bookingShape)
        assert.ok(
          !errors.some((e) => e.field === 'body.dados.agendamento_id'),
          `${what}: ${JSON.stringify(errors)}`,
        );
    }
    const unknown = await call<{ errors: { field: string; message: string }[] }>(c.url, 'POST', '/eventos', {
      body: { ...good, tipo: 'ESPERA_ACEITA' },
    });
    assert.deepEqual(unknown.body.errors, [
      {
        field: 'body.tipo',
        message:
          'must be one of "AGENDAMENTO_CRIADO", "AGENDAMENTO_CANCELADO", "ESPERA_OFERECIDA", "ESPERA_EXPIRADA"',
      },
    ]);
    const after = (await c.publish(expired)).body.id;
    assert.equal(after, before + 1, 'no bad body got an id');
  });

  test('when the app closes with open streams, then it closes promptly and the streams end', async () => {
    const other = await startEventsCoordinator();
    const streams = await Promise.all([openRaw(other.url), openRaw(other.url)]);
    for (const s of streams) await s.waitFor('retry:');
    const started = performance.now();
    await other.close();
    const took = performance.now() - started;
    assert.ok(took < 1000, `close took ${took} ms`);
    await until(() => streams.every((s) => s.ended()), 'the streams ended');
  });
});

describe('servico-coordenador events with COORDINATOR_SECRET', () => {
  let c: Awaited<ReturnType<typeof startEventsCoordinator>>;
  before(async () => {
    c = await startEventsCoordinator({ secret: SECRET });
  });
  after(() => c.close());

  test('when the secret is missing or wrong, then POST and GET /eventos answer 401; with it, 202 and 200', async () => {
    const body = { tipo: 'AGENDAMENTO_CRIADO', dados: dados(1) };
    for (const headers of [{}, { authorization: 'Bearer wrong-secret' }, { authorization: SECRET }]) {
      const post = await c.publish(body, headers);
      assert.equal(post.status, 401);
      assert.match(String(post.headers['content-type']), PROBLEM);
      assert.match(String(post.headers['www-authenticate']), /^Bearer/);
      const get = await call(c.url, 'GET', '/eventos', { headers });
      assert.equal(get.status, 401);
    }
    assert.equal((await c.publish(body)).status, 202);
    const s = await openRaw(c.url, c.auth);
    assert.equal(s.status, 200);
    await s.close();
    assert.equal((await call(c.url, 'GET', '/health')).status, 200);
  });
});

describe('servico-coordenador events as a real process', () => {
  const entry = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const dataDir = mkdtempSync(join(tmpdir(), 'coord-events-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('when SIGTERM arrives with a stream open, then it exits promptly; after a restart ids keep growing and an old id gets a reset', async () => {
    const port = await freePort();
    const env = {
      COORDINATOR_PORT: String(port),
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      COORDINATOR_SECRET: SECRET,
    };
    const auth = { authorization: `Bearer ${SECRET}` };
    const first = await spawnService({ entry, port, env });
    let firstId: number;
    try {
      const stream = await openRaw(first.url, auth);
      await stream.waitFor('retry:');
      const res = await call<{ id: number }>(first.url, 'POST', '/eventos', {
        body: { tipo: 'AGENDAMENTO_CRIADO', dados: dados(1) },
        headers: auth,
      });
      firstId = res.body.id;
      await stream.waitFor(`id: ${firstId}\n`);
      const started = performance.now();
      await first.stop();
      const took = performance.now() - started;
      assert.equal(first.child.exitCode, 0, first.output());
      assert.ok(took < 5000, `shutdown took ${took} ms`);
      await until(() => stream.ended(), 'the stream ended');
    } finally {
      await first.kill();
    }

    const second = await spawnService({ entry, port, env });
    try {
      const res = await call<{ id: number }>(second.url, 'POST', '/eventos', {
        body: { tipo: 'AGENDAMENTO_CANCELADO', dados: dados(1, 'cancelado') },
        headers: auth,
      });
      assert.ok(res.body.id > firstId, `${res.body.id} > ${firstId}`);
      const resumed = await openRaw(second.url, { ...auth, 'last-event-id': String(firstId) });
      await resumed.waitFor('event: reset\ndata: {"motivo":"too-old"}\n\n');
      await resumed.close();
    } finally {
      await second.stop();
    }
  });
});
