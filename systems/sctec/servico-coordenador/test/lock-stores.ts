/**
 * Lock services over each store, for the contract suite and the multi-coordinator tests: the
 * in-memory default, and Redis / PostgreSQL shared by N lock-service instances (each one a
 * "coordinator" with its own connections). Every harness uses its own key prefix or schema
 * and deletes it on `dispose()`.
 */
import { TEST_POSTGRES_URL, TEST_REDIS_URL, uniqueName } from '@dslab/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createMemoryTokenStore } from '../src/adapters/token-store.js';
import { createPostgresLockStore } from '../src/adapters/postgres-lock-store.js';
import { createRedisLockStore } from '../src/adapters/redis-lock-store.js';
import type { LockService, LockServiceEvent } from '../src/domain/lock-service.js';
import type { SharedLockStore } from '../src/domain/shared-lock-service.js';
import { createLockEvents } from '../src/lock-events.js';
import { createPlatformLockService, createSharedPlatformLockService } from '../src/wiring.js';

export type StoreKind = 'memory' | 'redis' | 'postgres';
export const STORE_KINDS: readonly StoreKind[] = ['memory', 'redis', 'postgres'];
export const SHARED_KINDS: readonly Exclude<StoreKind, 'memory'>[] = ['redis', 'postgres'];

export interface Instance {
  readonly service: LockService;
  readonly events: LockServiceEvent[];
  /**
   * The process dies: from now on its store calls fail (no more steps, no cleanup of its
   * tickets), as if it had crashed. Its timers are cleared by `dispose()`.
   */
  kill(): void;
}

export interface Harness {
  readonly instances: Instance[];
  /** Redis only: the store forgets its token counter, as a Redis restarted without persistence. */
  loseTokenCounter?: () => Promise<void>;
  dispose(): Promise<void>;
}

export interface HarnessOptions {
  readonly instances?: number;
  readonly ticketLivenessMs?: number;
  readonly pollMs?: number;
}

/** A store whose calls fail once killed: what the other coordinators see of a crashed one. */
function killable(store: SharedLockStore): { store: SharedLockStore; kill: () => void } {
  let dead = false;
  const unsubscribes: (() => void)[] = [];
  const guard = <T>(call: () => Promise<T>): Promise<T> =>
    dead ? Promise.reject(new Error('this coordinator is dead')) : call();
  return {
    kill() {
      dead = true;
      for (const unsubscribe of unsubscribes) unsubscribe();
    },
    store: {
      acquire: (...args) => guard(() => store.acquire(...args)),
      retry: (...args) => guard(() => store.retry(...args)),
      leave: (...args) => guard(() => store.leave(...args)),
      release: (...args) => guard(() => store.release(...args)),
      holder: (...args) => guard(() => store.holder(...args)),
      expireIfDue: (...args) => guard(() => store.expireIfDue(...args)),
      heldCount: () => guard(() => store.heldCount()),
      onWake(listener) {
        const unsubscribe = store.onWake((resource) => {
          if (!dead) listener(resource);
        });
        unsubscribes.push(unsubscribe);
        return unsubscribe;
      },
    },
  };
}

function instanceOn(store: SharedLockStore, pollMs: number | undefined): Instance {
  const events = createLockEvents();
  const seen: LockServiceEvent[] = [];
  events.subscribe((event) => seen.push(event));
  const { store: guarded, kill } = killable(store);
  const service = createSharedPlatformLockService({
    store: guarded,
    events,
    ...(pollMs === undefined ? {} : { pollMs }),
  });
  return { service, events: seen, kill };
}

export async function openHarness(kind: StoreKind, options: HarnessOptions = {}): Promise<Harness> {
  const count = options.instances ?? 1;
  const liveness =
    options.ticketLivenessMs === undefined ? {} : { ticketLivenessMs: options.ticketLivenessMs };
  if (kind === 'memory') {
    if (count !== 1) throw new Error('the memory store serves one process only');
    const events = createLockEvents();
    const seen: LockServiceEvent[] = [];
    events.subscribe((event) => seen.push(event));
    const service = createPlatformLockService({ tokens: createMemoryTokenStore(), events });
    return {
      instances: [{ service, events: seen, kill: () => undefined }],
      dispose: () => service.close(),
    };
  }
  if (kind === 'redis') {
    const prefix = uniqueName('locktest');
    const clients: Redis[] = [];
    const closers: (() => Promise<void>)[] = [];
    const instances: Instance[] = [];
    for (let i = 0; i < count; i++) {
      const redis = new Redis(TEST_REDIS_URL);
      const subscriber = new Redis(TEST_REDIS_URL);
      clients.push(redis, subscriber);
      const store = await createRedisLockStore({ redis, subscriber, prefix, ...liveness });
      const instance = instanceOn(store, options.pollMs);
      instances.push(instance);
      closers.push(async () => {
        await instance.service.close();
        await store.close();
      });
    }
    return {
      instances,
      async loseTokenCounter() {
        await clients[0]?.del(`${prefix}:tokens`);
      },
      async dispose() {
        await Promise.all(closers.map((close) => close()));
        const cleaner = clients[0];
        if (cleaner !== undefined) {
          const keys = await cleaner.keys(`${prefix}:*`);
          if (keys.length > 0) await cleaner.del(...keys);
        }
        await Promise.all(clients.map((client) => client.quit()));
      },
    };
  }
  const schema = uniqueName('locktest').toLowerCase();
  const pools: pg.Pool[] = [];
  const closers: (() => Promise<void>)[] = [];
  const instances: Instance[] = [];
  for (let i = 0; i < count; i++) {
    const pool = new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 8 });
    pools.push(pool);
    const store = await createPostgresLockStore({ pool, schema, ...liveness });
    const instance = instanceOn(store, options.pollMs);
    instances.push(instance);
    closers.push(async () => {
      await instance.service.close();
      await store.close();
    });
  }
  return {
    instances,
    async dispose() {
      await Promise.all(closers.map((close) => close()));
      await pools[0]?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await Promise.all(pools.map((pool) => pool.end()));
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` (which may be async) until it holds, failing after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}
