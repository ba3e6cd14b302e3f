/**
 * POST /lock, POST /unlock and GET /locks/{recurso}: the coordinator's wire contract (field
 * names from the seed, in Portuguese) over the domain lock service.
 *
 * The seed's log lines are written here, through `request.appLog`, so each carries the trace
 * id of the caller's `traceparent` and the two services' logs can be followed as one story.
 */
import { AppError, invalidFields } from '@dslab/errors';
import { problemResponses, problemSchema, type HttpApp } from '@dslab/http-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  MAX_RESOURCE_LENGTH,
  MAX_TTL_MS,
  MAX_WAIT_MS,
  validateLockRequest,
  type Denied,
  type Grant,
  type LockService,
} from '../../domain/lock-service.js';

export interface LockRouteDeps {
  lockService: LockService;
  /** Lease for a request without ttl_ms. */
  defaultTtlMs: number;
  /** Runs before the body is parsed on every route here (the shared-secret check), if given. */
  authenticate?: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined;
}

const Recurso = Type.String({
  minLength: 1,
  maxLength: MAX_RESOURCE_LENGTH,
  // JSON Schema patterns are Unicode regular expressions: \P{Cc} is "not a control character".
  pattern: '^\\P{Cc}*$',
  description: `opaque resource name, 1 to ${MAX_RESOURCE_LENGTH} characters (UTF-16 code units), no control characters; by convention <telescope>_<slot start ISO>`,
  examples: ['Hubble-Acad_2025-12-01T03:00:00Z'],
});

const LockBody = Type.Object(
  {
    recurso: Recurso,
    ttl_ms: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_TTL_MS,
        description: 'lease length; the service default when absent',
      }),
    ),
    espera_ms: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_WAIT_MS,
        description:
          'wait up to this long in a FIFO queue if the resource is held (default 0: answer at once)',
      }),
    ),
  },
  { additionalProperties: false },
);

const LockGranted = Type.Object(
  {
    recurso: Type.String(),
    token: Type.Integer({
      minimum: 1,
      description: 'fencing token: strictly increasing, also across restarts',
    }),
    ttl_restante_ms: Type.Integer({
      minimum: 0,
      description: 'remaining lease; the holder counts it from when it SENT the request, minus a margin',
    }),
  },
  { additionalProperties: false },
);

const LockConflict = Type.Object(
  {
    ...problemSchema.properties,
    recurso: Type.String(),
    ttl_restante_ms: Type.Integer({ minimum: 0, description: "the current holder's remaining lease" }),
  },
  {
    additionalProperties: true,
    description: 'resource-locked: held by someone else (after espera_ms, if asked)',
  },
);

const UnlockBody = Type.Object(
  {
    recurso: Recurso,
    token: Type.Integer({
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      description: 'the token of the grant',
    }),
  },
  { additionalProperties: false },
);

const UnlockOk = Type.Object(
  { recurso: Type.String(), liberado: Type.Literal(true) },
  { additionalProperties: false },
);

const LockState = Type.Object(
  {
    recurso: Type.String(),
    travado: Type.Boolean(),
    ttl_restante_ms: Type.Integer({ minimum: 0, description: 'remaining lease of the holder (0 when free)' }),
    na_fila: Type.Integer({ minimum: 0, description: 'callers waiting for the resource' }),
  },
  {
    additionalProperties: false,
    description: 'the holder token is never shown: it is what releases the lock',
  },
);

const LockParams = Type.Object({ recurso: Type.String({ minLength: 1 }) });

const bodyField = { resource: 'recurso', ttlMs: 'ttl_ms', waitMs: 'espera_ms' } as const;

/** The domain's own check, which is authoritative (e.g. it counts UTF-16 units, JSON Schema counts code points). */
function checkRequest(
  part: 'body' | 'params',
  input: { resource: unknown; ttlMs?: unknown; waitMs?: unknown },
): void {
  const checked = validateLockRequest(input);
  if (checked.ok) return;
  const errors = checked.problems.map((p) => ({
    field: `${part}.${bodyField[p.field]}`,
    message: p.message,
  }));
  throw invalidFields(errors);
}

function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

/**
 * Watches the HTTP exchange for a client that goes away before it got its answer. `signal`
 * aborts as soon as the connection closes while the request is pending; `gone()` also
 * catches a close the event loop has not delivered yet.
 */
function watchClient(request: FastifyRequest, reply: FastifyReply) {
  const controller = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableEnded) controller.abort();
  };
  reply.raw.once('close', onClose);
  const gone = () => controller.signal.aborted || reply.raw.destroyed || request.raw.socket.destroyed;
  if (gone()) controller.abort();
  return { signal: controller.signal, gone, stop: () => reply.raw.off('close', onClose) };
}

export function registerLockRoutes(app: HttpApp, deps: LockRouteDeps): void {
  const { lockService, defaultTtlMs, authenticate } = deps;
  const guard = authenticate === undefined ? {} : { onRequest: authenticate };
  const authProblems = authenticate === undefined ? {} : problemResponses(401);

  app.post(
    '/lock',
    {
      ...guard,
      schema: {
        summary: 'Acquire a lease on a resource, optionally waiting in FIFO order',
        description:
          'Grants the resource with a fresh fencing token if it is free. If it is held: with espera_ms the caller ' +
          'joins a FIFO queue and is granted in order when the holder releases or its lease expires; otherwise ' +
          '(or when the wait runs out) 409 resource-locked with the holder remaining lease. A caller that ' +
          'disconnects while queued leaves the queue.',
        tags: ['locks'],
        body: LockBody,
        response: {
          200: LockGranted,
          409: LockConflict,
          ...authProblems,
          ...problemResponses(400, 413, 415, 503),
        },
      },
    },
    async (request, reply) => {
      const { recurso, ttl_ms: ttlMs = defaultTtlMs, espera_ms: waitMs = 0 } = request.body;
      checkRequest('body', { resource: recurso, ttlMs, waitMs });
      const log = request.appLog;
      log.info(`Recebido pedido de lock para o recurso ${recurso}`);
      const client = watchClient(request, reply);
      let outcome: Grant | Denied;
      try {
        outcome = await lockService.acquire({
          resource: recurso,
          ttlMs,
          waitMs,
          signal: client.signal,
          // Called when the caller really joins the queue, with the place the store gave it.
          onQueued: (position) =>
            log.info(
              `Recurso ${recurso} em uso; pedido entra na fila (posição ${position}, espera até ${waitMs} ms)`,
            ),
        });
      } finally {
        client.stop();
      }
      if (outcome.granted) return sendGrant(request, reply, outcome, client.gone());
      return sendDenial(request, reply, outcome, waitMs);
    },
  );

  async function sendGrant(request: FastifyRequest, reply: FastifyReply, grant: Grant, clientGone: boolean) {
    const log = request.appLog;
    const { resource: recurso, token } = grant;
    if (clientGone) {
      // The queue already drops callers that leave; this covers a close not yet delivered.
      log.warn(`Cliente desconectou antes de receber o lock para o recurso ${recurso}; liberando`);
      await lockService.release({ resource: recurso, token });
      log.info(`Lock para o recurso ${recurso} liberado`);
      return reply.code(409).send();
    }
    log.info(`Lock concedido para o recurso ${recurso}`);
    // If the answer never reaches the client (the connection dies mid-write), nobody knows the
    // token: give the resource back now instead of blocking it for a whole lease.
    reply.raw.once('close', () => {
      if (reply.raw.writableFinished) return;
      lockService.release({ resource: recurso, token }).then(
        (result) => {
          if (result.released)
            log.warn(`A resposta com o lock para o recurso ${recurso} não chegou ao cliente; lock liberado`);
        },
        (error: unknown) =>
          log.warn(
            `A resposta com o lock para o recurso ${recurso} não chegou ao cliente e a liberação falhou (${String(error)}); o lock expira ao fim da concessão`,
          ),
      );
    });
    return reply.code(200).send({ recurso, token, ttl_restante_ms: grant.ttlRemainingMs });
  }

  function sendDenial(request: FastifyRequest, reply: FastifyReply, denied: Denied, waitMs: number) {
    const log = request.appLog;
    const { resource: recurso, ttlRemainingMs } = denied;
    switch (denied.reason) {
      case 'closed':
        log.warn(`Coordenador encerrando; pedido de lock para o recurso ${recurso} recusado`);
        throw new AppError(
          'unavailable',
          'The coordinator is shutting down; retry on another instance or later',
          {
            headers: { 'retry-after': '1' },
          },
        );
      case 'cancelled':
        log.info(`Cliente desconectou enquanto esperava pelo recurso ${recurso}; pedido retirado da fila`);
        // Nobody is listening any more; answer something well-formed all the same.
        return reply.code(409).send();
      case 'timeout':
        log.info(`Tempo de espera (${waitMs} ms) esgotado para o recurso ${recurso}`);
        break;
      case 'held':
        break;
    }
    log.info(`Recurso ${recurso} já em uso, negando lock`);
    const detail =
      denied.reason === 'timeout'
        ? `Resource ${recurso} is still held after waiting ${waitMs} ms`
        : `Resource ${recurso} is held by another client`;
    throw new AppError('resource-locked', detail, {
      extensions: { recurso, ttl_restante_ms: ttlRemainingMs },
      headers: { 'retry-after': retryAfterSeconds(ttlRemainingMs) },
    });
  }

  app.post(
    '/unlock',
    {
      ...guard,
      schema: {
        summary: 'Release a lease with the token of its grant',
        description:
          'Only the current holder token releases; a wrong or stale token (e.g. after the lease expired and ' +
          'someone else got the resource) changes nothing and answers 409 stale-token. If callers are queued, ' +
          'the first one is granted at once.',
        tags: ['locks'],
        body: UnlockBody,
        response: { 200: UnlockOk, ...authProblems, ...problemResponses(400, 409, 413, 415) },
      },
    },
    async (request) => {
      const { recurso, token } = request.body;
      checkRequest('body', { resource: recurso });
      const log = request.appLog;
      log.info(`Recebido pedido de unlock para o recurso ${recurso}`);
      const result = await lockService.release({ resource: recurso, token });
      if (result.released) {
        log.info(`Lock para o recurso ${recurso} liberado`);
        return { recurso, liberado: true as const };
      }
      if (result.reason === 'not-held') {
        log.warn(`Unlock recusado para o recurso ${recurso}: o recurso não está travado (token ${token})`);
        throw new AppError('stale-token', `Resource ${recurso} is not locked (its lease may have expired)`, {
          extensions: { recurso },
        });
      }
      log.warn(`Unlock recusado para o recurso ${recurso}: o token ${token} não é o do detentor atual`);
      throw new AppError(
        'stale-token',
        `Token ${token} does not hold resource ${recurso}; the lock stays with its holder`,
        {
          extensions: { recurso },
        },
      );
    },
  );

  app.get(
    '/locks/:recurso',
    {
      ...guard,
      schema: {
        summary: 'Inspect a resource: held or free, remaining lease, queue length (for debugging)',
        description: 'The holder token is not shown. The resource name is one path segment, percent-encoded.',
        tags: ['locks'],
        params: LockParams,
        response: { 200: LockState, ...authProblems, ...problemResponses(400) },
      },
    },
    async (request) => {
      const { recurso } = request.params;
      checkRequest('params', { resource: recurso });
      const held = await lockService.holder(recurso);
      return {
        recurso,
        travado: held !== undefined,
        ttl_restante_ms: held?.ttlRemainingMs ?? 0,
        na_fila: held?.waiting ?? 0,
      };
    },
  );
}
