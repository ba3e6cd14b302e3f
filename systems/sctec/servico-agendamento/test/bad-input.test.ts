import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { call } from '@dslab/testing';
import { futureSlot, withSctec } from '../../test/harness.js';

describe('every bad input gets a 4xx problem+json and writes nothing', () => {
  const env = withSctec({ engine: 'sqlite' });
  let token: string;
  before(async () => {
    token = (await env.sctec.scientist()).token;
  });

  const counts = async () => {
    const db = env.sctec.database.db;
    const [a, s, l] = await Promise.all([
      db
        .selectFrom('agendamentos')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('agendamento_slots')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return [a.n, s.n, l.n];
  };

  const slot = futureSlot(5);
  const past = '2020-01-01T03:00:00Z';
  const cases: [string, { rawBody?: string; body?: unknown; contentType?: string }, number][] = [
    ['malformed JSON', { rawBody: '{"telescopio_id": "Hubble-Acad",' }, 400],
    ['an empty body', { rawBody: '' }, 400],
    ['a JSON array', { rawBody: '[]' }, 400],
    ['a JSON string', { rawBody: '"x"' }, 400],
    [
      'a form body',
      { rawBody: 'telescopio_id=Hubble-Acad', contentType: 'application/x-www-form-urlencoded' },
      415,
    ],
    ['missing horario_inicio_utc', { body: { telescopio_id: 'Hubble-Acad' } }, 400],
    ['missing telescopio_id', { body: { horario_inicio_utc: slot } }, 400],
    [
      'a number as the start',
      { body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: 1764558000000 } },
      400,
    ],
    ['a null telescope', { body: { telescopio_id: null, horario_inicio_utc: slot } }, 400],
    [
      'an unknown field',
      { body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: slot, cientista_id: 1 } },
      400,
    ],
    [
      'an unparseable time',
      { body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: 'amanhã às três' } },
      400,
    ],
    [
      'a date without time',
      { body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: '2027-12-01' } },
      400,
    ],
    [
      'a local time without zone',
      { body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: '2027-12-01T03:00:00' } },
      400,
    ],
    [
      'a non-UTC offset',
      { body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: '2027-12-01T03:00:00-03:00' } },
      400,
    ],
    [
      'February 30',
      { body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: '2027-02-30T03:00:00Z' } },
      400,
    ],
    [
      'a misaligned start',
      { body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: slot.replace(/:00Z$/, ':30Z') } },
      400,
    ],
    [
      'an end before the start',
      {
        body: {
          telescopio_id: 'Hubble-Acad',
          horario_inicio_utc: futureSlot(6),
          horario_fim_utc: futureSlot(5),
        },
      },
      400,
    ],
    [
      'an end equal to the start',
      {
        body: {
          telescopio_id: 'Hubble-Acad',
          horario_inicio_utc: futureSlot(6),
          horario_fim_utc: futureSlot(6),
        },
      },
      400,
    ],
    [
      'a booking of 13 slots',
      {
        body: {
          telescopio_id: 'Hubble-Acad',
          horario_inicio_utc: futureSlot(0),
          horario_fim_utc: futureSlot(13),
        },
      },
      400,
    ],
    ['a slot in the past', { body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: past } }, 400],
    [
      'an absurd year',
      { body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: '9999-12-31T23:55:00Z' } },
      400,
    ],
    [
      'a negative uncertainty',
      { body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: slot, incerteza_ms: -1 } },
      400,
    ],
    [
      'a bad click time',
      { body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: slot, horario_clique_utc: 'ontem' } },
      400,
    ],
    ['an unknown telescope', { body: { telescopio_id: 'James-Webb', horario_inicio_utc: slot } }, 404],
    [
      'a huge body',
      { body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: slot, lixo: 'x'.repeat(100_000) } },
      413,
    ],
    [
      'prototype pollution',
      {
        rawBody: `{"telescopio_id":"Hubble-Acad","horario_inicio_utc":"${slot}","__proto__":{"papel":"admin"}}`,
      },
      400,
    ],
  ];

  for (const [name, input, status] of cases) {
    test(`when the booking has ${name}, then ${status} and nothing is written`, async () => {
      const before = await counts();
      const res = await call<{ status: number; detail: string; code: string }>(
        env.sctec.url,
        'POST',
        '/agendamentos',
        {
          token,
          headers: { 'content-type': input.contentType ?? 'application/json' },
          ...(input.rawBody !== undefined ? { rawBody: input.rawBody } : { body: input.body }),
        },
      );
      assert.equal(res.status, status, res.text);
      assert.match(String(res.headers['content-type']), /application\/problem\+json/);
      assert.equal(res.body.status, status);
      assert.ok(res.body.detail.length > 5, 'a useful message');
      assert.deepEqual(await counts(), before);
    });
  }

  test('bad ids, queries and registrations are 4xx too', async () => {
    const checks: [string, string, unknown, number][] = [
      ['GET', '/agendamentos/abc', undefined, 400],
      ['GET', '/agendamentos/0', undefined, 400],
      ['GET', '/agendamentos/99999999', undefined, 404],
      ['GET', '/agendamentos/1e99', undefined, 400],
      ['POST', '/agendamentos/99999/cancelamento', undefined, 404],
      ['GET', '/agendamentos?limite=0', undefined, 400],
      ['GET', '/agendamentos?limite=100000', undefined, 400],
      ['GET', '/agendamentos?de=ontem', undefined, 400],
      ['GET', `/agendamentos?de=${futureSlot(9)}&ate=${futureSlot(1)}`, undefined, 400],
      ['GET', '/telescopios/nao-existe', undefined, 404],
      ['GET', '/cientistas/abc', undefined, 400],
      ['POST', '/cientistas', { nome: 'x', email: 'not-an-email', senha: 'senha-segura-1' }, 400],
      ['POST', '/cientistas', { nome: 'x', email: 'a@b.co', senha: 'curta' }, 400],
      ['POST', '/cientistas', { nome: '', email: 'a@b.co', senha: 'senha-segura-1' }, 400],
      ['POST', '/cientistas', { nome: 'x\u0000y', email: 'a@b.co', senha: 'senha-segura-1' }, 400],
      ['POST', '/auth/token', { email: 'a@b.co' }, 400],
      ['DELETE', '/agendamentos', undefined, 404],
    ];
    for (const [method, path, body, status] of checks) {
      const res = await call(env.sctec.url, method, path, { token, ...(body === undefined ? {} : { body }) });
      assert.equal(res.status, status, `${method} ${path}: ${res.text}`);
      assert.match(String(res.headers['content-type']), /problem\+json/, `${method} ${path}`);
    }
  });

  test('the server stayed healthy through all of it', async () => {
    assert.equal((await call(env.sctec.url, 'GET', '/health')).status, 200);
    assert.ok(
      !env.sctec.lines.some((l) => l.startsWith('ERROR:')),
      env.sctec.lines.filter((l) => l.startsWith('ERROR:')).join('\n'),
    );
  });
});
