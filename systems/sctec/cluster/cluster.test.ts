/**
 * The racing tests against the scaled-out topology: 2 coordinators sharing their lock state in
 * Redis, 2 schedulers sharing PostgreSQL. Requests go to both schedulers at once, so the
 * exclusion is proven across processes, not inside one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, countByStatus, race } from '@dslab/testing';
import { subscribeEvents, type Subscription } from '@dslab/event-client';
import { request } from 'undici';
import { checkSchedulerInvariants } from '../test/invariants.js';
import { futureSlot, startClusterTarget, type RacingTarget } from '../test/harness.js';
import type { Cluster } from './topology.js';

describe('SCTEC on 2 schedulers (PostgreSQL) and 2 coordinators (Redis)', () => {
  let target: (RacingTarget & { readonly cluster: Cluster }) | undefined;
  const tokens: string[] = [];

  const running = (): Cluster => {
    if (target === undefined) throw new Error('the cluster did not start');
    return target.cluster;
  };

  before(async () => {
    const started = await startClusterTarget();
    target = started;
    for (let i = 0; i < 30; i++) tokens.push((await started.scientist(`Racer ${i}`)).token);
  });

  after(() => target?.close());

  /** One race: every scientist asks for `slot`, spread over `urls`, all released at once. */
  function raceOver(slot: string, urls: readonly string[]) {
    return race(
      urls[0] ?? '',
      tokens.map((token, i) => ({
        baseUrl: urls[i % urls.length] ?? '',
        method: 'POST' as const,
        path: '/agendamentos',
        headers: { authorization: `Bearer ${token}` },
        body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: slot },
      })),
    );
  }

  const invariants = () => {
    if (target === undefined) throw new Error('the cluster did not start');
    return checkSchedulerInvariants(target.db);
  };

  test('when 30 scientists race for one slot over both schedulers directly, then exactly one wins', async () => {
    const answers = await raceOver(
      futureSlot(0, 3),
      running().schedulers.map((m) => m.url),
    );
    assert.deepEqual(countByStatus(answers), { 201: 1, 409: 29 });
    assert.deepEqual((await invariants()).violations, []);
  });

  test('when 30 scientists race for one slot through the balanced address, then exactly one wins', async () => {
    const answers = await raceOver(futureSlot(1, 3), [running().url]);
    assert.deepEqual(countByStatus(answers), { 201: 1, 409: 29 });
    assert.deepEqual((await invariants()).violations, []);
  });

  test('when 30 scientists book 30 distinct slots at once over both schedulers, then all 30 win', async () => {
    const urls = running().schedulers.map((m) => m.url);
    const answers = await Promise.all(
      tokens.map(async (token, i) =>
        call(urls[i % urls.length] ?? '', 'POST', '/agendamentos', {
          token,
          body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(10 + i, 3) },
        }),
      ),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      tokens.map(() => 201),
    );
    assert.deepEqual((await invariants()).violations, []);
  });

  test('when one coordinator is killed, then bookings go on through the other and the race still has one winner', async () => {
    const [first] = running().coordinators;
    assert.ok(first);
    await first.kill();
    try {
      const answers = await raceOver(
        futureSlot(2, 3),
        running().schedulers.map((m) => m.url),
      );
      assert.deepEqual(countByStatus(answers), { 201: 1, 409: 29 });
    } finally {
      await first.restart();
    }
    assert.deepEqual((await invariants()).violations, []);
  });

  test('when the two coordinators grant locks, then the fencing tokens they hand out strictly increase across both', async () => {
    const tokensSeen: number[] = [];
    const coordinators = running().coordinators;
    for (let i = 0; i < 20; i++) {
      const member = coordinators[i % coordinators.length];
      assert.ok(member);
      const recurso = `Hubble-Acad_token-order-${i}`;
      const lock = await request(`${member.url}/lock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ recurso }),
      });
      const granted = (await lock.body.json()) as { token: number };
      assert.equal(lock.statusCode, 200);
      tokensSeen.push(granted.token);
      const unlock = await request(`${member.url}/unlock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ recurso, token: granted.token }),
      });
      await unlock.body.dump();
    }
    for (let i = 1; i < tokensSeen.length; i++) {
      assert.ok((tokensSeen[i] ?? 0) > (tokensSeen[i - 1] ?? 0), `tokens ${tokensSeen.join(', ')}`);
    }
  });

  test('when bookings are made on either scheduler, then subscribers of both schedulers receive every event, with the same ids', async () => {
    const schedulers = running().schedulers;
    const seen = schedulers.map(() => new Map<number, string>());
    const subscriptions: Subscription[] = [];
    try {
      await Promise.all(
        schedulers.map(
          (member, i) =>
            new Promise<void>((resolve) => {
              subscriptions.push(
                subscribeEvents({
                  url: `${member.url}/eventos`,
                  onOpen: () => resolve(),
                  onEvent: (event) => {
                    const data = JSON.parse(event.data) as { agendamento_id: number };
                    seen[i]?.set(data.agendamento_id, event.id ?? '');
                  },
                }),
              );
            }),
        ),
      );
      const booked: number[] = [];
      for (let i = 0; i < 6; i++) {
        const member = schedulers[i % schedulers.length];
        assert.ok(member);
        const answer = await call<{ id: number }>(member.url, 'POST', '/agendamentos', {
          token: tokens[i] ?? '',
          body: { telescopio_id: 'Hubble-Acad', horario_inicio_utc: futureSlot(100 + i, 3) },
        });
        assert.equal(answer.status, 201, answer.text);
        booked.push(answer.body.id);
      }
      const deadline = performance.now() + 10_000;
      while (seen.some((m) => booked.some((id) => !m.has(id))) && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const [first, second] = seen;
      assert.ok(first && second);
      for (const id of booked) {
        assert.ok(first.has(id) && second.has(id), `booking ${id} reached both subscribers`);
        assert.equal(first.get(id), second.get(id), `booking ${id} has one event id`);
      }
    } finally {
      await Promise.all(subscriptions.map((s) => s.close()));
    }
  });
});
