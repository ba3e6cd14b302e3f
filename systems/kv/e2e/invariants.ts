/**
 * The e2e tests' oracle, independent of the code under test: it reads kv_store with plain SQL and
 * the cache hashes with plain HMGET/PTTL, and compares them with what the clients were told (the
 * versions in the 202 answers). Pure comparison functions, so they are unit-tested to fail.
 */
import type { KvTables } from '@dslab/kv-core';
import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';

/** A write the API accepted (answered 202 with this version). value null = DELETE. */
export interface AcceptedWrite {
  readonly key: string;
  readonly version: number;
  readonly value: string | null;
}

/** What a key must hold once every accepted write was applied: its highest-version write. */
export interface Expected {
  readonly version: number;
  readonly value: string | null;
}

export interface StoredRow {
  readonly key: string;
  readonly value: string | null;
  readonly version: number;
  readonly deleted: boolean;
}

/** A cache hash as Redis holds it, with its remaining time to live (PTTL: -1 = none). */
export interface CachedHash {
  readonly v: string | null;
  readonly d: string | null;
  readonly val: string | null;
  readonly ttlMs: number;
}

/** A GET the clients saw: 200 with a value, or 404 (with the version of the tombstone, 0 if none). */
export type Observation =
  | { readonly key: string; readonly status: 200; readonly version: number; readonly value: string }
  | { readonly key: string; readonly status: 404; readonly version: number };

export function lastAccepted(writes: Iterable<AcceptedWrite>): Map<string, Expected> {
  const expected = new Map<string, Expected>();
  for (const write of writes) {
    const current = expected.get(write.key);
    if (current === undefined || write.version > current.version)
      expected.set(write.key, { version: write.version, value: write.value });
  }
  return expected;
}

function show(value: string | null): string {
  return value === null ? 'tombstone' : JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/**
 * Convergence, for every key of `keys` (every key the test touched):
 * - PostgreSQL holds exactly the highest-version accepted write (a DELETE as a tombstone with
 *   its version), and no row for a key never written;
 * - the cache entry, if any, equals PostgreSQL's row (a never-written key may only be cached as
 *   the negative entry v=0), and carries a TTL;
 * - PostgreSQL holds no row for keys outside `keys` (nothing appears from nowhere).
 * Returns one line per problem (empty = converged).
 */
export function convergenceProblems(input: {
  keys: Iterable<string>;
  expected: ReadonlyMap<string, Expected>;
  rows: ReadonlyMap<string, StoredRow>;
  cached: ReadonlyMap<string, CachedHash | undefined>;
}): string[] {
  const problems: string[] = [];
  const keys = new Set(input.keys);
  for (const key of input.rows.keys())
    if (!keys.has(key)) problems.push(`"${key}": PostgreSQL has a row for a key no test wrote`);
  for (const key of keys) {
    const want = input.expected.get(key);
    const row = input.rows.get(key);
    if (want === undefined) {
      if (row !== undefined)
        problems.push(`"${key}": never written, but PostgreSQL has v${String(row.version)}`);
    } else if (row === undefined) {
      problems.push(`"${key}": PostgreSQL has no row, expected v${String(want.version)} ${show(want.value)}`);
    } else {
      if (row.version !== want.version || row.value !== want.value)
        problems.push(
          `"${key}": PostgreSQL has v${String(row.version)} ${show(row.value)}, the last accepted write is v${String(want.version)} ${show(want.value)}`,
        );
      if (row.deleted !== (row.value === null))
        problems.push(
          `"${key}": PostgreSQL row has deleted=${String(row.deleted)} with value ${show(row.value)}`,
        );
    }
    const hash = input.cached.get(key);
    if (hash === undefined) continue;
    if (hash.v === null) {
      problems.push(`"${key}": the cache hash has no version field`);
      continue;
    }
    const cachedVersion = Number(hash.v);
    const cachedValue = hash.d === '1' ? null : hash.val;
    const storedVersion = row?.version ?? 0;
    const storedValue = row?.value ?? null;
    if (cachedVersion !== storedVersion || cachedValue !== storedValue)
      problems.push(
        `"${key}": the cache has v${String(cachedVersion)} ${show(cachedValue)}, PostgreSQL has v${String(storedVersion)} ${show(storedValue)}`,
      );
    if (hash.ttlMs < 0) problems.push(`"${key}": the cache entry has no TTL`);
  }
  return problems;
}

/**
 * Every GET answer must show a state some accepted write produced: a 200's (version, value) is an
 * accepted PUT of that key with that version and value; a 404 with a version > 0 is an accepted
 * DELETE of that key. (No value out of nowhere, no mix of one write's version and another's value.)
 */
export function observationProblems(
  observations: Iterable<Observation>,
  writes: Iterable<AcceptedWrite>,
): string[] {
  const byVersion = new Map<number, AcceptedWrite>();
  for (const write of writes) byVersion.set(write.version, write);
  const problems: string[] = [];
  for (const seen of observations) {
    if (seen.status === 404 && seen.version === 0) continue;
    const write = byVersion.get(seen.version);
    const what =
      seen.status === 200
        ? `200 v${String(seen.version)} ${show(seen.value)}`
        : `404 v${String(seen.version)}`;
    if (write === undefined)
      problems.push(`GET "${seen.key}" answered ${what}, a version no accepted write has`);
    else if (write.key !== seen.key)
      problems.push(
        `GET "${seen.key}" answered ${what}, but v${String(seen.version)} was a write of "${write.key}"`,
      );
    else if ((seen.status === 200 ? seen.value : null) !== write.value)
      problems.push(
        `GET "${seen.key}" answered ${what}, but v${String(seen.version)} wrote ${show(write.value)}`,
      );
  }
  return problems;
}

/** Every kv_store row of the schema, read with plain SQL. */
export async function readRows(db: Kysely<KvTables>): Promise<Map<string, StoredRow>> {
  const { rows } =
    await sql<StoredRow>`SELECT key, value, version::float8 AS version, deleted FROM kv_store`.execute(db);
  return new Map(rows.map((row) => [row.key, row]));
}

/** The cache hash and PTTL of every key, read with plain HMGET/PTTL (one pipeline). */
export async function readCache(
  redis: Redis,
  prefix: string,
  keys: readonly string[],
): Promise<Map<string, CachedHash | undefined>> {
  const pipeline = redis.pipeline();
  for (const key of keys) {
    pipeline.hmget(prefix + key, 'v', 'd', 'val');
    pipeline.pttl(prefix + key);
  }
  const replies = (await pipeline.exec()) ?? [];
  const cached = new Map<string, CachedHash | undefined>();
  keys.forEach((key, i) => {
    const [fieldsError, fields] = replies[2 * i] ?? [null, null];
    const [ttlError, ttl] = replies[2 * i + 1] ?? [null, null];
    if (fieldsError !== null) throw fieldsError;
    if (ttlError !== null) throw ttlError;
    const [v, d, val] = fields as (string | null)[];
    cached.set(
      key,
      v === null && d === null && val === null
        ? undefined
        : { v: v ?? null, d: d ?? null, val: val ?? null, ttlMs: Number(ttl) },
    );
  });
  return cached;
}

/** Reads both engines and compares them with the accepted writes. */
export async function checkConvergence(input: {
  db: Kysely<KvTables>;
  redis: Redis;
  cachePrefix: string;
  keys: Iterable<string>;
  writes: Iterable<AcceptedWrite>;
}): Promise<string[]> {
  const keys = [...new Set(input.keys)];
  const [rows, cached] = await Promise.all([
    readRows(input.db),
    readCache(input.redis, input.cachePrefix, keys),
  ]);
  return convergenceProblems({ keys, expected: lastAccepted(input.writes), rows, cached });
}
