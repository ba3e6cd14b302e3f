import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLockTable, type LockTableEvent, type TokenSource } from './lock-table.js';

function setup(options: { tokens?: TokenSource } = {}) {
  let t = 1_000;
  let last = 0;
  const events: LockTableEvent[] = [];
  const table = createLockTable({
    now: () => t,
    tokens: options.tokens ?? { next: () => ++last },
    onEvent: (event) => events.push(event),
  });
  return {
    table,
    events,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function grantedToken(result: { granted: true; token: number } | { granted: false }): number {
  assert.ok(result.granted, 'expected a grant');
  return result.token;
}

describe('lock table: grant and deny', () => {
  test('when a resource is free, then the first caller is granted with the full lease', () => {
    const { table } = setup();
    assert.deepEqual(table.tryAcquire('Hubble-Acad_2025-12-01T03:00:00Z', 5_000), {
      granted: true,
      token: 1,
      ttlRemainingMs: 5_000,
    });
    assert.deepEqual(table.holder('Hubble-Acad_2025-12-01T03:00:00Z'), {
      token: 1,
      ttlRemainingMs: 5_000,
      waiting: 0,
    });
  });

  test('when a resource is held, then another caller is refused with the holder remaining lease', () => {
    const { table, advance } = setup();
    table.tryAcquire('r', 5_000);
    advance(1_200.4);
    assert.deepEqual(table.tryAcquire('r', 5_000), { granted: false, ttlRemainingMs: 3_800, waiting: 0 });
  });

  test('when different resources are asked for, then each is granted independently', () => {
    const { table } = setup();
    assert.equal(table.tryAcquire('a', 1_000).granted, true);
    assert.equal(table.tryAcquire('b', 1_000).granted, true);
    assert.equal(table.size, 2);
  });

  test('when the lease is not a positive finite number, then the call is a programming error', () => {
    const { table } = setup();
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => table.tryAcquire('r', ttl), RangeError);
    }
    assert.equal(table.size, 0);
  });
});

describe('lock table: release', () => {
  test('when the holder releases with its token, then the resource is free again', () => {
    const { table, events } = setup();
    const token = grantedToken(table.tryAcquire('r', 1_000));
    assert.deepEqual(table.release('r', token), { released: true });
    assert.equal(table.holder('r'), undefined);
    assert.equal(table.size, 0);
    assert.equal(table.tryAcquire('r', 1_000).granted, true);
    assert.deepEqual(events, [{ type: 'released', resource: 'r', token }]);
  });

  test('when a stale token is presented, then release is refused and the holder keeps the lock', () => {
    const { table } = setup();
    const first = grantedToken(table.tryAcquire('r', 1_000));
    table.release('r', first);
    const second = grantedToken(table.tryAcquire('r', 1_000));
    assert.deepEqual(table.release('r', first), { released: false, reason: 'stale-token' });
    assert.deepEqual(table.release('r', second + 1), { released: false, reason: 'stale-token' });
    assert.equal(table.holder('r')?.token, second);
  });

  test('when nobody holds the resource, then release reports not-held', () => {
    const { table } = setup();
    assert.deepEqual(table.release('nobody', 1), { released: false, reason: 'not-held' });
  });

  test('when a token of another resource is presented, then release is refused', () => {
    const { table } = setup();
    const a = grantedToken(table.tryAcquire('a', 1_000));
    table.tryAcquire('b', 1_000);
    assert.deepEqual(table.release('b', a), { released: false, reason: 'stale-token' });
    assert.equal(table.holder('b')?.token, a + 1);
  });
});

describe('lock table: lease expiry on the monotonic clock', () => {
  test('when the holder lease has not yet run out, then the resource stays held', () => {
    const { table, advance } = setup();
    table.tryAcquire('r', 1_000);
    advance(999.9);
    assert.equal(table.tryAcquire('r', 1_000).granted, false);
  });

  test('when the holder lease runs out, then the resource counts as free and a new token is granted', () => {
    const { table, advance, events } = setup();
    const old = grantedToken(table.tryAcquire('r', 1_000));
    advance(1_000);
    const fresh = grantedToken(table.tryAcquire('r', 1_000));
    assert.ok(fresh > old);
    assert.deepEqual(events, [{ type: 'expired', resource: 'r', token: old }]);
  });

  test('when an expired holder releases, then nothing changes and it is told it no longer holds', () => {
    const { table, advance } = setup();
    const old = grantedToken(table.tryAcquire('r', 1_000));
    advance(1_500);
    assert.deepEqual(table.release('r', old), { released: false, reason: 'not-held' });
    const fresh = grantedToken(table.tryAcquire('r', 1_000));
    assert.deepEqual(table.release('r', old), { released: false, reason: 'stale-token' });
    assert.equal(table.holder('r')?.token, fresh);
  });

  test('when leases run out untouched, then sweep removes them so memory does not grow', () => {
    const { table, advance, events } = setup();
    for (let i = 0; i < 100; i++) table.tryAcquire(`r${i}`, 1_000 + i);
    advance(1_050);
    assert.equal(table.size, 100, 'expiry is lazy: nothing is removed until touched or swept');
    assert.equal(table.sweep(), 51);
    assert.equal(table.size, 49);
    assert.equal(events.filter((e) => e.type === 'expired').length, 51);
    advance(1_000);
    table.sweep();
    assert.equal(table.size, 0);
    assert.equal(table.nextExpiry(), undefined);
  });

  test('when asked for the next expiry, then the earliest live lease is named and released ones are ignored', () => {
    const { table } = setup();
    const early = grantedToken(table.tryAcquire('early', 100));
    table.tryAcquire('late', 300);
    table.tryAcquire('middle', 200);
    assert.equal(table.nextExpiry(), 1_100);
    table.release('early', early);
    assert.equal(table.nextExpiry(), 1_200);
  });

  test('when many leases are granted and released, then the next expiry still names the earliest live lease', () => {
    const { table } = setup();
    table.tryAcquire('long', 60_000);
    for (let i = 0; i < 10_000; i++) {
      const token = grantedToken(table.tryAcquire('churn', 10 + (i % 7)));
      table.release('churn', token);
    }
    assert.equal(table.size, 1);
    assert.equal(table.nextExpiry(), 61_000);
  });
});

describe('lock table: fencing tokens', () => {
  test('when grants happen across resources, releases and expiries, then tokens strictly increase and never repeat', () => {
    const { table, advance } = setup();
    const seen: number[] = [];
    const held = new Map<string, number>();
    // A small deterministic pseudo-random walk over acquire / release / time.
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    for (let step = 0; step < 5_000; step++) {
      const resource = `r${Math.floor(random() * 20)}`;
      const roll = random();
      if (roll < 0.5) {
        const result = table.tryAcquire(resource, 50 + random() * 500);
        if (result.granted) {
          seen.push(result.token);
          held.set(resource, result.token);
        }
      } else if (roll < 0.8) {
        const token = held.get(resource);
        if (token !== undefined) table.release(resource, token);
      } else {
        advance(random() * 200);
      }
    }
    assert.ok(seen.length > 500);
    for (let i = 1; i < seen.length; i++)
      assert.ok((seen[i] ?? 0) > (seen[i - 1] ?? 0), `token ${i} did not increase`);
  });

  test('when the token source goes backwards, then the table refuses to grant with it', () => {
    const values = [5, 3];
    const { table } = setup({ tokens: { next: () => values.shift() ?? 0 } });
    assert.equal(grantedToken(table.tryAcquire('a', 1_000)), 5);
    assert.throws(() => table.tryAcquire('b', 1_000), /went backwards/);
    assert.equal(table.holder('b'), undefined);
  });
});

describe('lock table: FIFO waiters', () => {
  test('when five waiters queue, then each release hands the lock to the next one in enqueue order', () => {
    const { table, events } = setup();
    let token = grantedToken(table.tryAcquire('r', 1_000));
    const ids = ['w1', 'w2', 'w3', 'w4', 'w5'];
    ids.forEach((id, i) => {
      assert.deepEqual(table.enqueue('r', id, 2_000), {
        granted: false,
        position: i + 1,
        ttlRemainingMs: 1_000,
      });
    });
    assert.equal(table.waiting, 5);
    const order: string[] = [];
    for (const id of ids) {
      const result = table.release('r', token);
      assert.deepEqual(result, { released: true, handedOffTo: id });
      const handOff = events.at(-1);
      assert.ok(handOff?.type === 'handed-off');
      assert.equal(handOff.waiterId, id);
      assert.equal(handOff.ttlRemainingMs, 2_000);
      assert.ok(handOff.token > token);
      order.push(handOff.waiterId);
      token = handOff.token;
    }
    assert.deepEqual(order, ids);
    assert.equal(table.waiting, 0);
    assert.deepEqual(table.release('r', token), { released: true });
    assert.equal(table.size, 0);
  });

  test('when waiters are queued and the lease expires, then a newcomer is refused and the first waiter gets the lock', () => {
    const { table, advance, events } = setup();
    const old = grantedToken(table.tryAcquire('r', 1_000));
    table.enqueue('r', 'first', 3_000);
    table.enqueue('r', 'second', 3_000);
    advance(1_000);
    assert.deepEqual(table.tryAcquire('r', 1_000), { granted: false, ttlRemainingMs: 3_000, waiting: 1 });
    assert.deepEqual(events, [
      { type: 'expired', resource: 'r', token: old },
      { type: 'handed-off', resource: 'r', waiterId: 'first', token: old + 1, ttlRemainingMs: 3_000 },
    ]);
  });

  test('when the holder releases with waiters queued, then a newcomer arriving right after is refused', () => {
    const { table } = setup();
    const token = grantedToken(table.tryAcquire('r', 1_000));
    table.enqueue('r', 'w', 1_000);
    table.release('r', token);
    assert.equal(table.tryAcquire('r', 1_000).granted, false);
    assert.equal(table.holder('r')?.token, token + 1);
  });

  test('when a waiter leaves the queue, then it is skipped and the others keep their order', () => {
    const { table, events } = setup();
    const token = grantedToken(table.tryAcquire('r', 1_000));
    table.enqueue('r', 'a', 1_000);
    table.enqueue('r', 'b', 1_000);
    table.enqueue('r', 'c', 1_000);
    assert.equal(table.removeWaiter('r', 'a'), true);
    assert.equal(table.removeWaiter('r', 'a'), false);
    assert.equal(table.removeWaiter('other', 'b'), false);
    assert.equal(table.enqueue('r', 'c', 1_000).granted, false);
    assert.deepEqual(table.release('r', token), { released: true, handedOffTo: 'b' });
    assert.equal(events.filter((e) => e.type === 'handed-off').length, 1);
    assert.equal(table.waiting, 1);
  });

  test('when the same waiter enqueues twice, then it keeps its single place', () => {
    const { table } = setup();
    table.tryAcquire('r', 1_000);
    table.enqueue('r', 'a', 1_000);
    table.enqueue('r', 'b', 1_000);
    assert.deepEqual(table.enqueue('r', 'a', 1_000), { granted: false, position: 1, ttlRemainingMs: 1_000 });
    assert.equal(table.waiting, 2);
  });

  test('when a waiter enqueues on a free resource, then it is granted at once', () => {
    const { table } = setup();
    assert.deepEqual(table.enqueue('r', 'w', 1_000), { granted: true, token: 1, ttlRemainingMs: 1_000 });
    assert.equal(table.waiting, 0);
  });

  test('when an heir lease also expires untouched, then sweep passes the lock along the queue and cleans up', () => {
    const { table, advance, events } = setup();
    table.tryAcquire('r', 100);
    table.enqueue('r', 'a', 100);
    table.enqueue('r', 'b', 100);
    advance(100);
    assert.equal(table.sweep(), 1);
    advance(100);
    assert.equal(table.sweep(), 1);
    advance(100);
    assert.equal(table.sweep(), 1);
    assert.equal(table.size, 0);
    assert.deepEqual(
      events.map((e) => (e.type === 'handed-off' ? `${e.type}:${e.waiterId}` : e.type)),
      ['expired', 'handed-off:a', 'expired', 'handed-off:b', 'expired'],
    );
  });

  test('when a listener calls back into the table on a hand-off, then the state stays consistent and events stay in order', () => {
    let last = 0;
    const log: string[] = [];
    const table = createLockTable({
      now: () => 0,
      tokens: { next: () => ++last },
      onEvent: (event) => {
        log.push(
          event.type === 'handed-off' ? `handed-off:${event.waiterId}` : `${event.type}:${event.token}`,
        );
        // The first heir gives the lock back at once; the second keeps it.
        if (event.type === 'handed-off' && event.waiterId === 'a') table.release('r', event.token);
      },
    });
    const token = grantedToken(table.tryAcquire('r', 100));
    table.enqueue('r', 'a', 100);
    table.enqueue('r', 'b', 100);
    table.release('r', token);
    assert.deepEqual(log, ['released:1', 'handed-off:a', 'released:2', 'handed-off:b']);
    assert.equal(table.holder('r')?.token, 3);
    assert.equal(table.waiting, 0);
  });
});
