import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { call } from '@dslab/testing';
import { futureSlot, withSctec } from '../../test/harness.js';

type Link = { href: string; method?: string; templated?: boolean };
type Hal = { _links: Record<string, Link>; _embedded?: Record<string, Hal[]> } & Record<string, unknown>;

describe('a client that only follows links', () => {
  const env = withSctec({ engine: 'sqlite' });

  const follow = (link: Link | undefined, options: { token?: string; body?: unknown } = {}) => {
    assert.ok(link, 'link present');
    return call<Hal>(env.sctec.url, link.method ?? 'GET', link.href, options);
  };

  test('registers, logs in, books and cancels starting from GET /, never building a URL', async () => {
    const root = await call<Hal>(env.sctec.url, 'GET', '/');
    assert.equal(root.status, 200);
    const email = 'hubble.fan@obs.example';
    const registered = await follow(root.body._links.registrar, {
      body: { nome: 'Vera Rubin', email, senha: 'materia-escura', instituicao: 'Carnegie' },
    });
    assert.equal(registered.status, 201);
    const token = await call<{ access_token: string }>(
      env.sctec.url,
      registered.body._links.token?.method ?? 'GET',
      registered.body._links.token?.href ?? '',
      { body: { email, senha: 'materia-escura' } },
    );
    const auth = token.body.access_token;
    const telescopes = await follow(root.body._links.telescopios);
    const hubble = telescopes.body._embedded?.telescopios?.find((t) => t.id === 'Hubble-Acad');
    const created = await follow(hubble?._links.agendar, {
      token: auth,
      body: { telescopio_id: hubble?.id, horario_inicio_utc: futureSlot(1) },
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers.location, created.body._links.self?.href);
    const self = await follow(created.body._links.self, { token: auth });
    assert.equal(self.body.status, 'ativo');
    const cancelled = await follow(self.body._links.cancelar, { token: auth });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'cancelado');
    assert.equal(cancelled.body._links.cancelar, undefined);
    const scientist = await follow(cancelled.body._links.cientista, { token: auth });
    assert.equal(scientist.body.nome, 'Vera Rubin');
    const mine = await follow(scientist.body._links.agendamentos, { token: auth });
    assert.equal(mine.body.total, 1);
  });

  test('collections page through next links until the end', async () => {
    const s = await env.sctec.scientist();
    for (let i = 0; i < 5; i++) {
      const res = await call(env.sctec.url, 'POST', '/agendamentos', {
        token: s.token,
        body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(20 + i) },
      });
      assert.equal(res.status, 201);
    }
    let page = await call<Hal>(env.sctec.url, 'GET', `/agendamentos?cientista_id=${s.id}&limite=2`);
    const seen: unknown[] = [];
    for (;;) {
      seen.push(...(page.body._embedded?.agendamentos ?? []).map((b) => b.id));
      if (page.body._links.next === undefined) break;
      page = await follow(page.body._links.next);
    }
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen).size, 5);
  });

  test('GET /time answers the server time with no-store and logs the caller', async () => {
    const before = Date.now();
    const res = await call<{
      server_time_utc: string;
      epoch_ms: number;
      recebido_epoch_ms: number;
      enviado_epoch_ms: number;
    }>(env.sctec.url, 'GET', '/time');
    assert.equal(res.status, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(res.body.server_time_utc, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    assert.ok(res.body.epoch_ms >= before - 1000 && res.body.epoch_ms <= Date.now() + 1000);
    assert.ok(res.body.enviado_epoch_ms >= res.body.recebido_epoch_ms);
    assert.ok(env.sctec.lines.some((l) => /Requisição recebida em GET \/time do IP 127\.0\.0\.1/.test(l)));
  });

  test('the seed flow is logged step by step with one trace id per request', async () => {
    const s = await env.sctec.scientist();
    const slot = futureSlot(40);
    const res = await call(env.sctec.url, 'POST', '/agendamentos', {
      token: s.token,
      body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: slot },
    });
    const trace = String(res.headers['x-request-id']);
    const mine = env.sctec.lines
      .filter((l) => l.includes(`[trace=${trace}]`))
      .map((l) => l.split(':servico-agendamento:')[1]?.replace(/ \[trace=[0-9a-f]+\]\n?$/, '') ?? '');
    const recurso = `Hubble-Acad_${slot}`;
    assert.deepEqual(
      mine.filter((m) => !m.startsWith('{')),
      [
        'Requisição recebida para POST /agendamentos',
        `Tentando adquirir lock para o recurso ${recurso}`,
        'Lock adquirido com sucesso',
        'Iniciando verificação de conflito no BD',
        'Salvando novo agendamento no BD',
        `Liberando lock para o recurso ${recurso}`,
      ],
    );
    const audit = mine.find((m) => m.startsWith('{'));
    const record = JSON.parse(audit ?? '{}') as Record<string, unknown>;
    assert.equal(record.level, 'AUDIT');
    assert.equal(record.event_type, 'AGENDAMENTO_CRIADO');
    assert.equal(record.service, 'servico-agendamento');
    assert.ok(
      typeof record.timestamp_utc === 'string' &&
        typeof record.hash === 'string' &&
        typeof record.prev_hash === 'string',
    );
    assert.deepEqual(Object.keys(record.details as object).slice(0, 3), [
      'agendamento_id',
      'cientista_id',
      'telescopio_id',
    ]);
  });

  test('OpenAPI documents the booking routes and Swagger UI is served', async () => {
    const spec = await call<{ paths: Record<string, unknown> }>(env.sctec.url, 'GET', '/docs/json');
    for (const p of [
      '/agendamentos',
      '/agendamentos/{id}',
      '/agendamentos/{id}/cancelamento',
      '/cientistas',
      '/auth/token',
      '/time',
      '/telescopios',
    ]) {
      assert.ok(spec.body.paths[p], `${p} documented`);
    }
    assert.equal((await call(env.sctec.url, 'GET', '/docs/')).status, 200);
  });
});
