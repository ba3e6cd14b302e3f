/**
 * The randomized workload of the convergence test, planned up front from a seed (pure): which
 * operation on which key with which value. Keys include characters that need URL encoding, and
 * values include the empty string (valid here; the lecture's `!key_value` refuses it), non-ASCII
 * text and a few larger values.
 */

export type PlannedOp =
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'delete'; readonly key: string }
  | { readonly kind: 'get'; readonly key: string }
  /** PUT, then GET ?min_version= of the version it was given: read-your-writes under load. */
  | { readonly kind: 'put-read'; readonly key: string; readonly value: string };

export interface WorkloadOptions {
  readonly keys: number;
  readonly ops: number;
}

const SPECIAL_KEYS = ['chave com espaço', 'ação/é?&=#%', 'emoji 🔑', 'a+b', 'x'.repeat(512)];

export function workloadKeys(count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < count; i++)
    keys.push(i < SPECIAL_KEYS.length ? (SPECIAL_KEYS[i] ?? '') : `key-${String(i)}`);
  return keys;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function randomValue(random: () => number, serial: number): string {
  const roll = random();
  if (roll < 0.05) return '';
  if (roll < 0.1) return `valor ${String(serial)} ✓ ação — 値`;
  if (roll < 0.13) return `${String(serial)}:`.padEnd(2000 + Math.floor(random() * 3000), 'z');
  return `v${String(serial)}-${Math.floor(random() * 1e9).toString(36)}`;
}

/**
 * A skewed key choice (a few hot keys get most writes, so writes to one key really race) mixed
 * with uniform picks (so every key is written). 45 % PUT, 15 % DELETE, 28 % GET, 12 % PUT+read.
 */
export function planWorkload(random: () => number, options: WorkloadOptions): PlannedOp[] {
  const keys = workloadKeys(options.keys);
  const hot = keys.slice(0, Math.max(1, Math.floor(keys.length / 8)));
  const ops: PlannedOp[] = [];
  for (let i = 0; i < options.ops; i++) {
    const key = random() < 0.4 ? pick(random, hot) : pick(random, keys);
    const roll = random();
    if (roll < 0.45) ops.push({ kind: 'put', key, value: randomValue(random, i) });
    else if (roll < 0.6) ops.push({ kind: 'delete', key });
    else if (roll < 0.88) ops.push({ kind: 'get', key });
    else ops.push({ kind: 'put-read', key, value: randomValue(random, i) });
  }
  return ops;
}
