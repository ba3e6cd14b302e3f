/**
 * Password hashing with scrypt (node:crypto): the hash carries its scheme and parameters
 * (`scrypt$N$r$p$salt$key`, base64url), so the cost can be raised later without invalidating
 * stored hashes. Verification recomputes with the stored parameters and compares in constant time.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt parameters (OWASP minimum N=2^14, r=8, p=1), stored with each hash so they can be raised later. */
export const SCRYPT_PARAMS = { N: 16_384, r: 8, p: 1, keyLength: 64 } as const;

/** The most memory one derivation may use (N=2^14, r=8 needs 16 MiB). */
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFC'),
      salt,
      keyLength,
      { ...options, maxmem: MAX_MEMORY_BYTES },
      (error, key) => {
        if (error) reject(error);
        else resolve(key);
      },
    );
  });
}

/** A fresh salted hash of `password` (NFC-normalised first, so the same text always matches). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, SCRYPT_PARAMS.keyLength, SCRYPT_PARAMS);
  return [
    'scrypt',
    SCRYPT_PARAMS.N,
    SCRYPT_PARAMS.r,
    SCRYPT_PARAMS.p,
    salt.toString('base64url'),
    key.toString('base64url'),
  ].join('$');
}

/**
 * True when `password` matches `stored` (a hashPassword result). A stored value that is not an
 * scrypt hash answers false; parameters scrypt refuses reject.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, saltText, keyText] = stored.split('$');
  if (scheme !== 'scrypt' || saltText === undefined || keyText === undefined) return false;
  const expected = Buffer.from(keyText, 'base64url');
  const key = await derive(password, Buffer.from(saltText, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}
