/**
 * Limits on keys and values. Checked by the API (before a version is taken) and again when a
 * message is parsed, since a queue may carry messages from anyone who can publish to it.
 */
import { KV_LIMITS } from './types.js';

// U+0000–U+001F and U+007F: invisible in logs, break line-oriented tools and Redis key listings.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Why `key` is not a valid key, or undefined when it is. */
export function validateKey(key: unknown): string | undefined {
  if (typeof key !== 'string') return 'the key must be a string';
  if (key.length === 0) return 'the key must not be empty';
  if (key.length > KV_LIMITS.keyMaxLength) {
    return `the key must have at most ${KV_LIMITS.keyMaxLength} characters (has ${key.length})`;
  }
  if (CONTROL_CHARACTERS.test(key)) return 'the key must not contain control characters';
  return undefined;
}

/** Why `value` is not a valid value, or undefined when it is (the empty string is a value). */
export function validateValue(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'the value must be a string';
  // Most values are short: skip the byte count when even 3 bytes per UTF-16 unit would fit.
  if (value.length * 3 > KV_LIMITS.valueMaxBytes) {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > KV_LIMITS.valueMaxBytes) {
      return `the value must have at most ${KV_LIMITS.valueMaxBytes} bytes in UTF-8 (has ${bytes})`;
    }
  }
  return undefined;
}
