/**
 * Fault injection for the e2e tests: a wrapper around the real PostgreSQL store (ours) or the
 * lecture's pg client that fails every call while "PostgreSQL is down", the way a refused
 * connection does, and passes calls through otherwise.
 */
import type { KvStore } from '@dslab/kv-core';
import type { LecturePgClient } from '@dslab/kv-core/testing';

export const INJECTED_OUTAGE = 'connect ECONNREFUSED 127.0.0.1:5432 (injected: PostgreSQL is down)';

export interface Outage {
  /** True while every call fails. */
  down: boolean;
  /** Calls refused so far. */
  readonly refused: number;
}

function outage(): Outage & { refuse(): never } {
  let refused = 0;
  return {
    down: false,
    get refused() {
      return refused;
    },
    refuse(): never {
      refused += 1;
      throw new Error(INJECTED_OUTAGE);
    },
  };
}

/** The real store, failing its reads and applies while `outage.down`. */
export function flakyStore(real: KvStore): { store: KvStore; outage: Outage } {
  const state = outage();
  const store: KvStore = {
    nextVersion: () => real.nextVersion(),
    highestIssuedVersion: () => real.highestIssuedVersion(),
    async read(key) {
      if (state.down) state.refuse();
      return real.read(key);
    },
    async apply(write) {
      if (state.down) state.refuse();
      return real.apply(write);
    },
  };
  return { store, outage: state };
}

/** The lecture's pgClient, failing every query while `outage.down`. */
export function flakyLecturePg(real: LecturePgClient): { pgClient: LecturePgClient; outage: Outage } {
  const state = outage();
  return {
    pgClient: {
      async query(text, values) {
        if (state.down) state.refuse();
        return real.query(text, values);
      },
    },
    outage: state,
  };
}

/** The real store, counting the writes it applies. */
export function countingStore(real: KvStore): { store: KvStore; applied: () => number } {
  let applied = 0;
  return {
    store: {
      ...real,
      async apply(write) {
        applied += 1;
        return real.apply(write);
      },
    },
    applied: () => applied,
  };
}
