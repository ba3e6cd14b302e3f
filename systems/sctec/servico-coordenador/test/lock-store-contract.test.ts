/**
 * One contract for the lock service, whichever store holds the state: memory (the default),
 * Redis and PostgreSQL (real servers; each test has its own key prefix or schema). The HTTP
 * layer relies on exactly these behaviours, so it answers the same on every store.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Denied, Grant, LockService } from '../src/domain/lock-service.js';
import { eventually, openHarness, sleep, STORE_KINDS, type Harness } from './lock-stores.js';

function asGrant(outcome: Grant | Denied): Grant {
  assert.ok(outcome.granted, `expected a grant, got ${JSON.stringify(outcome)}`);
  return outcome;
}

function asDenied(outcome: Grant | Denied): Denied {
  assert.ok(!outcome.granted, `expected a denial, got ${JSON.stringify(outcome)}`);
  return outcome;
}

async function withService(
  kind: (typeof STORE_KINDS)[number],
  body: (service: LockService, harness: Harness) => Promise<void>,
): Promise<void> {
  const harness = await openHarness(kind, { pollMs: 200 });
  try {
    const instance = harness.instances[0];
    assert.ok(instance);
    await body(instance.service, harness);
  } finally {
    await harness.dispose();
  }
}

for (const kind of STORE_KINDS) {
  describe(`lock service contract on the ${kind} store`, () => {
    test('when a free resource is asked for, then it is granted with a token and the full lease; a second caller is denied held', () =>
      withService(kind, async (service) => {
        const first = asGrant(await service.acquire({ resource: 'r', ttlMs: 5_000 }));
        assert.ok(Number.isSafeInteger(first.token) && first.token >= 1);
        assert.equal(first.ttlRemainingMs, 5_000);
        assert.equal(first.waitedMs, 0);
        const second = asDenied(await service.acquire({ resource: 'r', ttlMs: 5_000 }));
        assert.equal(second.reason, 'held');
        assert.ok(second.ttlRemainingMs > 4_000 && second.ttlRemainingMs <= 5_000);
        const held = await service.holder('r');
        assert.equal(held?.token, first.token);
        assert.equal(held.waiting, 0);
        assert.equal(await service.heldCount(), 1);
        asGrant(await service.acquire({ resource: 'other', ttlMs: 5_000 }));
        assert.equal(await service.heldCount(), 2);
      }));

    test('when unlocking, then only the holder token releases and a wrong token changes nothing', () =>
      withService(kind, async (service) => {
        const grant = asGrant(await service.acquire({ resource: 'r', ttlMs: 5_000 }));
        assert.deepEqual(await service.release({ resource: 'r', token: grant.token + 1 }), {
          released: false,
          reason: 'stale-token',
        });
        assert.equal((await service.holder('r'))?.token, grant.token, 'the holder keeps the lock');
        assert.equal((await service.release({ resource: 'r', token: grant.token })).released, true);
        assert.equal(await service.holder('r'), undefined);
        assert.deepEqual(await service.release({ resource: 'r', token: grant.token }), {
          released: false,
          reason: 'not-held',
        });
        const next = asGrant(await service.acquire({ resource: 'r', ttlMs: 5_000 }));
        assert.ok(next.token > grant.token, 'tokens only grow');
      }));

    test('when a lease runs out, then the next caller wins with a higher token and the old token is refused', () =>
      withService(kind, async (service, harness) => {
        const old = asGrant(await service.acquire({ resource: 'r', ttlMs: 100 }));
        await sleep(180);
        const next = asGrant(await service.acquire({ resource: 'r', ttlMs: 5_000 }));
        assert.ok(next.token > old.token);
        const refused = await service.release({ resource: 'r', token: old.token });
        assert.equal(refused.released, false);
        assert.equal((await service.holder('r'))?.token, next.token, 'the new holder keeps the lock');
        const events = harness.instances[0]?.events ?? [];
        assert.equal(events.filter((e) => e.type === 'expired' && e.token === old.token).length, 1);
      }));

    test('when a lease runs out while nobody asks, then the expiry is reported on time', () =>
      withService(kind, async (service, harness) => {
        const grant = asGrant(await service.acquire({ resource: 'quiet', ttlMs: 80 }));
        const events = harness.instances[0]?.events ?? [];
        await eventually(
          () => events.some((e) => e.type === 'expired' && e.token === grant.token),
          'the expiry is reported',
          2_000,
        );
        assert.equal(await service.holder('quiet'), undefined);
        assert.equal(await service.heldCount(), 0);
      }));

    test('when the holder lease runs out, then a waiter is granted then, with its own full lease', () =>
      withService(kind, async (service) => {
        asGrant(await service.acquire({ resource: 'r', ttlMs: 150 }));
        const started = performance.now();
        const waiter = asGrant(await service.acquire({ resource: 'r', ttlMs: 4_000, waitMs: 3_000 }));
        const waited = performance.now() - started;
        assert.ok(waited >= 100 && waited < 1_500, `waited ${waited} ms`);
        assert.equal(waiter.ttlRemainingMs, 4_000);
        assert.ok(waiter.waitedMs >= 100);
      }));

    test('when three callers wait, then they are granted in the order they joined, each when the previous releases', () =>
      withService(kind, async (service) => {
        const holder = asGrant(await service.acquire({ resource: 'r', ttlMs: 10_000 }));
        const positions: number[] = [];
        const order: number[] = [];
        const waiters: Promise<Grant>[] = [];
        for (let i = 0; i < 3; i++) {
          waiters.push(
            service
              .acquire({
                resource: 'r',
                ttlMs: 10_000,
                waitMs: 10_000,
                onQueued: (position) => positions.push(position),
              })
              .then((outcome) => {
                order.push(i);
                return asGrant(outcome);
              }),
          );
          await eventually(() => positions.length === i + 1, `waiter ${i} is queued`);
        }
        assert.deepEqual(positions, [1, 2, 3]);
        assert.equal((await service.holder('r'))?.waiting, 3);
        // A newcomer that does not wait never overtakes the queue, even right after a release.
        await service.release({ resource: 'r', token: holder.token });
        assert.equal(asDenied(await service.acquire({ resource: 'r', ttlMs: 1_000 })).reason, 'held');
        let previous = holder.token;
        for (let i = 0; i < 3; i++) {
          const grant = await waiters[i];
          assert.ok(grant !== undefined);
          assert.deepEqual(
            order,
            Array.from({ length: i + 1 }, (_, k) => k),
            'granted in join order',
          );
          assert.ok(grant.token > previous);
          previous = grant.token;
          await service.release({ resource: 'r', token: grant.token });
        }
      }));

    test('when the wait runs out, then the waiter is denied timeout after about waitMs and leaves the queue', () =>
      withService(kind, async (service) => {
        const holder = asGrant(await service.acquire({ resource: 'r', ttlMs: 10_000 }));
        const started = performance.now();
        const denied = asDenied(await service.acquire({ resource: 'r', ttlMs: 1_000, waitMs: 250 }));
        const elapsed = performance.now() - started;
        assert.equal(denied.reason, 'timeout');
        assert.ok(elapsed >= 240 && elapsed < 1_500, `answered after ${elapsed} ms`);
        assert.ok(denied.ttlRemainingMs > 9_000);
        assert.equal(service.waiting, 0);
        assert.equal((await service.holder('r'))?.waiting, 0, 'no ticket left behind');
        assert.equal((await service.holder('r'))?.token, holder.token);
      }));

    test('when a waiter withdraws (its signal aborts), then it is denied cancelled at once and never granted', () =>
      withService(kind, async (service) => {
        const holder = asGrant(await service.acquire({ resource: 'r', ttlMs: 10_000 }));
        const controller = new AbortController();
        let queued = false;
        const pending = service.acquire({
          resource: 'r',
          ttlMs: 10_000,
          waitMs: 10_000,
          signal: controller.signal,
          onQueued: () => (queued = true),
        });
        await eventually(() => queued, 'the waiter is queued');
        const started = performance.now();
        controller.abort();
        const denied = asDenied(await pending);
        assert.equal(denied.reason, 'cancelled');
        assert.ok(performance.now() - started < 100);
        await service.release({ resource: 'r', token: holder.token });
        await sleep(100);
        assert.equal(await service.holder('r'), undefined, 'the lock went to nobody');
        const aborted = new AbortController();
        aborted.abort();
        assert.equal(
          asDenied(await service.acquire({ resource: 'r', ttlMs: 1_000, signal: aborted.signal })).reason,
          'cancelled',
        );
      }));

    test('when the service closes, then waiters are denied closed at once and new requests are refused', () =>
      withService(kind, async (service) => {
        asGrant(await service.acquire({ resource: 'r', ttlMs: 10_000 }));
        let queued = false;
        const pending = service.acquire({
          resource: 'r',
          ttlMs: 1_000,
          waitMs: 30_000,
          onQueued: () => (queued = true),
        });
        await eventually(() => queued, 'the waiter is queued');
        const started = performance.now();
        await service.close();
        assert.equal(asDenied(await pending).reason, 'closed');
        assert.ok(performance.now() - started < 1_000);
        assert.equal(asDenied(await service.acquire({ resource: 'x', ttlMs: 1_000 })).reason, 'closed');
        assert.equal(service.waiting, 0);
      }));

    test('when things happen, then the same events are emitted as by the in-memory service', () =>
      withService(kind, async (service, harness) => {
        const events = harness.instances[0]?.events ?? [];
        const grant = asGrant(await service.acquire({ resource: 'e', ttlMs: 10_000 }));
        asDenied(await service.acquire({ resource: 'e', ttlMs: 1_000 }));
        const waiter = service.acquire({ resource: 'e', ttlMs: 1_000, waitMs: 5_000 });
        await eventually(() => events.some((e) => e.type === 'queued'), 'queued');
        await service.release({ resource: 'e', token: grant.token });
        const second = asGrant(await waiter);
        await service.release({ resource: 'e', token: second.token });
        assert.deepEqual(
          events.map((e) => e.type),
          ['granted', 'denied', 'queued', 'released', 'granted', 'released'],
        );
        const queued = events.find((e) => e.type === 'queued');
        assert.deepEqual(queued, { type: 'queued', resource: 'e', position: 1, waitMs: 5_000 });
      }));
  });
}
