/**
 * Field validators for scientists and telescopes. Each returns the value to store (possibly
 * normalised) or one reason in plain English. Lengths count Unicode code points, not UTF-16 units.
 * Password reasons never repeat the password.
 */
import { quoteForMessage } from './time.js';

export type Validation<T = string> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export const EMAIL_MAX_LENGTH = 254;
export const EMAIL_LOCAL_MAX_LENGTH = 64;
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 200;
export const NAME_MAX_LENGTH = 120;
export const TELESCOPE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

// A lone surrogate has no UTF-8 encoding: storing it would silently turn it into U+FFFD.
const LONE_SURROGATE = /\p{Cs}/u;

// RFC 5322 dot-atom local part (no quoted strings) and an LDH domain of two or more labels, the
// last not all digits. Internationalised domains are accepted in their ASCII (xn--) form.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * A practical address check (not full RFC 5322): `local@domain.tld`, ASCII only, at most 254
 * characters. Surrounding whitespace is trimmed; the domain is lower-cased (domains are
 * case-insensitive, local parts formally are not, so the local part is kept as typed).
 */
export function validateEmail(input: string): Validation {
  const text = input.trim();
  const shown = quoteForMessage(text);
  if (text === '') return { ok: false, reason: 'email is empty' };
  if (text.length > EMAIL_MAX_LENGTH)
    return { ok: false, reason: `email is longer than ${EMAIL_MAX_LENGTH} characters` };
  const at = text.lastIndexOf('@');
  if (at < 0 || text.indexOf('@') !== at) {
    return { ok: false, reason: `email ${shown} must contain exactly one "@"` };
  }
  const local = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (local === '') return { ok: false, reason: `email ${shown} has nothing before "@"` };
  if (local.length > EMAIL_LOCAL_MAX_LENGTH) {
    return {
      ok: false,
      reason: `email ${shown} has more than ${EMAIL_LOCAL_MAX_LENGTH} characters before "@"`,
    };
  }
  if (!LOCAL_PART.test(local)) {
    return { ok: false, reason: `email ${shown} has characters or dots before "@" that are not accepted` };
  }
  const labels = domain.split('.');
  if (
    labels.length < 2 ||
    !labels.every((label) => DOMAIN_LABEL.test(label)) ||
    /^[0-9]+$/.test(labels[labels.length - 1] ?? '')
  ) {
    return { ok: false, reason: `email ${shown} does not end in a valid domain name such as example.org` };
  }
  return { ok: true, value: `${local}@${domain.toLowerCase()}` };
}

/**
 * 8–200 code points, taken exactly as typed (no trimming: spaces are legitimate password
 * characters). Returned unchanged; the hashing adapter decides on Unicode normalisation.
 */
export function validatePassword(input: string): Validation {
  if (LONE_SURROGATE.test(input))
    return { ok: false, reason: 'password contains an invalid Unicode character (lone surrogate)' };
  const n = codePoints(input);
  if (n < PASSWORD_MIN_LENGTH)
    return {
      ok: false,
      reason: `password must have at least ${PASSWORD_MIN_LENGTH} characters (it has ${n})`,
    };
  if (n > PASSWORD_MAX_LENGTH)
    return {
      ok: false,
      reason: `password must have at most ${PASSWORD_MAX_LENGTH} characters (it has ${n})`,
    };
  return { ok: true, value: input };
}

// C0/C1 controls, line/paragraph separators, and bidirectional overrides/isolates: all of them can
// break or disguise a log line or an audit entry ("Cientista 'Marie Curie' …").
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069]/u;

/**
 * A person's display name: NFC-normalised and trimmed, then 1–120 code points with no control
 * characters (see FORBIDDEN_IN_NAME). Returns the normalised, trimmed name.
 */
export function validateName(input: string): Validation {
  if (LONE_SURROGATE.test(input))
    return { ok: false, reason: 'name contains an invalid Unicode character (lone surrogate)' };
  const text = input.normalize('NFC').trim();
  if (text === '') return { ok: false, reason: 'name is empty' };
  const n = codePoints(text);
  if (n > NAME_MAX_LENGTH)
    return { ok: false, reason: `name must have at most ${NAME_MAX_LENGTH} characters (it has ${n})` };
  if (FORBIDDEN_IN_NAME.test(text))
    return { ok: false, reason: `name ${quoteForMessage(text)} contains a control character` };
  return { ok: true, value: text };
}

/**
 * Telescope ids appear in URLs and lock resource names (`Hubble-Acad_2025-12-01T03:00:00Z`):
 * 1–64 ASCII characters, letters, digits, ".", "_" and "-", starting with a letter or digit.
 * Not trimmed or case-folded: the id is taken exactly as written.
 */
export function validateTelescopeId(input: string): Validation {
  if (TELESCOPE_ID_PATTERN.test(input)) return { ok: true, value: input };
  if (input === '') return { ok: false, reason: 'telescope id is empty' };
  if (input.length > 64)
    return { ok: false, reason: `telescope id ${quoteForMessage(input)} is longer than 64 characters` };
  return {
    ok: false,
    reason: `telescope id ${quoteForMessage(input)} must start with a letter or digit and contain only letters, digits, ".", "_" and "-"`,
  };
}
