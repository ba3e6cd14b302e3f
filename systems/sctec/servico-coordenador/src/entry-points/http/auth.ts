import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@dslab/errors';
import type { FastifyReply, FastifyRequest } from 'fastify';

const BEARER = /^Bearer[ ]+(\S+)[ ]*$/i;
const CHALLENGE = { 'www-authenticate': 'Bearer realm="servico-coordenador"' };

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * An onRequest hook that admits only `Authorization: Bearer <secret>`. It runs before the body
 * is parsed, so an unauthenticated caller learns nothing about the request format either.
 * Both sides are hashed to equal-length digests before `timingSafeEqual`, so neither the
 * content nor the length of the secret leaks through response timing.
 */
export function requireSecret(
  secret: string,
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const expected = digest(secret);
  return async (request) => {
    const header = request.headers.authorization;
    const presented = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (presented === undefined) {
      request.appLog.warn(`Pedido ${request.method} ${request.url} recusado: falta Authorization: Bearer`);
      throw new AppError(
        'unauthenticated',
        'This coordinator requires "Authorization: Bearer <COORDINATOR_SECRET>"',
        {
          headers: CHALLENGE,
        },
      );
    }
    if (!timingSafeEqual(digest(presented), expected)) {
      request.appLog.warn(
        `Pedido ${request.method} ${request.url} recusado: segredo do coordenador incorreto`,
      );
      throw new AppError('unauthenticated', 'The coordinator secret is wrong', { headers: CHALLENGE });
    }
  };
}
