import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { createEventPublisher } from './publisher.js';
import { recordEvents } from './test-support.js';
import {
  ALL_EVENT_TYPES,
  BOOKING_EVENT_TYPES,
  EVENT_STATUS,
  isBookingEventType,
  isSctecEventType,
  isWaitlistEventType,
  WAITLIST_EVENT_TYPES,
  type BookingEventData,
  type BookingEventType,
  type SctecEventType,
  type WaitlistEventData,
} from './events.js';
import type { EventPublisher } from './publisher.js';

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** A raw HTTP server whose n-th request (1-based) is answered by `handler`. */
async function serverWith(
  handler: Handler,
): Promise<{ url: string; requests: IncomingMessage[]; close: () => Promise<void> }> {
  const requests: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const sse = (res: ServerResponse) =>
  res.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders();
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('subscribeEvents', () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers.reverse()) await close();
  });

  test('when the stream arrives in awkward chunks (split CRLF, split UTF-8, comments), then every event is whole', async () => {
    const wire = Buffer.from(
      ': hello\r\n\r\nid: 1\r\nevent: AGENDAMENTO_CRIADO\r\ndata: {"t":"Hubble ☃"}\r\n\r\n' +
        'id: 2\r\nevent: AGENDAMENTO_CANCELADO\r\ndata: line1\r\ndata: line2\r\n\r\n',
    );
    const server = await serverWith((_req, res) => {
      sse(res);
      void (async () => {
        // Cut at every 3rd byte: through CRLFs and through the multi-byte snowman.
        for (let i = 0; i < wire.length; i += 3) {
          res.write(wire.subarray(i, i + 3));
          await tick(1);
        }
      })();
    });
    closers.push(() => server.close());
    const sub = recordEvents({ url: `${server.url}/eventos` });
    closers.push(() => sub.close());
    await sub.until((log) => log.filter((e) => e.kind === 'event').length === 2, 'two events');
    assert.deepEqual(sub.messages(), [
      { id: '1', event: 'AGENDAMENTO_CRIADO', data: '{"t":"Hubble ☃"}' },
      { id: '2', event: 'AGENDAMENTO_CANCELADO', data: 'line1\nline2' },
    ]);
    assert.equal(sub.subscription.lastEventId, '2');
    assert.equal(server.requests[0]?.headers.accept, 'text/event-stream');
  });

  test('when the server ends the stream, then the client reconnects and sends Last-Event-ID', async () => {
    const server = await serverWith((_req, res, n) => {
      sse(res);
      if (n === 1) res.end('id: 10\ndata: a\n\nid: 11\ndata: b\n\n');
      else res.write('id: 12\ndata: c\n\n');
    });
    closers.push(() => server.close());
    const sub = recordEvents({ url: server.url, retry: { initialMs: 10, maxMs: 50 } });
    closers.push(() => sub.close());
    await sub.until((log) => log.some((e) => e.message?.id === '12'), 'event 12');
    assert.equal(server.requests[0]?.headers['last-event-id'], undefined);
    assert.equal(server.requests[1]?.headers['last-event-id'], '11');
    const opens = sub.log.filter((e) => e.kind === 'open').map((e) => e.reconnected);
    assert.deepEqual(opens, [false, true]);
    assert.deepEqual(
      sub.messages().map((m) => m.data),
      ['a', 'b', 'c'],
    );
  });

  test('when a lastEventId is given, then the first request already sends it', async () => {
    const server = await serverWith((_req, res) => sse(res));
    closers.push(() => server.close());
    const sub = recordEvents({ url: server.url, lastEventId: '77', secret: 's3cret-s3cret' });
    closers.push(() => sub.close());
    await sub.until((log) => log.some((e) => e.kind === 'open'), 'open');
    const first = server.requests[0];
    assert.ok(first);
    assert.equal(first.headers['last-event-id'], '77');
    assert.equal(first.headers.authorization, 'Bearer s3cret-s3cret');
  });

  test('when the server fails (500, 401, not SSE), then the client keeps retrying with growing delays', async () => {
    const at: number[] = [];
    const server = await serverWith((_req, res, n) => {
      at.push(performance.now());
      if (n === 1) res.writeHead(500).end('boom');
      else if (n === 2) res.writeHead(401, { 'content-type': 'application/problem+json' }).end('{}');
      else if (n === 3) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else {
        sse(res);
        res.write('id: 1\ndata: finally\n\n');
      }
    });
    closers.push(() => server.close());
    const sub = recordEvents({ url: server.url, retry: { initialMs: 40, maxMs: 1000 } });
    closers.push(() => sub.close());
    await sub.until((log) => log.some((e) => e.kind === 'event'), 'the event after three failures');
    const errors = sub.log.filter((e) => e.kind === 'error').map((e) => e.error?.message ?? '');
    assert.equal(errors.length, 3);
    assert.match(errors[0] ?? '', /500/);
    assert.match(errors[1] ?? '', /401/);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    // 40, 80, 160 ms ± 20 % jitter.
    assert.ok((gaps[0] ?? 0) >= 30 && (gaps[2] ?? 0) >= 120, `gaps ${gaps.join(', ')}`);
    assert.equal(sub.log.filter((e) => e.kind === 'open').at(-1)?.reconnected, true);
  });

  test('when the server sends event: reset, then onReset is called, not onEvent', async () => {
    const server = await serverWith((_req, res) => {
      sse(res);
      res.write('event: reset\ndata: {"motivo":"too-old"}\n\nid: 5\nevent: AGENDAMENTO_CRIADO\ndata: {}\n\n');
    });
    closers.push(() => server.close());
    const sub = recordEvents({ url: server.url });
    closers.push(() => sub.close());
    await sub.until((log) => log.some((e) => e.kind === 'event'), 'the event after the reset');
    assert.deepEqual(
      sub.log
        .filter((e) => e.kind === 'reset' || e.kind === 'event')
        .map((e) => `${e.kind}:${e.message?.event ?? ''}`),
      ['reset:reset', 'event:AGENDAMENTO_CRIADO'],
    );
  });

  test('when the connection goes silent beyond idleTimeoutMs, then the client drops it and reconnects', async () => {
    const server = await serverWith((_req, res) => {
      sse(res);
      res.write(': hi\n\n');
    });
    closers.push(() => server.close());
    const sub = recordEvents({ url: server.url, idleTimeoutMs: 150, retry: { initialMs: 10, maxMs: 20 } });
    closers.push(() => sub.close());
    await sub.until((log) => log.filter((e) => e.kind === 'open').length >= 2, 'a second connection');
  });

  test('when closed, then it stops reconnecting', async () => {
    const server = await serverWith((_req, res) => {
      sse(res);
      res.end('data: x\n\n');
    });
    closers.push(() => server.close());
    const sub = recordEvents({ url: server.url, retry: { initialMs: 10, maxMs: 10 } });
    await sub.until((log) => log.some((e) => e.kind === 'event'), 'an event');
    await sub.close();
    const seen = server.requests.length;
    await tick(100);
    assert.equal(server.requests.length, seen);
    assert.equal(sub.subscription.connected, false);
  });
});

describe('createEventPublisher', () => {
  const dados: BookingEventData = {
    agendamento_id: 1,
    telescopio_id: 'Hubble-Acad',
    cientista_id: 7,
    horario_inicio_utc: '2025-12-01T03:00:00Z',
    horario_fim_utc: '2025-12-01T03:05:00Z',
    status: 'ativo',
    audit_seq: 3,
  };

  test('when the coordinator accepts, then the result is ok with its id, and the request is the contract', async () => {
    let body = '';
    const server = await serverWith((req, res) => {
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{"id":42}'));
    });
    const publisher = createEventPublisher({ baseUrl: server.url, secret: 'segredo-123', timeoutMs: 1000 });
    try {
      const result = await publisher.publish('AGENDAMENTO_CRIADO', dados, '4bf92f3577b34da6a3ce929d0e0e4736');
      assert.deepEqual(result, { ok: true, id: 42 });
      const req = server.requests[0];
      assert.equal(req?.method, 'POST');
      assert.equal(req.url, '/eventos');
      assert.equal(req.headers.authorization, 'Bearer segredo-123');
      assert.match(String(req.headers.traceparent), /^00-4bf92f3577b34da6a3ce929d0e0e4736-/);
      assert.deepEqual(JSON.parse(body), { tipo: 'AGENDAMENTO_CRIADO', dados });
    } finally {
      await publisher.close();
      await server.close();
    }
  });

  test('when a waitlist event is published, then the request carries its tipo and dados as they are', async () => {
    const espera: WaitlistEventData = {
      espera_id: 9,
      telescopio_id: 'Hubble-Acad',
      cientista_id: 8,
      horario_inicio_utc: '2025-12-01T03:00:00Z',
      horario_fim_utc: '2025-12-01T03:05:00Z',
      status: 'oferecida',
      oferta_expira_em_utc: '2025-12-01T02:58:00.000Z',
      audit_seq: 12,
    };
    const bodies: string[] = [];
    const server = await serverWith((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(202, { 'content-type': 'application/json' }).end(`{"id":${bodies.length}}`);
      });
    });
    const publisher = createEventPublisher({ baseUrl: server.url, timeoutMs: 1000 });
    try {
      assert.deepEqual(await publisher.publish('ESPERA_OFERECIDA', espera), { ok: true, id: 1 });
      const expired = { ...espera, status: 'expirada' as const, oferta_expira_em_utc: null };
      assert.deepEqual(await publisher.publish('ESPERA_EXPIRADA', expired), { ok: true, id: 2 });
      assert.deepEqual(
        bodies.map((b) => JSON.parse(b) as unknown),
        [
          { tipo: 'ESPERA_OFERECIDA', dados: espera },
          { tipo: 'ESPERA_EXPIRADA', dados: expired },
        ],
      );
    } finally {
      await publisher.close();
      await server.close();
    }
  });

  test('the type of dados follows tipo (checked by tsc)', () => {
    // Never called: these lines are for the compiler. The booking service passes a tipo typed as
    // the union of booking types, which must keep compiling.
    const typed = (
      publisher: Pick<EventPublisher, 'publish'>,
      tipo: BookingEventType,
      w: WaitlistEventData,
    ) => [
      publisher.publish(tipo, dados, 'trace'),
      publisher.publish('ESPERA_EXPIRADA', w),
      // @ts-expect-error booking dados under a waitlist tipo
      publisher.publish('ESPERA_OFERECIDA', dados),
      // @ts-expect-error waitlist dados under a booking tipo
      publisher.publish('AGENDAMENTO_CRIADO', w),
      // @ts-expect-error not an event type
      publisher.publish('ESPERA_ACEITA', w),
    ];
    assert.equal(typeof typed, 'function');
  });

  test('when the coordinator refuses, then the result says why', async () => {
    const server = await serverWith((_req, res) =>
      res.writeHead(401, { 'content-type': 'application/problem+json' }).end('{"detail":"wrong secret"}'),
    );
    const publisher = createEventPublisher({ baseUrl: server.url, timeoutMs: 1000 });
    try {
      assert.deepEqual(await publisher.publish('AGENDAMENTO_CANCELADO', { ...dados, status: 'cancelado' }), {
        ok: false,
        status: 401,
        reason: 'status 401: wrong secret',
      });
    } finally {
      await publisher.close();
      await server.close();
    }
  });

  test('when the coordinator is down, then publish resolves failed at once', async () => {
    const server = await serverWith(() => undefined);
    const url = server.url;
    await server.close();
    const publisher = createEventPublisher({ baseUrl: url, timeoutMs: 2000 });
    const started = performance.now();
    const result = await publisher.publish('AGENDAMENTO_CRIADO', dados);
    assert.ok(!result.ok);
    assert.match(result.reason, /ECONNREFUSED/);
    assert.ok(performance.now() - started < 1000);
    await publisher.close();
  });

  test('when the coordinator never answers, then publish resolves failed within its timeout', async () => {
    const server = await serverWith(() => undefined);
    const publisher = createEventPublisher({ baseUrl: server.url, timeoutMs: 150 });
    try {
      const started = performance.now();
      const results = await Promise.all([1, 2, 3].map(() => publisher.publish('AGENDAMENTO_CRIADO', dados)));
      const took = performance.now() - started;
      for (const result of results)
        assert.deepEqual(result, { ok: false, reason: 'no answer within 150 ms' });
      assert.ok(took >= 140 && took < 1000, `took ${took} ms`);
    } finally {
      await server.close();
      await publisher.close();
    }
  });
});

describe('event types', () => {
  test('every type is a booking or a waitlist type, with the status its dados must carry', () => {
    assert.deepEqual(ALL_EVENT_TYPES, [...BOOKING_EVENT_TYPES, ...WAITLIST_EVENT_TYPES]);
    assert.deepEqual(WAITLIST_EVENT_TYPES, ['ESPERA_OFERECIDA', 'ESPERA_EXPIRADA']);
    const statuses: Record<SctecEventType, string> = EVENT_STATUS;
    assert.deepEqual(statuses, {
      AGENDAMENTO_CRIADO: 'ativo',
      AGENDAMENTO_CANCELADO: 'cancelado',
      ESPERA_OFERECIDA: 'oferecida',
      ESPERA_EXPIRADA: 'expirada',
    });
    for (const tipo of ALL_EVENT_TYPES) {
      assert.ok(isSctecEventType(tipo), tipo);
      assert.notEqual(isBookingEventType(tipo), isWaitlistEventType(tipo), tipo);
    }
    for (const other of ['ESPERA_ACEITA', 'reset', '', 'agendamento_criado']) {
      assert.ok(!isSctecEventType(other), other);
      assert.ok(!isBookingEventType(other) && !isWaitlistEventType(other), other);
    }
  });
});
