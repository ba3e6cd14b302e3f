import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '@dslab/errors';
import { newTraceId, parseTraceparent, type Logger } from '@dslab/logging';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { Registry } from 'prom-client';
import { installProblemHandlers } from './errors.js';
import { installMetrics } from './metrics.js';
import { createValidatorCompiler } from './validation.js';

export type HttpApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The W3C trace id of this request (from `traceparent`, or new). */
    traceId: string;
    /** The application logger bound to this request's trace id. */
    appLog: Logger;
  }
  interface FastifyInstance {
    metrics: Registry;
  }
}

export type HealthCheck = () => Promise<Record<string, string>>;

export interface HttpAppOptions {
  service: string;
  logger: Logger;
  /** OpenAPI info. */
  title: string;
  version?: string;
  description?: string;
  /** Largest accepted request body, in bytes (default 16 KiB). */
  bodyLimit?: number;
  /** Requests per minute per client address; 0 turns rate limiting off. */
  rateLimitPerMinute?: number;
  /** Readiness checks run by GET /health; each returns 'ok' or a reason. */
  health?: HealthCheck;
  /** Content-Security-Policy additions for pages the app serves itself. */
  contentSecurityPolicy?: Record<string, string[]>;
  /** Behind a reverse proxy, trust X-Forwarded-For for client addresses. */
  trustProxy?: boolean;
}

/**
 * The one Fastify factory every dslab HTTP service starts from: problem+json errors,
 * strict schema validation, OpenAPI at /docs, /health, /metrics, body and rate limits,
 * security headers, trace ids, and keep-alive tuned for service-to-service calls.
 * It never listens; see `serve`.
 */
export async function createHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  const app = Fastify({
    loggerInstance: options.logger.pino as unknown as FastifyBaseLogger,
    // The services log the seed's own lines; Fastify's per-request lines would only add noise.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'trace' }),
    genReqId: (req) =>
      parseTraceparent(req.headers.traceparent as string | undefined)?.traceId ?? newTraceId(),
    bodyLimit: options.bodyLimit ?? 16 * 1024,
    trustProxy: options.trustProxy ?? false,
    // Longer than typical client idle timeouts, so pooled connections from other services are reused.
    keepAliveTimeout: 72_000,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(createValidatorCompiler());
  // JSON only: a text/plain body would otherwise reach the schema check and read as a 400.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('traceId', '');
  app.decorateRequest('appLog', null as unknown as Logger);
  app.addHook('onRequest', async (request, reply) => {
    request.traceId = request.id;
    request.appLog = options.logger.withTrace(request.id);
    void reply.header('x-request-id', request.id);
  });
  installProblemHandlers(app);

  await app.register(helmet, {
    // The services speak plain HTTP inside a network; TLS (and so HSTS) belongs to the proxy in
    // front. Upgrading requests to https would break the pages when opened by IP over HTTP.
    strictTransportSecurity: false,
    contentSecurityPolicy: {
      directives: {
        upgradeInsecureRequests: null,
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        ...options.contentSecurityPolicy,
      },
    },
  });

  const perMinute = options.rateLimitPerMinute ?? 0;
  if (perMinute > 0) {
    await app.register(rateLimit, {
      max: perMinute,
      timeWindow: 60_000,
      errorResponseBuilder: (_request, context) =>
        new AppError(
          'rate-limited',
          `At most ${context.max} requests per minute; retry in ${context.after}`,
          {
            headers: { 'retry-after': String(Math.ceil(context.ttl / 1000)) },
          },
        ),
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: options.title,
        version: options.version ?? '0.1.0',
        ...(options.description === undefined ? {} : { description: options.description }),
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: false });

  app.decorate('metrics', installMetrics(app, options.service));

  app.get('/health', { schema: { hide: true }, config: { rateLimit: false } }, async (_request, reply) => {
    const checks = options.health ? await options.health() : {};
    const healthy = Object.values(checks).every((v) => v === 'ok');
    return reply
      .code(healthy ? 200 : 503)
      .send({ status: healthy ? 'ok' : 'unavailable', service: options.service, checks });
  });
  return app;
}
