import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createLockService,
  DEFAULT_TTL_MS,
  MAX_TTL_MS,
  MAX_WAIT_MS,
  validateLockRequest,
  type Denied,
  type Grant,
  type LockServiceEvent,
} from './lock-service.js';

/**
 * One fake for both the monotonic clock and the timers, so a timer callback sees the clock
 * at the time it was due (ties fire in the order they were set, as on the platform).
 */
function createFakeTime() {
  let t = 0;
  let seq = 0;
  const due = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => t,
    timers: {
      setTimeout(callback: () => void, ms: number): number {
        due.set(++seq, { at: t + ms, callback });
        return seq;
      },
      clearTimeout(id: number): void {
        due.delete(id);
      },
    },
    /** Moves time forward, firing each due timer at its own time. */
    advance(ms: number): void {
      const end = t + ms;
      for (;;) {
        let next: [number, { at: number; callback: () => void }] | undefined;
        for (const entry of due)
          if (entry[1].at <= end && (next === undefined || entry[1].at < next[1].at)) next = entry;
        if (next === undefined) break;
        due.delete(next[0]);
        t = Math.max(t, next[1].at);
        next[1].callback();
      }
      t = end;
    },
    /** Moves the clock without firing timers: a timer that is late, as real ones can be. */
    jump(ms: number): void {
      t += ms;
    },
    get pendingTimers() {
      return due.size;
    },
  };
}

function setup() {
  const time = createFakeTime();
  let last = 0;
  const events: LockServiceEvent[] = [];
  const service = createLockService({
    now: time.now,
    tokens: { next: () => ++last },
    timers: time.timers,
    onEvent: (event) => events.push(event),
  });
  return { service, time, events };
}

/** Lets promise callbacks run, so a test can see whether an outcome arrived yet. */
async function settled<T>(promise: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

function asGrant(outcome: Grant | Denied | 'pending'): Grant {
  assert.ok(outcome !== 'pending' && outcome.granted, `expected a grant, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('lock service: answering at once', () => {
  test('when a resource is free, then it is granted with the default lease', async () => {
    const { service } = setup();
    assert.deepEqual(await service.acquire({ resource: 'r' }), {
      granted: true,
      resource: 'r',
      token: 1,
      ttlRemainingMs: DEFAULT_TTL_MS,
      waitedMs: 0,
    });
  });

  test('when a resource is held and no wait is asked, then the caller is denied at once with the holder remaining lease', async () => {
    const { service, time } = setup();
    await service.acquire({ resource: 'r', ttlMs: 5_000 });
    time.advance(2_000);
    assert.deepEqual(await service.acquire({ resource: 'r' }), {
      granted: false,
      resource: 'r',
      reason: 'held',
      ttlRemainingMs: 3_000,
    });
  });

  test('when the holder releases, then the next caller is granted a larger token', async () => {
    const { service } = setup();
    const first = asGrant(await service.acquire({ resource: 'r' }));
    assert.deepEqual(service.release({ resource: 'r', token: first.token }), { released: true });
    const second = asGrant(await service.acquire({ resource: 'r' }));
    assert.ok(second.token > first.token);
  });

  test('when a stale token is used to release, then it is refused and the holder keeps the lock', async () => {
    const { service } = setup();
    const first = asGrant(await service.acquire({ resource: 'r' }));
    service.release({ resource: 'r', token: first.token });
    const second = asGrant(await service.acquire({ resource: 'r' }));
    assert.deepEqual(service.release({ resource: 'r', token: first.token }), {
      released: false,
      reason: 'stale-token',
    });
    assert.equal(service.holder('r')?.token, second.token);
  });

  test('when a request breaks the bounds, then acquire rejects and nothing is locked', async () => {
    const { service } = setup();
    await assert.rejects(service.acquire({ resource: 'r', ttlMs: MAX_TTL_MS + 1 }), RangeError);
    await assert.rejects(service.acquire({ resource: '', waitMs: -1 }), /resource .*; waitMs/);
    assert.equal(service.size, 0);
  });
});

describe('lock service: waiting in line', () => {
  test('when the holder releases, then the waiting caller is granted at once', async () => {
    const { service, time } = setup();
    const holder = asGrant(await service.acquire({ resource: 'r', ttlMs: 10_000 }));
    const waiting = service.acquire({ resource: 'r', ttlMs: 4_000, waitMs: 5_000 });
    time.advance(1_500);
    assert.equal(await settled(waiting), 'pending');
    service.release({ resource: 'r', token: holder.token });
    assert.deepEqual(await settled(waiting), {
      granted: true,
      resource: 'r',
      token: 2,
      ttlRemainingMs: 4_000,
      waitedMs: 1_500,
    });
    assert.equal(service.waiting, 0);
  });

  test('when the holder lease expires, then the next waiter is granted without any other request', async () => {
    const { service, time } = setup();
    await service.acquire({ resource: 'r', ttlMs: 1_000 });
    const waiting = service.acquire({ resource: 'r', ttlMs: 2_000, waitMs: 5_000 });
    time.advance(999);
    assert.equal(await settled(waiting), 'pending');
    time.advance(1);
    const grant = asGrant(await settled(waiting));
    assert.equal(grant.waitedMs, 1_000);
    assert.equal(grant.ttlRemainingMs, 2_000);
    assert.equal(service.holder('r')?.token, grant.token);
  });

  test('when five callers wait, then they are granted in the order they asked', async () => {
    const { service, time } = setup();
    let token = asGrant(await service.acquire({ resource: 'r' })).token;
    const order: number[] = [];
    const waiters = [1, 2, 3, 4, 5].map((n) => {
      time.advance(10);
      return service.acquire({ resource: 'r', waitMs: 30_000 }).then((outcome) => {
        order.push(n);
        return outcome;
      });
    });
    for (const waiter of waiters) {
      service.release({ resource: 'r', token });
      const grant = asGrant(await settled(waiter));
      assert.ok(grant.token > token);
      token = grant.token;
    }
    assert.deepEqual(order, [1, 2, 3, 4, 5]);
  });

  test('when the wait times out, then the caller is denied and leaves the queue', async () => {
    const { service, time } = setup();
    const holder = asGrant(await service.acquire({ resource: 'r', ttlMs: 10_000 }));
    const waiting = service.acquire({ resource: 'r', waitMs: 3_000 });
    time.advance(3_000);
    assert.deepEqual(await settled(waiting), {
      granted: false,
      resource: 'r',
      reason: 'timeout',
      ttlRemainingMs: 7_000,
    });
    assert.equal(service.waiting, 0);
    assert.deepEqual(service.release({ resource: 'r', token: holder.token }), { released: true });
    assert.equal(service.holder('r'), undefined, 'the timed-out waiter must not inherit the lock');
  });

  test('when a waiter times out, then the ones behind it keep their turn', async () => {
    const { service, time } = setup();
    const holder = asGrant(await service.acquire({ resource: 'r' }));
    const impatient = service.acquire({ resource: 'r', waitMs: 1_000 });
    const patient = service.acquire({ resource: 'r', waitMs: 5_000 });
    time.advance(2_000);
    const outcome = await settled(impatient);
    assert.ok(outcome !== 'pending' && !outcome.granted && outcome.reason === 'timeout');
    service.release({ resource: 'r', token: holder.token });
    asGrant(await settled(patient));
  });

  test('when a newcomer arrives after the lease ran out but before the expiry timer fired, then the waiter still goes first', async () => {
    const { service, time } = setup();
    await service.acquire({ resource: 'r', ttlMs: 1_000 });
    const waiting = service.acquire({ resource: 'r', waitMs: 5_000 });
    time.jump(1_200);
    const newcomer = await service.acquire({ resource: 'r', waitMs: 0 });
    assert.equal(newcomer.granted, false);
    const grant = asGrant(await settled(waiting));
    assert.equal(service.holder('r')?.token, grant.token);
  });

  test('when a newcomer arrives right after a release, then it queues behind the waiters already in line', async () => {
    const { service } = setup();
    const holder = asGrant(await service.acquire({ resource: 'r' }));
    const first = service.acquire({ resource: 'r', waitMs: 5_000 });
    const second = service.acquire({ resource: 'r', waitMs: 5_000 });
    service.release({ resource: 'r', token: holder.token });
    const third = service.acquire({ resource: 'r', waitMs: 5_000 });
    const firstGrant = asGrant(await settled(first));
    assert.equal(await settled(second), 'pending');
    service.release({ resource: 'r', token: firstGrant.token });
    const secondGrant = asGrant(await settled(second));
    assert.equal(await settled(third), 'pending');
    service.release({ resource: 'r', token: secondGrant.token });
    asGrant(await settled(third));
  });

  test('when the wait ends at the very moment the lease expires, then the waiter is granted rather than denied', async () => {
    const { service, time } = setup();
    // 'other' makes the expiry timer for 'r' be armed after the wait timer, so at t=1000
    // the wait timer fires first and must notice the lease is over.
    await service.acquire({ resource: 'other', ttlMs: 100 });
    await service.acquire({ resource: 'r', ttlMs: 1_000 });
    const waiting = service.acquire({ resource: 'r', waitMs: 1_000 });
    time.advance(1_000);
    assert.equal(asGrant(await settled(waiting)).waitedMs, 1_000);
  });

  test('when a queued caller withdraws, then it leaves the queue, is denied, and the next in line is granted', async () => {
    const { service, time } = setup();
    const holder = asGrant(await service.acquire({ resource: 'r', ttlMs: 10_000 }));
    const gone = new AbortController();
    const withdrawn = service.acquire({ resource: 'r', waitMs: 5_000, signal: gone.signal });
    const behind = service.acquire({ resource: 'r', waitMs: 5_000 });
    assert.equal(service.waiting, 2);
    time.advance(1_000);
    gone.abort();
    assert.deepEqual(await settled(withdrawn), {
      granted: false,
      resource: 'r',
      reason: 'cancelled',
      ttlRemainingMs: 9_000,
    });
    assert.equal(service.waiting, 1);
    service.release({ resource: 'r', token: holder.token });
    const next = asGrant(await settled(behind));
    assert.equal(next.token, holder.token + 1, 'no token was spent on the withdrawn caller');
    time.advance(5_000);
    assert.equal(time.pendingTimers, 1, 'only the lease expiry timer is left');
  });

  test('when the only waiter withdraws, then a release leaves the resource free', async () => {
    const { service } = setup();
    const holder = asGrant(await service.acquire({ resource: 'r' }));
    const gone = new AbortController();
    const withdrawn = service.acquire({ resource: 'r', waitMs: 5_000, signal: gone.signal });
    gone.abort();
    assert.equal((await settled(withdrawn)) !== 'pending', true);
    assert.deepEqual(service.release({ resource: 'r', token: holder.token }), { released: true });
    assert.equal(service.holder('r'), undefined);
  });

  test('when the signal is already aborted, then the caller is denied without being granted or queued', async () => {
    const { service } = setup();
    const outcome = await service.acquire({ resource: 'r', waitMs: 5_000, signal: AbortSignal.abort() });
    assert.deepEqual(outcome, { granted: false, resource: 'r', reason: 'cancelled', ttlRemainingMs: 0 });
    assert.equal(service.holder('r'), undefined);
    assert.equal(service.waiting, 0);
  });

  test('when a signal aborts after its caller was granted, then nothing changes', async () => {
    const { service } = setup();
    const holder = asGrant(await service.acquire({ resource: 'r' }));
    const later = new AbortController();
    const waiting = service.acquire({ resource: 'r', waitMs: 5_000, signal: later.signal });
    service.release({ resource: 'r', token: holder.token });
    const grant = asGrant(await settled(waiting));
    later.abort();
    assert.equal(service.holder('r')?.token, grant.token);
  });

  test('when waiting for one resource, then other resources are unaffected', async () => {
    const { service } = setup();
    await service.acquire({ resource: 'a' });
    const waiting = service.acquire({ resource: 'a', waitMs: 5_000 });
    asGrant(await service.acquire({ resource: 'b' }));
    assert.equal(await settled(waiting), 'pending');
  });
});

describe('lock service: expiry timer and shutdown', () => {
  test('when leases expire with nobody asking, then the timer frees them and reports each expiry', async () => {
    const { service, time, events } = setup();
    await service.acquire({ resource: 'a', ttlMs: 1_000 });
    await service.acquire({ resource: 'b', ttlMs: 3_000 });
    time.advance(1_000);
    assert.equal(service.size, 1);
    time.advance(2_000);
    assert.equal(service.size, 0);
    assert.deepEqual(
      events.filter((e) => e.type === 'expired'),
      [
        { type: 'expired', resource: 'a', token: 1 },
        { type: 'expired', resource: 'b', token: 2 },
      ],
    );
    assert.equal(time.pendingTimers, 0, 'no timer stays armed once nothing is held');
  });

  test('when a shorter lease is granted after a longer one, then the timer is brought forward', async () => {
    const { service, time } = setup();
    await service.acquire({ resource: 'long', ttlMs: 60_000 });
    await service.acquire({ resource: 'short', ttlMs: 500 });
    time.advance(500);
    assert.equal(service.holder('short'), undefined);
    assert.equal(service.size, 1);
  });

  test('when the service closes, then every waiter is denied, timers are cleared and new requests are denied', async () => {
    const { service, time } = setup();
    await service.acquire({ resource: 'r', ttlMs: 10_000 });
    const waiters = [
      service.acquire({ resource: 'r', waitMs: 5_000 }),
      service.acquire({ resource: 'r', waitMs: 5_000 }),
    ];
    service.close();
    for (const waiter of waiters) {
      assert.deepEqual(await settled(waiter), {
        granted: false,
        resource: 'r',
        reason: 'closed',
        ttlRemainingMs: 0,
      });
    }
    assert.equal(time.pendingTimers, 0);
    assert.equal(service.waiting, 0);
    assert.equal((await service.acquire({ resource: 'free' })).granted, false);
    service.close();
  });

  test('when things happen, then hooks report them in order with what the log lines need', async () => {
    const { service, time, events } = setup();
    const holder = asGrant(await service.acquire({ resource: 'r', ttlMs: 1_000 }));
    await service.acquire({ resource: 'r' });
    const waiting = service.acquire({ resource: 'r', ttlMs: 1_000, waitMs: 5_000 });
    service.release({ resource: 'r', token: holder.token });
    await waiting;
    time.advance(1_000);
    assert.deepEqual(
      events.map((e) => `${e.type}:${e.resource}`),
      ['granted:r', 'denied:r', 'queued:r', 'released:r', 'granted:r', 'expired:r'],
    );
    assert.deepEqual(events[2], { type: 'queued', resource: 'r', position: 1, waitMs: 5_000 });
  });

  test('when run on the platform timers and clock, then a waiter is granted once the lease expires', async () => {
    const service = createLockService({
      now: () => performance.now(),
      tokens: {
        next: (() => {
          let n = 0;
          return () => ++n;
        })(),
      },
      timers: { setTimeout, clearTimeout },
    });
    const started = performance.now();
    await service.acquire({ resource: 'r', ttlMs: 40 });
    // The waiter starts a little after the lease did: it waits at least the rest of the lease
    // (waitedMs is rounded to whole ms, hence the 1 ms of slack).
    const waitStarted = performance.now();
    const grant = asGrant(await service.acquire({ resource: 'r', ttlMs: 40, waitMs: 2_000 }));
    assert.ok(performance.now() - started >= 39, 'granted before the lease ran out');
    assert.ok(grant.waitedMs >= started + 40 - waitStarted - 1, `waited only ${grant.waitedMs} ms`);
    assert.ok(grant.waitedMs < 1_000);
    service.close();
  });
});

describe('lock request validation', () => {
  test('when ttl and wait are absent, then the defaults apply', () => {
    assert.deepEqual(validateLockRequest({ resource: 'Hubble-Acad_2025-12-01T03:00:00Z' }), {
      ok: true,
      value: { resource: 'Hubble-Acad_2025-12-01T03:00:00Z', ttlMs: DEFAULT_TTL_MS, waitMs: 0 },
    });
  });

  test('when values sit on the bounds, then they are accepted', () => {
    assert.equal(validateLockRequest({ resource: 'r', ttlMs: 1, waitMs: 0 }).ok, true);
    assert.equal(
      validateLockRequest({ resource: 'x'.repeat(256), ttlMs: MAX_TTL_MS, waitMs: MAX_WAIT_MS }).ok,
      true,
    );
  });

  test('when several fields are wrong, then every problem is reported at once', () => {
    const result = validateLockRequest({ resource: 'a\nb', ttlMs: 0, waitMs: MAX_WAIT_MS + 1 });
    assert.deepEqual(result.ok ? [] : result.problems.map((p) => p.field), ['resource', 'ttlMs', 'waitMs']);
  });

  test('when values have the wrong type or are not integers, then they are refused', () => {
    for (const input of [
      { resource: 7 },
      { resource: '' },
      { resource: 'x'.repeat(257) },
      { resource: 'r', ttlMs: '1000' },
      { resource: 'r', ttlMs: 1.5 },
      { resource: 'r', waitMs: Number.NaN },
      { resource: 'r', ttlMs: null },
    ]) {
      assert.equal(validateLockRequest(input).ok, false, JSON.stringify(input));
    }
  });
});
