import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { call, countByStatus, race } from '@dslab/testing';
import { futureSlot, withSctec } from '../../test/harness.js';

describe('Idempotency-Key on POST /agendamentos', () => {
  const env = withSctec({ engine: 'postgres' });

  test('when a booking is retried with the same key, then the original 201 is returned and one booking exists', async () => {
    const s = await env.sctec.scientist();
    const body = { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(1) };
    const first = await call<{ id: number }>(env.sctec.url, 'POST', '/agendamentos', {
      token: s.token,
      body,
      headers: { 'idempotency-key': 'k-1' },
    });
    const second = await call<{ id: number }>(env.sctec.url, 'POST', '/agendamentos', {
      token: s.token,
      body,
      headers: { 'idempotency-key': 'k-1' },
    });
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.deepEqual(second.body, first.body);
    assert.equal(second.headers.location, first.headers.location);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    const rows = await env.sctec.database.db
      .selectFrom('agendamentos')
      .selectAll()
      .where('cientista_id', '=', s.id)
      .execute();
    assert.equal(rows.length, 1);
  });

  test('when the same key comes with a different body, then 422', async () => {
    const s = await env.sctec.scientist();
    await call(env.sctec.url, 'POST', '/agendamentos', {
      token: s.token,
      body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(2) },
      headers: { 'idempotency-key': 'k-2' },
    });
    const other = await call<{ code: string }>(env.sctec.url, 'POST', '/agendamentos', {
      token: s.token,
      body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(3) },
      headers: { 'idempotency-key': 'k-2' },
    });
    assert.equal(other.status, 422);
    assert.equal(other.body.code, 'idempotency-key-reused');
  });

  test('when a refused booking is retried with its key, then the same 409 is replayed', async () => {
    const a = await env.sctec.scientist();
    const b = await env.sctec.scientist();
    const body = { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(4) };
    assert.equal((await call(env.sctec.url, 'POST', '/agendamentos', { token: a.token, body })).status, 201);
    const first = await call(env.sctec.url, 'POST', '/agendamentos', {
      token: b.token,
      body,
      headers: { 'idempotency-key': 'k-3' },
    });
    const again = await call(env.sctec.url, 'POST', '/agendamentos', {
      token: b.token,
      body,
      headers: { 'idempotency-key': 'k-3' },
    });
    assert.equal(first.status, 409);
    assert.equal(again.status, 409);
    assert.deepEqual(again.body, first.body);
  });

  test('when 10 copies of one request race with the same key, then exactly one booking is made', async () => {
    const s = await env.sctec.scientist();
    const body = { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(5) };
    const responses = await race<{ id?: number }>(
      env.sctec.url,
      Array.from({ length: 10 }, () => ({
        method: 'POST' as const,
        path: '/agendamentos',
        body,
        headers: { authorization: `Bearer ${s.token}`, 'idempotency-key': 'k-race' },
      })),
    );
    const counts = countByStatus(responses);
    assert.ok((counts[201] ?? 0) >= 1, JSON.stringify(counts));
    assert.ok(
      Object.keys(counts).every((status) => status === '201' || status === '409'),
      JSON.stringify(counts),
    );
    const ids = new Set(responses.filter((r) => r.status === 201).map((r) => r.body.id));
    assert.equal(ids.size, 1, 'every 201 is the same booking');
    const rows = await env.sctec.database.db
      .selectFrom('agendamentos')
      .selectAll()
      .where('cientista_id', '=', s.id)
      .execute();
    assert.equal(rows.length, 1);
  });

  test('keys are per scientist: two scientists may use the same key', async () => {
    const a = await env.sctec.scientist();
    const b = await env.sctec.scientist();
    const ra = await call(env.sctec.url, 'POST', '/agendamentos', {
      token: a.token,
      body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(6) },
      headers: { 'idempotency-key': 'shared' },
    });
    const rb = await call(env.sctec.url, 'POST', '/agendamentos', {
      token: b.token,
      body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(7) },
      headers: { 'idempotency-key': 'shared' },
    });
    assert.equal(ra.status, 201);
    assert.equal(rb.status, 201);
  });
});
