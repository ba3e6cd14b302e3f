/**
 * What the KV use cases need from the outside: a durable store (PostgreSQL) and a cache (Redis).
 * The adapters in `../adapters/` implement them over real engines.
 */
import type { KvEntry, KvWrite } from '../domain/types.js';

export interface ApplyResult {
  /** True when this write changed the store (it was newer than what the store held). */
  readonly applied: boolean;
  /** The key's state after the write: this write, or a newer one that had already won. */
  readonly current: KvEntry;
}

export interface KvStore {
  /** Issues the next version (strictly increasing across every API replica, durable). */
  nextVersion(): Promise<number>;
  /** The highest version ever issued (0 before the first); a version above it does not exist yet. */
  highestIssuedVersion(): Promise<number>;
  /** The stored state of a key (a tombstone has value null), or undefined if never written. */
  read(key: string): Promise<KvEntry | undefined>;
  /** Several keys at once; keys never written are absent from the map. */
  readMany?(keys: readonly string[]): Promise<Map<string, KvEntry>>;
  /** Last-writer-wins upsert: the write takes effect only if its version is higher than the stored one. */
  apply(write: KvWrite): Promise<ApplyResult>;
}

export interface KvCache {
  /** The cached state of a key, or undefined on a miss (a cached tombstone has value null). */
  get(key: string): Promise<KvEntry | undefined>;
  /** Caches `entry` only if the cache holds no entry of this key or an older one; true if it did. */
  setIfNewer(entry: KvEntry): Promise<boolean>;
}
