import { AppError } from '@dslab/errors';
import type { FastifyRequest } from 'fastify';
import type { Principal, TokenService } from '../../adapters/tokens.js';

const BEARER = /^Bearer\s+([A-Za-z0-9_\-.]+)$/;

/** Reads the bearer token: undefined without one; 401 for a malformed, expired or forged one. */
export async function optionalPrincipal(
  request: FastifyRequest,
  tokens: TokenService,
): Promise<Principal | undefined> {
  const header = request.headers.authorization;
  if (header === undefined || header === '') return undefined;
  const match = BEARER.exec(header.trim());
  if (!match?.[1]) {
    throw new AppError('unauthenticated', 'Send the token as "Authorization: Bearer <access_token>"', {
      headers: { 'www-authenticate': 'Bearer error="invalid_request"' },
    });
  }
  return tokens.verify(match[1]);
}

export async function requirePrincipal(request: FastifyRequest, tokens: TokenService): Promise<Principal> {
  const principal = await optionalPrincipal(request, tokens);
  if (principal === undefined) {
    throw new AppError(
      'unauthenticated',
      'This action needs a token: POST /auth/token with your e-mail and senha',
      {
        headers: { 'www-authenticate': 'Bearer realm="sctec"' },
      },
    );
  }
  return principal;
}
