/**
 * Signs and verifies decision receipts: JWS compact serialization, Ed25519 (`alg: EdDSA`), header
 * `kid` = RFC 7638 thumbprint of the public key, `typ: sctec-recibo+jwt`. The key is parsed and
 * imported once at start-up; signing a receipt is one Ed25519 signature.
 */
import { createPrivateKey, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import {
  calculateJwkThumbprint,
  compactVerify,
  decodeProtectedHeader,
  importJWK,
  importPKCS8,
  SignJWT,
  type JWK,
} from 'jose';
import {
  checkReceiptClaims,
  RECEIPT_ALG,
  RECEIPT_ISSUER,
  RECEIPT_TYPE,
  type ReceiptClaims,
  type SignedReceiptClaims,
} from '../domain/receipt.js';

/** The public half of the receipt key as published at `/.well-known/jwks.json`. */
export interface ReceiptPublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface ReceiptJwks {
  keys: ReceiptPublicJwk[];
}

export interface ReceiptSigner {
  /** RFC 7638 thumbprint of the public key; the `kid` of every receipt this signer makes. */
  readonly kid: string;
  readonly jwks: ReceiptJwks;
  /** Adds `iss`, `iat` and `jti` and returns the JWS compact serialization. */
  sign(claims: ReceiptClaims): Promise<string>;
}

export interface ReceiptSignerOptions {
  /** Ed25519 private key, PKCS#8 PEM; literal `\n` escapes (as in an environment variable) are accepted. */
  privateKeyPem: string;
  /** Wall clock in epoch milliseconds (`iat`). */
  now: () => number;
}

/** A receipt that does not verify: bad signature, unknown key, wrong header or claims. */
export class ReceiptVerificationError extends Error {
  override readonly name = 'ReceiptVerificationError';
}

/** Turns `\n` escapes (env-var style) into real line breaks; a real PEM passes unchanged. */
export function normalizePem(text: string): string {
  return text.replace(/\\r\\n|\\n/g, '\n').trim() + '\n';
}

function parseEd25519PrivateKey(privateKeyPem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: normalizePem(privateKeyPem), format: 'pem' });
  } catch (error) {
    // The key text never goes into the message.
    throw new Error(
      `The receipt signing key is not a readable PEM private key (expected Ed25519, PKCS#8 "BEGIN PRIVATE KEY"): ${
        (error as Error).message
      }`,
      { cause: error },
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(
      `The receipt signing key must be an Ed25519 private key; this one is ${key.asymmetricKeyType ?? 'of an unknown type'}. ` +
        'Make one with: openssl genpkey -algorithm ed25519',
    );
  }
  return key;
}

/** The public JWK (with kid = RFC 7638 thumbprint) of an Ed25519 key. */
async function publicJwkOf(key: KeyObject): Promise<ReceiptPublicJwk> {
  const exported = createPublicKey(key).export({ format: 'jwk' });
  if (exported.kty !== 'OKP' || exported.crv !== 'Ed25519' || typeof exported.x !== 'string') {
    throw new Error('Could not derive the Ed25519 public key of the receipt signing key');
  }
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: exported.x }, 'sha256');
  return { kty: 'OKP', crv: 'Ed25519', x: exported.x, kid, alg: 'EdDSA', use: 'sig' };
}

/** Builds the signer once at start-up: parses and checks the key, derives the JWKS. */
export async function createReceiptSigner(options: ReceiptSignerOptions): Promise<ReceiptSigner> {
  const keyObject = parseEd25519PrivateKey(options.privateKeyPem);
  const publicJwk = await publicJwkOf(keyObject);
  // A CryptoKey imported once: jose would otherwise convert the KeyObject on each signature.
  const signingKey = await importPKCS8(
    keyObject.export({ type: 'pkcs8', format: 'pem' }).toString(),
    RECEIPT_ALG,
  );
  const header = { alg: RECEIPT_ALG, kid: publicJwk.kid, typ: RECEIPT_TYPE };
  const jwks: ReceiptJwks = { keys: [publicJwk] };
  return {
    kid: publicJwk.kid,
    jwks,
    async sign(claims) {
      const payload: SignedReceiptClaims = {
        ...claims,
        iss: RECEIPT_ISSUER,
        iat: Math.floor(options.now() / 1000),
        jti: randomUUID(),
      };
      return new SignJWT({ ...payload }).setProtectedHeader(header).sign(signingKey);
    },
  };
}

function findKey(jwks: { keys: readonly JWK[] }, kid: string): JWK {
  const key = jwks.keys.find((k) => k.kid === kid);
  if (key === undefined) {
    const known = jwks.keys.map((k) => k.kid ?? '(no kid)').join(', ');
    throw new ReceiptVerificationError(
      `The receipt was signed with key ${kid}, which is not in the given key set (known: ${known || 'none'})`,
    );
  }
  if (key.kty !== 'OKP' || key.crv !== 'Ed25519' || typeof key.x !== 'string') {
    throw new ReceiptVerificationError(`Key ${kid} in the key set is not an Ed25519 public key`);
  }
  return key;
}

/**
 * Checks a receipt against a key set: the header (`alg` EdDSA, `typ`, a known `kid`), the Ed25519
 * signature, and that the payload carries every receipt claim. Throws `ReceiptVerificationError`
 * with a readable reason otherwise.
 */
export async function verifyReceipt(
  receipt: string,
  jwks: { keys: readonly JWK[] },
): Promise<{ claims: SignedReceiptClaims; kid: string }> {
  const jws = receipt.trim();
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(jws)) {
    throw new ReceiptVerificationError(
      'Not a JWS compact serialization (expected three base64url parts separated by dots)',
    );
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new ReceiptVerificationError('The receipt header is not valid base64url JSON');
  }
  if (header.alg !== RECEIPT_ALG) {
    throw new ReceiptVerificationError(
      `The receipt's alg is ${JSON.stringify(header.alg)}; receipts are signed with ${RECEIPT_ALG} (Ed25519)`,
    );
  }
  if (header.typ !== RECEIPT_TYPE) {
    throw new ReceiptVerificationError(
      `The receipt's typ is ${JSON.stringify(header.typ)}, not ${RECEIPT_TYPE}: this is not an SCTEC decision receipt`,
    );
  }
  if (typeof header.kid !== 'string' || header.kid === '') {
    throw new ReceiptVerificationError('The receipt header names no key (kid)');
  }
  const kid = header.kid;
  const jwk = findKey(jwks, kid);
  const thumbprint = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x ?? '' }, 'sha256');
  if (thumbprint !== kid) {
    throw new ReceiptVerificationError(
      `Key ${kid} in the key set does not match its own thumbprint (${thumbprint}): the key set was altered`,
    );
  }
  let payloadBytes: Uint8Array;
  try {
    const publicKey = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: jwk.x ?? '' }, RECEIPT_ALG);
    ({ payload: payloadBytes } = await compactVerify(jws, publicKey, { algorithms: [RECEIPT_ALG] }));
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new ReceiptVerificationError(
      code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
        ? `The signature does not match key ${kid}: the receipt was altered or signed by another key`
        : `The receipt could not be verified with key ${kid}: ${(error as Error).message}`,
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(new TextDecoder().decode(payloadBytes));
  } catch {
    throw new ReceiptVerificationError('The receipt payload is not JSON');
  }
  const check = checkReceiptClaims(payload);
  if (!check.ok) {
    throw new ReceiptVerificationError(
      `The signature is valid but the payload is not a complete receipt: ${check.problems.join('; ')}`,
    );
  }
  return { claims: check.claims, kid };
}
