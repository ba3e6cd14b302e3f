/**
 * The KV domain: what a key holds and what a queued write says. Pure data, no I/O.
 *
 * Every accepted write gets a version from one PostgreSQL sequence when the API accepts it, so
 * versions are strictly increasing across API replicas and independent of their clocks. The
 * "last accepted write" of a key is its write with the highest version; every copy of the key
 * (PostgreSQL, the Redis cache) converges to it because each copy only ever replaces a lower
 * version (last-writer-wins by version).
 */

/** What a key holds in one copy (PostgreSQL or the cache). */
export interface KvEntry {
  readonly key: string;
  /** The value; null when the key was deleted (a tombstone) or never written. */
  readonly value: string | null;
  /** Version of the write that produced this state; 0 = never written. */
  readonly version: number;
  /** The server time the API accepted that write (ISO-8601 UTC); null when never written. */
  readonly writtenAt: string | null;
}

/** A write accepted by the API and queued for the consumer. */
export type KvWrite =
  | {
      readonly op: 'put';
      readonly key: string;
      readonly value: string;
      readonly version: number;
      readonly timestamp: string;
    }
  | { readonly op: 'delete'; readonly key: string; readonly version: number; readonly timestamp: string };

export type KvOp = KvWrite['op'];

/** What the API answers for an accepted write: the message is safely queued (confirmed). */
export interface QueuedWrite {
  readonly queue: string;
  readonly key: string;
  readonly version: number;
  readonly timestamp: string;
}

export const KV_LIMITS = {
  /** Characters of a key. */
  keyMaxLength: 512,
  /** UTF-8 bytes of a value (256 KiB). */
  valueMaxBytes: 262_144,
  /** Bytes of a request body (512 KiB): a maximal value JSON-escaped still fits mostly. */
  bodyLimitBytes: 524_288,
} as const;

/** The state of a key nobody ever wrote (what the cache stores as a negative entry). */
export function absentEntry(key: string): KvEntry {
  return { key, value: null, version: 0, writtenAt: null };
}

/** The state a write leaves behind when it wins. */
export function entryOf(write: KvWrite): KvEntry {
  return {
    key: write.key,
    value: write.op === 'put' ? write.value : null,
    version: write.version,
    writtenAt: write.timestamp,
  };
}
