/**
 * Idempotency keys (DESIGN §3): a retry with the same key and the same request gets the stored
 * original result, not a second charge; the same key with a different request is a client bug
 * and is refused rather than guessed at.
 *
 * "Same request" is decided on a canonical fingerprint: JSON with object keys sorted at every
 * level and no spaces, so field order and formatting do not matter. The adapter may hash it
 * (the domain does no crypto); comparing the canonical text itself is equally correct.
 */

/** The key's shape is shared by every checkout service that takes one (pedidos too). */
export { IDEMPOTENCY_KEY_PATTERN, isIdempotencyKey } from '@dslab/checkout-contracts/validation';

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** Canonical JSON: sorted keys, no whitespace. Non-finite numbers are refused (JSON has none). */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`canonicalJson: ${value} has no JSON form`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${(value as readonly Json[]).map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map(
      (k) => `${JSON.stringify(k)}:${canonicalJson((value as { readonly [key: string]: Json })[k] ?? null)}`,
    );
  return `{${entries.join(',')}}`;
}

/** What is stored under a key: still running, or finished with its result. */
export type StoredEntry<R> =
  | { readonly state: 'in-progress'; readonly fingerprint: string }
  | { readonly state: 'done'; readonly fingerprint: string; readonly result: R };

/**
 * - `execute`: first use of the key; store `in-progress` with this fingerprint, then run.
 * - `replay`: same key, same request, finished; answer the stored result unchanged.
 * - `in-progress`: same key, same request, still running; ask the client to retry later.
 * - `conflict`: same key, different request; refuse (catalog: idempotency-key-reused).
 */
export type IdempotencyDecision<R> =
  | { readonly kind: 'execute' }
  | { readonly kind: 'replay'; readonly result: R }
  | { readonly kind: 'in-progress' }
  | { readonly kind: 'conflict' };

export function decideIdempotency<R>(
  stored: StoredEntry<R> | undefined,
  fingerprint: string,
): IdempotencyDecision<R> {
  if (stored === undefined) return { kind: 'execute' };
  if (stored.fingerprint !== fingerprint) return { kind: 'conflict' };
  if (stored.state === 'in-progress') return { kind: 'in-progress' };
  return { kind: 'replay', result: stored.result };
}
