/**
 * GET: cache-aside with versioned fills, plus read-your-writes on request.
 *
 * Hit → the cached state (a cached tombstone or negative entry answers 404 without touching
 * PostgreSQL). Miss → PostgreSQL, then fill the cache through setIfNewer, so a fill that lost
 * a race with the consumer cannot overwrite the newer entry. Redis failing never fails a GET:
 * it answers from PostgreSQL and logs a warning once per outage.
 *
 * `minVersion` = V (from a PUT's answer): a visible version ≥ V answers at once; otherwise
 * PostgreSQL is polled until it shows ≥ V or the wait ends (425 version-not-visible,
 * Retry-After). A V above the highest version ever issued can never appear: 409 at once.
 */
import { AppError } from '@dslab/errors';
import { absentEntry, type KvEntry } from '../domain/types.js';
import { messageOf, type KvLogger } from './logger.js';
import type { KvCache, KvStore } from './ports.js';

export interface KvRead {
  readonly entry: KvEntry;
  readonly source: 'redis' | 'postgres';
}

export interface KvReadOptions {
  /** Answer only once this version (or a newer one) of the key is visible. */
  readonly minVersion?: number | undefined;
}

export interface KvReader {
  /** The key's value; throws AppError not-found / version-not-visible (425) / conflict (409). */
  get(key: string, options?: KvReadOptions): Promise<KvRead>;
}

export interface KvReaderOptions {
  store: KvStore;
  cache: KvCache;
  logger: KvLogger;
  /** How long a GET with min_version waits for that version before answering 425. */
  minVersionWaitMs: number;
  /** Pause between PostgreSQL polls while waiting (default 15 ms). */
  pollIntervalMs?: number;
  /** Injected for tests; default a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Monotonic milliseconds for the wait's deadline (default performance.now). */
  monotonicNow?: () => number;
}

export const DEFAULT_POLL_INTERVAL_MS = 15;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createKvReader(options: KvReaderOptions): KvReader {
  const { store, cache, logger, minVersionWaitMs } = options;
  const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const sleep = options.sleep ?? defaultSleep;
  const monotonicNow = options.monotonicNow ?? (() => performance.now());
  let cacheDown = false;

  function cacheFailed(error: unknown): void {
    if (cacheDown) return;
    cacheDown = true;
    logger.warn(`Cache indisponível, respondendo pelo PostgreSQL: ${messageOf(error)}`);
  }

  async function readCache(key: string): Promise<{ entry: KvEntry | undefined; ok: boolean }> {
    try {
      const entry = await cache.get(key);
      if (cacheDown) {
        cacheDown = false;
        logger.info('Cache disponível de novo');
      }
      return { entry, ok: true };
    } catch (error) {
      cacheFailed(error);
      return { entry: undefined, ok: false };
    }
  }

  async function fill(entry: KvEntry): Promise<void> {
    try {
      await cache.setIfNewer(entry);
    } catch (error) {
      cacheFailed(error);
    }
  }

  function answer(entry: KvEntry, source: KvRead['source']): KvRead {
    if (entry.value === null) {
      throw new AppError('not-found', `Key not found: "${entry.key}"`, {
        extensions: { key: entry.key, version: entry.version },
      });
    }
    return { entry, source };
  }

  async function readStore(key: string): Promise<KvEntry> {
    return (await store.read(key)) ?? absentEntry(key);
  }

  async function waitForVersion(key: string, minVersion: number, seen: KvEntry): Promise<KvEntry> {
    const highest = await store.highestIssuedVersion();
    if (minVersion > highest) {
      throw new AppError('conflict', `version ${minVersion} was never issued`, {
        extensions: { key, min_version: minVersion, highest_version: highest },
      });
    }
    const deadline = monotonicNow() + minVersionWaitMs;
    let entry = seen;
    for (;;) {
      const remaining = deadline - monotonicNow();
      if (remaining <= 0) {
        throw new AppError(
          'version-not-visible',
          `version ${minVersion} of key "${key}" is not visible yet (visible: ${entry.version}); retry shortly`,
          {
            extensions: { key, min_version: minVersion, visible_version: entry.version },
            headers: { 'Retry-After': '1' },
          },
        );
      }
      await sleep(Math.min(pollIntervalMs, remaining));
      entry = await readStore(key);
      if (entry.version >= minVersion) return entry;
    }
  }

  return {
    async get(key, readOptions = {}) {
      const { minVersion } = readOptions;
      const cached = await readCache(key);
      if (cached.entry !== undefined && (minVersion === undefined || cached.entry.version >= minVersion)) {
        return answer(cached.entry, 'redis');
      }
      let entry = await readStore(key);
      if (minVersion !== undefined && entry.version < minVersion) {
        entry = await waitForVersion(key, minVersion, entry);
      }
      if (cached.ok) await fill(entry);
      return answer(entry, 'postgres');
    },
  };
}
