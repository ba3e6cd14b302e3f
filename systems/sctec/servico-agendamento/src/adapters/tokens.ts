import { createSecretKey } from 'node:crypto';
import { AppError } from '@dslab/errors';
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';

export interface Principal {
  id: number;
  papel: 'cientista' | 'admin';
  email: string;
}

const ISSUER = 'servico-agendamento';
const AUDIENCE = 'sctec';

/**
 * HS256 JWTs signed with JWT_SECRET. The key is made once at start-up as a KeyObject: given raw
 * bytes, jose imports them into a key again on every sign and verify (≈8 % of a booking's CPU in
 * the benchmark profile, docs/benchmarks/sctec.md).
 */
export function createTokenService(options: { secret: string; ttlSeconds: number; now: () => number }) {
  const key = createSecretKey(Buffer.from(options.secret, 'utf8'));
  return {
    ttlSeconds: options.ttlSeconds,
    async issue(principal: Principal): Promise<string> {
      const nowSeconds = Math.floor(options.now() / 1000);
      return new SignJWT({ papel: principal.papel, email: principal.email })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(String(principal.id))
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(nowSeconds)
        .setExpirationTime(nowSeconds + options.ttlSeconds)
        .sign(key);
    },
    async verify(token: string): Promise<Principal> {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ['HS256'],
          currentDate: new Date(options.now()),
        });
        const id = Number(payload.sub);
        const papel = payload.papel;
        if (
          !Number.isSafeInteger(id) ||
          (papel !== 'cientista' && papel !== 'admin') ||
          typeof payload.email !== 'string'
        ) {
          throw new AppError('unauthenticated', 'The token does not describe a scientist');
        }
        return { id, papel, email: payload.email };
      } catch (error) {
        if (error instanceof AppError) throw error;
        const expired = error instanceof joseErrors.JWTExpired;
        throw new AppError(
          'unauthenticated',
          expired ? 'The token has expired; request a new one at POST /auth/token' : 'The token is not valid',
          {
            headers: { 'www-authenticate': `Bearer error="invalid_token"` },
          },
        );
      }
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
