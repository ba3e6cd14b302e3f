import { createTokenService as createJwtService } from '@dslab/auth';
import { AppError } from '@dslab/errors';

export interface Principal {
  id: number;
  papel: 'cientista' | 'admin';
  email: string;
}

const ISSUER = 'servico-agendamento';
const AUDIENCE = 'sctec';

/**
 * HS256 JWTs signed with JWT_SECRET (@dslab/auth, whose key is made once at start-up): the
 * subject is the scientist's id, the claims their role and e-mail.
 */
export function createTokenService(options: { secret: string; ttlSeconds: number; now: () => number }) {
  const jwt = createJwtService<Principal>({
    ...options,
    issuer: ISSUER,
    audience: AUDIENCE,
    expiredMessage: 'The token has expired; request a new one at POST /auth/token',
    claims(payload) {
      const id = Number(payload.sub);
      const papel = payload['papel'];
      const email = payload['email'];
      if (
        !Number.isSafeInteger(id) ||
        (papel !== 'cientista' && papel !== 'admin') ||
        typeof email !== 'string'
      )
        throw new AppError('unauthenticated', 'The token does not describe a scientist');
      return { id, papel, email };
    },
  });
  return {
    ttlSeconds: jwt.ttlSeconds,
    issue(principal: Principal): Promise<string> {
      return jwt.issue(String(principal.id), { papel: principal.papel, email: principal.email });
    },
    verify(token: string): Promise<Principal> {
      return jwt.verify(token);
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
