/**
 * HS256 access tokens (JWT, jose) for a service's own principals: the service says who issues
 * them, for which audience, and how a verified payload becomes its principal.
 */
import { createSecretKey } from 'node:crypto';
import { AppError } from '@dslab/errors';
import { jwtVerify, SignJWT, errors as joseErrors, type JWTPayload } from 'jose';

export type { JWTPayload } from 'jose';

export interface TokenServiceOptions<P> {
  /** HS256 signing secret (UTF-8). */
  readonly secret: string;
  /** Lifetime of an issued token. */
  readonly ttlSeconds: number;
  /** Wall clock, epoch ms: stamps `iat`/`exp` and judges expiry. */
  readonly now: () => number;
  /** `iss` written and required. */
  readonly issuer: string;
  /** `aud` written and required. */
  readonly audience: string;
  /**
   * Turns a verified payload (signature, issuer, audience and expiry already checked) into the
   * principal, or throws: an AppError is answered as it is, anything else as an invalid token.
   */
  readonly claims: (payload: JWTPayload) => P;
  /** Detail of the 401 for an expired token (default: `The token has expired; request a new one`). */
  readonly expiredMessage?: string;
  /** Detail of the 401 for any other bad token (default: `The token is not valid`). */
  readonly invalidMessage?: string;
}

export interface TokenService<P> {
  readonly ttlSeconds: number;
  /** Signs a token for `subject` (`sub`) carrying `claims` besides the registered ones. */
  issue(subject: string, claims?: Readonly<Record<string, unknown>>): Promise<string>;
  /** The token's principal; an AppError 'unauthenticated' (with WWW-Authenticate) when it is not valid. */
  verify(token: string): Promise<P>;
}

/** The WWW-Authenticate challenge of a token that was sent but is not valid (RFC 6750 §3.1). */
export const INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"';

/**
 * HS256 JWTs signed with `secret`. The key is made once, at creation, as a KeyObject: given raw
 * bytes, jose imports them into a key again on every sign and verify (≈8 % of a booking's CPU in
 * SCTEC's benchmark profile, docs/benchmarks/sctec.md).
 */
export function createTokenService<P>(options: TokenServiceOptions<P>): TokenService<P> {
  const key = createSecretKey(Buffer.from(options.secret, 'utf8'));
  const { issuer, audience } = options;
  const expiredMessage = options.expiredMessage ?? 'The token has expired; request a new one';
  const invalidMessage = options.invalidMessage ?? 'The token is not valid';
  return {
    ttlSeconds: options.ttlSeconds,
    async issue(subject, claims = {}) {
      const nowSeconds = Math.floor(options.now() / 1000);
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(subject)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(nowSeconds)
        .setExpirationTime(nowSeconds + options.ttlSeconds)
        .sign(key);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer,
          audience,
          algorithms: ['HS256'],
          currentDate: new Date(options.now()),
        });
        return options.claims(payload);
      } catch (error) {
        if (error instanceof AppError) throw error;
        const expired = error instanceof joseErrors.JWTExpired;
        throw new AppError('unauthenticated', expired ? expiredMessage : invalidMessage, {
          headers: { 'www-authenticate': INVALID_TOKEN_CHALLENGE },
        });
      }
    },
  };
}

const BEARER = /^Bearer\s+([A-Za-z0-9_\-.]+)$/;

/**
 * The token of an `Authorization: Bearer <token>` header: undefined when the header is absent
 * or empty, a 401 (`invalid_request`) when it is there in another form.
 */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization === '') return undefined;
  const match = BEARER.exec(authorization.trim());
  if (!match?.[1])
    throw new AppError('unauthenticated', 'Send the token as "Authorization: Bearer <access_token>"', {
      headers: { 'www-authenticate': 'Bearer error="invalid_request"' },
    });
  return match[1];
}
