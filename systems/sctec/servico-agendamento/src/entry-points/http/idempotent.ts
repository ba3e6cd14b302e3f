import { createHash } from 'node:crypto';
import { canonicalJson } from '@dslab/audit-log';
import { AppError, PROBLEM_CONTENT_TYPE, toProblem } from '@dslab/errors';
import { toAppError } from '@dslab/http-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IdempotencyStore } from '../../adapters/idempotency.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * A creating POST that honours `Idempotency-Key` (POST /agendamentos, POST /esperas/{id}/confirmacao):
 * the first request with a key runs `create`; a retry with the same key and the same `fingerprint`
 * (the request's meaning, e.g. its body) gets the original answer again, 201 or refusal alike;
 * the same key with a different fingerprint is refused. A transient failure (5xx) frees the key.
 * Without the header, `create` simply runs.
 */
export async function createOnce(
  idempotency: IdempotencyStore,
  request: FastifyRequest,
  reply: FastifyReply,
  input: {
    scope: string;
    fingerprint: unknown;
    create: () => Promise<{ body: object; location: string }>;
  },
): Promise<FastifyReply> {
  const header = request.headers['idempotency-key'];
  const key = Array.isArray(header) ? header[0] : header;
  const { scope } = input;
  if (key !== undefined) {
    if (!IDEMPOTENCY_KEY.test(key))
      throw new AppError('validation-failed', 'Idempotency-Key must be 1–200 visible ASCII characters');
    const hash = createHash('sha256').update(canonicalJson(input.fingerprint)).digest('hex');
    const claim = await idempotency.claim(scope, key, hash);
    if (claim.kind === 'mismatch')
      throw new AppError(
        'idempotency-key-reused',
        'This Idempotency-Key was already used with a different body',
      );
    if (claim.kind === 'in-progress')
      throw new AppError(
        'idempotency-in-progress',
        'The first request with this Idempotency-Key is still running; retry shortly',
        { headers: { 'retry-after': '1' } },
      );
    if (claim.kind === 'replay') {
      void reply.header('idempotent-replayed', 'true');
      if (claim.location !== null) void reply.header('location', claim.location);
      if (claim.status >= 400) void reply.type(PROBLEM_CONTENT_TYPE);
      // The stored answer is replayed byte-for-byte in meaning; its shape was validated when first sent.
      return reply.code(claim.status).send(claim.body);
    }
  }
  try {
    const { body, location } = await input.create();
    if (key !== undefined) await idempotency.complete(scope, key, 201, body, location);
    return await reply.code(201).header('location', location).send(body);
  } catch (error) {
    if (key !== undefined) {
      const appError = toAppError(error);
      // A definite refusal is the answer to replay; a transient failure is not, so the key is freed for a retry.
      if (appError.status < 500)
        await idempotency.complete(scope, key, appError.status, toProblem(appError, request.url), null);
      else await idempotency.release(scope, key);
    }
    throw error;
  }
}
