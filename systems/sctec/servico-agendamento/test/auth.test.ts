import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { call } from '@dslab/testing';
import { futureSlot, JWT_SECRET, withSctec } from '../../test/harness.js';

type Link = { href: string; method?: string };
type Booking = {
  id: number;
  status: string;
  _links: { self: Link; cancelar?: Link } & Record<string, Link | undefined>;
};

describe('authentication and ownership', () => {
  const env = withSctec({ engine: 'sqlite' });

  const book = (token: string | undefined, slot: string) =>
    call<Booking>(env.sctec.url, 'POST', '/agendamentos', {
      body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: slot },
      ...(token === undefined ? {} : { token }),
    });

  test('when no token is sent, then booking is refused with 401 and nothing is written', async () => {
    const res = await book(undefined, futureSlot(1));
    assert.equal(res.status, 401);
    assert.match(String(res.headers['content-type']), /problem\+json/);
    assert.ok(res.headers['www-authenticate']);
    const rows = await env.sctec.database.db.selectFrom('agendamentos').selectAll().execute();
    assert.equal(rows.length, 0);
  });

  test('when the token is forged, malformed or expired, then 401', async () => {
    const forged = await new SignJWT({ papel: 'admin', email: 'x@y.z' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('1')
      .setIssuer('servico-agendamento')
      .setAudience('sctec')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('another-secret-another-secret-0123456'));
    const expired = await new SignJWT({ papel: 'cientista', email: 'x@y.z' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('1')
      .setIssuer('servico-agendamento')
      .setAudience('sctec')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(JWT_SECRET));
    for (const token of [forged, expired, 'not-a-jwt']) {
      assert.equal((await book(token, futureSlot(2))).status, 401, token);
    }
    const weird = await call(env.sctec.url, 'POST', '/agendamentos', {
      headers: { authorization: 'Basic abc' },
      body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(2) },
    });
    assert.equal(weird.status, 401);
    assert.match((await book(expired, futureSlot(2))).text, /expired/);
  });

  test('when the password is wrong or the e-mail unknown, then 401 without saying which', async () => {
    const s = await env.sctec.scientist();
    const wrong = await call<{ detail: string }>(env.sctec.url, 'POST', '/auth/token', {
      body: { email: s.email, senha: 'errada-errada' },
    });
    const unknown = await call<{ detail: string }>(env.sctec.url, 'POST', '/auth/token', {
      body: { email: 'ninguem@obs.example', senha: 'errada-errada' },
    });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.body.detail, unknown.body.detail);
  });

  test('when an e-mail is registered twice (any case), then 409', async () => {
    const s = await env.sctec.scientist();
    const again = await call(env.sctec.url, 'POST', '/cientistas', {
      body: { nome: 'Outra', email: s.email.toUpperCase(), senha: 'senha-segura-2' },
    });
    assert.equal(again.status, 409);
  });

  test('passwords are stored as scrypt hashes, never in clear', async () => {
    const s = await env.sctec.scientist();
    const row = await env.sctec.database.db
      .selectFrom('cientistas')
      .selectAll()
      .where('id', '=', s.id)
      .executeTakeFirstOrThrow();
    assert.match(row.senha_hash, /^scrypt\$16384\$8\$1\$/);
    assert.ok(!row.senha_hash.includes('senha-segura-1'));
    assert.ok(!env.sctec.lines.some((l) => l.includes('senha-segura-1')));
  });

  test('when someone else tries to cancel, then 403; the owner sees cancelar and may cancel; twice gives 409', async () => {
    const owner = await env.sctec.scientist('Dona');
    const other = await env.sctec.scientist('Outro');
    const created = await book(owner.token, futureSlot(3));
    assert.equal(created.status, 201);
    assert.equal(created.body._links.cancelar?.method, 'POST');
    const asOther = await call<Booking>(env.sctec.url, 'GET', `/agendamentos/${created.body.id}`, {
      token: other.token,
    });
    assert.equal(asOther.body._links.cancelar, undefined, 'no cancel link for a stranger');
    const anonymous = await call<Booking>(env.sctec.url, 'GET', `/agendamentos/${created.body.id}`);
    assert.equal(anonymous.body._links.cancelar, undefined);
    const cancelHref = created.body._links.cancelar.href;
    assert.equal((await call(env.sctec.url, 'POST', cancelHref, { token: other.token })).status, 403);
    assert.equal((await call(env.sctec.url, 'POST', cancelHref)).status, 401);
    const cancelled = await call<Booking>(env.sctec.url, 'POST', cancelHref, { token: owner.token });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.status, 'cancelado');
    assert.equal(cancelled.body._links.cancelar, undefined);
    assert.equal((await call(env.sctec.url, 'POST', cancelHref, { token: owner.token })).status, 409);
    assert.ok(
      env.sctec.lines.some(
        (l) =>
          l.startsWith('AUDIT:') &&
          l.includes('"AGENDAMENTO_CANCELADO"') &&
          l.includes(`"agendamento_id":${created.body.id}`),
      ),
    );
  });

  test("when an admin cancels someone else's booking, then it is cancelled and the audit names the admin", async () => {
    const owner = await env.sctec.scientist();
    const admin = await env.sctec.adminToken();
    const created = await book(owner.token, futureSlot(4));
    const asAdmin = await call<Booking>(env.sctec.url, 'GET', `/agendamentos/${created.body.id}`, {
      token: admin,
    });
    assert.ok(asAdmin.body._links.cancelar);
    const res = await call<Booking>(env.sctec.url, 'POST', `/agendamentos/${created.body.id}/cancelamento`, {
      token: admin,
    });
    assert.equal(res.status, 200);
    const entry = await env.sctec.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('event_type', '=', 'AGENDAMENTO_CANCELADO')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal((JSON.parse(entry.actor ?? '{}') as { papel: string }).papel, 'admin');
  });

  test('only admins verify the audit chain', async () => {
    const s = await env.sctec.scientist();
    assert.equal(
      (await call(env.sctec.url, 'GET', '/auditoria/verificacao', { token: s.token })).status,
      403,
    );
    const ok = await call<{ ok: boolean }>(env.sctec.url, 'GET', '/auditoria/verificacao', {
      token: await env.sctec.adminToken(),
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.ok, true);
  });
});
