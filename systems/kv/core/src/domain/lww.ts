/**
 * Last-writer-wins by version: the one rule every copy of a key applies (PostgreSQL's upsert,
 * the cache's Lua script, the convergence checks mirror it).
 */
import type { KvEntry, KvWrite } from './types.js';

/** True when `candidate` must replace `current` (a strictly higher version; nothing beats itself). */
export function supersedes(
  candidate: { version: number },
  current: { version: number } | undefined,
): boolean {
  return current === undefined || candidate.version > current.version;
}

/** Orders by version, for sorting writes into acceptance order. */
export function compareVersions(a: { version: number }, b: { version: number }): number {
  return a.version - b.version;
}

/**
 * The last accepted write of every key among `writes` (in any order): what every copy must
 * converge to once all of them are applied.
 */
export function lastWrites(writes: Iterable<KvWrite>): Map<string, KvWrite> {
  const last = new Map<string, KvWrite>();
  for (const write of writes) {
    if (supersedes(write, last.get(write.key))) last.set(write.key, write);
  }
  return last;
}

/** Whether two entries describe the same state of a key (a tombstone's value is null). */
export function sameEntry(a: KvEntry, b: KvEntry): boolean {
  return a.key === b.key && a.version === b.version && a.value === b.value && a.writtenAt === b.writtenAt;
}
