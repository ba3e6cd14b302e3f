/**
 * Several coordinators over one shared store (Redis, PostgreSQL): two lock-service instances,
 * each with its own connections, give the guarantees of one. Real servers; every test has its
 * own key prefix or schema and deletes it afterwards.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Denied, Grant } from '../src/domain/lock-service.js';
import { eventually, openHarness, SHARED_KINDS, sleep, type Harness, type Instance } from './lock-stores.js';

function asGrant(outcome: Grant | Denied): Grant {
  assert.ok(outcome.granted, `expected a grant, got ${JSON.stringify(outcome)}`);
  return outcome;
}

function pair(harness: Harness): [Instance, Instance] {
  const [a, b] = harness.instances;
  assert.ok(a && b);
  return [a, b];
}

async function withPair(
  kind: (typeof SHARED_KINDS)[number],
  body: (a: Instance, b: Instance) => Promise<void>,
  options: { ticketLivenessMs?: number; pollMs?: number } = {},
): Promise<void> {
  const harness = await openHarness(kind, { instances: 2, ...options });
  try {
    const [a, b] = pair(harness);
    await body(a, b);
  } finally {
    await harness.dispose();
  }
}

for (const kind of SHARED_KINDS) {
  describe(`two coordinators sharing the ${kind} store`, () => {
    test('when 60 callers race over two coordinators for one resource, then exactly one is granted', () =>
      withPair(kind, async (a, b) => {
        const outcomes = await Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            (i % 2 === 0 ? a : b).service.acquire({ resource: 'slot', ttlMs: 10_000 }),
          ),
        );
        const grants = outcomes.filter((o) => o.granted);
        assert.equal(grants.length, 1);
        assert.ok(outcomes.every((o) => o.granted || o.reason === 'held'));
        const granted = a.events.concat(b.events).filter((e) => e.type === 'granted');
        assert.equal(granted.length, 1, 'one granted event across both coordinators');
      }));

    test('when 60 waiting callers race over two coordinators, then each is granted alone, in turn, with strictly increasing tokens', () =>
      withPair(kind, async (a, b) => {
        let holding = 0;
        let maxHolding = 0;
        const tokens: number[] = [];
        await Promise.all(
          Array.from({ length: 60 }, async (_, i) => {
            const { service } = i % 2 === 0 ? a : b;
            const grant = asGrant(await service.acquire({ resource: 'slot', ttlMs: 10_000, waitMs: 30_000 }));
            holding++;
            maxHolding = Math.max(maxHolding, holding);
            tokens.push(grant.token);
            await sleep(1);
            holding--;
            assert.equal((await service.release({ resource: 'slot', token: grant.token })).released, true);
          }),
        );
        assert.equal(maxHolding, 1, 'never two holders at once');
        assert.equal(tokens.length, 60);
        for (let i = 1; i < tokens.length; i++) {
          const [prev, cur] = [tokens[i - 1], tokens[i]];
          assert.ok(prev !== undefined && cur !== undefined && cur > prev, `token ${cur} after ${prev}`);
        }
      }));

    test('when grant and release rounds alternate between coordinators, then tokens grow strictly across both', () =>
      withPair(kind, async (a, b) => {
        let last = 0;
        for (let round = 0; round < 100; round++) {
          const { service } = round % 2 === 0 ? a : b;
          const resource = `r${round % 3}`;
          const grant = asGrant(await service.acquire({ resource, ttlMs: 5_000 }));
          assert.ok(grant.token > last, `round ${round}: token ${grant.token} after ${last}`);
          last = grant.token;
          await (round % 3 === 0 ? b : a).service.release({ resource, token: grant.token });
        }
      }));

    test('when the holder on coordinator A releases, then the waiter on coordinator B is granted at once', () =>
      withPair(
        kind,
        async (a, b) => {
          const held = asGrant(await a.service.acquire({ resource: 'slot', ttlMs: 30_000 }));
          let queued = false;
          const waiting = b.service.acquire({
            resource: 'slot',
            ttlMs: 5_000,
            waitMs: 20_000,
            onQueued: () => (queued = true),
          });
          await eventually(() => queued, 'B queues');
          assert.equal((await a.service.holder('slot'))?.waiting, 1, 'A sees B waiting');
          await sleep(50);
          const released = performance.now();
          await a.service.release({ resource: 'slot', token: held.token });
          const grant = asGrant(await waiting);
          const latency = performance.now() - released;
          // Woken by the store's notification, not by the 30 s lease nor a long poll.
          assert.ok(latency < 150, `granted ${latency.toFixed(1)} ms after the release`);
          assert.ok(grant.token > held.token);
        },
        { pollMs: 1_000 },
      ));

    test('when waiters join over both coordinators, then they are granted in join order', () =>
      withPair(kind, async (a, b) => {
        const held = asGrant(await a.service.acquire({ resource: 'slot', ttlMs: 30_000 }));
        const order: number[] = [];
        const grants: Promise<Grant>[] = [];
        for (let i = 0; i < 4; i++) {
          let queued = false;
          grants.push(
            (i % 2 === 0 ? b : a).service
              .acquire({ resource: 'slot', ttlMs: 30_000, waitMs: 20_000, onQueued: () => (queued = true) })
              .then((o) => {
                order.push(i);
                return asGrant(o);
              }),
          );
          await eventually(() => queued, `waiter ${i} queues`);
        }
        let token = held.token;
        for (let i = 0; i < 4; i++) {
          await (i % 2 === 0 ? b : a).service.release({ resource: 'slot', token });
          const grant = await grants[i];
          assert.ok(grant);
          token = grant.token;
        }
        await a.service.release({ resource: 'slot', token });
        assert.deepEqual(order, [0, 1, 2, 3]);
      }));

    test('when a coordinator with a queued waiter dies, then its ticket lapses and the queue behind it moves on', () =>
      withPair(
        kind,
        async (a, b) => {
          const held = asGrant(await b.service.acquire({ resource: 'slot', ttlMs: 30_000 }));
          let aQueued = false;
          void a.service.acquire({
            resource: 'slot',
            ttlMs: 30_000,
            waitMs: 30_000,
            onQueued: () => (aQueued = true),
          });
          await eventually(() => aQueued, "A's waiter queues");
          let bQueued = 0;
          const behind = b.service.acquire({
            resource: 'slot',
            ttlMs: 5_000,
            waitMs: 20_000,
            onQueued: (position) => (bQueued = position),
          });
          await eventually(() => bQueued > 0, "B's waiter queues");
          assert.equal(bQueued, 2, 'behind the waiter of A');
          a.kill();
          const started = performance.now();
          await b.service.release({ resource: 'slot', token: held.token });
          const grant = asGrant(await behind);
          const waited = performance.now() - started;
          // Ticket liveness 800 ms, poll 200 ms: far less than A's 30 s wait.
          assert.ok(waited < 3_000, `the queue was blocked ${waited.toFixed(0)} ms`);
          assert.ok(grant.token > held.token);
        },
        { ticketLivenessMs: 800, pollMs: 200 },
      ));

    test('when one coordinator closes, then only its waiters are answered closed; the other goes on', () =>
      withPair(kind, async (a, b) => {
        const held = asGrant(await b.service.acquire({ resource: 'slot', ttlMs: 30_000 }));
        let queued = 0;
        const onQueued = () => queued++;
        const fromA = a.service.acquire({ resource: 'slot', ttlMs: 5_000, waitMs: 20_000, onQueued });
        await eventually(() => queued === 1, 'A queues');
        const fromB = b.service.acquire({ resource: 'slot', ttlMs: 5_000, waitMs: 20_000, onQueued });
        await eventually(() => queued === 2, 'B queues');
        await a.service.close();
        const closed = await fromA;
        assert.ok(!closed.granted && closed.reason === 'closed');
        assert.equal((await b.service.holder('slot'))?.waiting, 1, "A's ticket left the queue");
        await b.service.release({ resource: 'slot', token: held.token });
        asGrant(await fromB);
      }));
  });
}

describe('two coordinators sharing the redis store, when Redis loses its data', () => {
  test('when the token counter is lost (a restart without persistence), then new tokens still exceed every earlier one', async () => {
    const harness = await openHarness('redis', { instances: 2 });
    try {
      const [a, b] = pair(harness);
      const before = asGrant(await a.service.acquire({ resource: 'before-loss', ttlMs: 5_000 }));
      assert.ok(harness.loseTokenCounter);
      await harness.loseTokenCounter();
      const after = asGrant(await b.service.acquire({ resource: 'after-loss', ttlMs: 5_000 }));
      assert.ok(after.token > before.token, `token ${after.token} after ${before.token}`);
      assert.ok(Number.isSafeInteger(after.token));
      const next = asGrant(await a.service.acquire({ resource: 'next', ttlMs: 5_000 }));
      assert.ok(next.token > after.token);
    } finally {
      await harness.dispose();
    }
  });
});
