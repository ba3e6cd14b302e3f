import { AppError, invalidFields, PROBLEM_CONTENT_TYPE, toProblem } from '@dslab/errors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeValidationErrors } from './validation.js';

/**
 * Every error leaves as RFC 9457 problem+json. Fastify's own errors (bad JSON, body too
 * large, wrong media type, schema validation) are translated into the catalog here, so a
 * client sees one error model whatever failed.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown; validationContext?: string };
  if (Array.isArray(fastifyError.validation)) {
    const part = fastifyError.validationContext ?? 'body';
    return invalidFields(describeValidationErrors(fastifyError.validation as never, part));
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload-too-large', 'The request body exceeds the size limit of this endpoint');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported-media-type', 'Send the body as application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('malformed-json', 'The body is empty but Content-Type says JSON');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('malformed-json', fastifyError.message ?? 'The body is not valid JSON');
    default:
      break;
  }
  if (
    error instanceof SyntaxError ||
    (fastifyError.statusCode === 400 && fastifyError.code?.startsWith('FST_ERR_CTP'))
  ) {
    return new AppError('malformed-json', `The body is not valid JSON: ${fastifyError.message ?? ''}`.trim());
  }
  if (fastifyError.statusCode === 400 && fastifyError.message?.includes('prototype')) {
    return new AppError('validation-failed', fastifyError.message);
  }
  if (fastifyError.statusCode === 413)
    return new AppError('payload-too-large', fastifyError.message ?? 'Too large');
  if (fastifyError.statusCode === 415)
    return new AppError('unsupported-media-type', 'Send the body as application/json');
  if (fastifyError.statusCode === 429) return new AppError('rate-limited', 'Too many requests; slow down');
  if (fastifyError.statusCode === 503)
    return new AppError('unavailable', fastifyError.message ?? 'Unavailable');
  if (
    typeof fastifyError.statusCode === 'number' &&
    fastifyError.statusCode >= 400 &&
    fastifyError.statusCode < 500
  ) {
    return new AppError('validation-failed', fastifyError.message ?? 'Bad request', { cause: error });
  }
  return new AppError('internal', 'An unexpected error occurred; it has been logged', { cause: error });
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) void reply.header(name, value);
  return reply
    .code(error.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(toProblem(error, request.url.split('?')[0]));
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      request.appLog.error(`Erro ao processar ${request.method} ${request.url}: ${String(error)}`, {
        err: appError.cause ?? error,
      });
    }
    return sendProblem(request, reply, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      new AppError('not-found', `No route for ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
