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
  type FastifyRequest,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { Registry } from 'prom-client';
import { installProblemHandlers } from './errors.js';
import { installMetrics } from './metrics.js';
import { LazyRequestLogger } from './request-logger.js';
import { computeSecurityHeaders } from './security-headers.js';
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
    /** The W3C trace id of this request (from `traceparent`, or new); the same as `request.id`. */
    readonly traceId: string;
    /** The application logger bound to this request's trace id (made on first use). */
    readonly appLog: Logger;
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
    // request.log is bound to the trace id only when something logs through it (rarely, see there).
    childLoggerFactory: (logger, bindings, childOptions) =>
      new LazyRequestLogger(logger, bindings, childOptions),
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
  decorateTraceAndLogger(app, options.logger);
  const securityHeaders = computeSecurityHeaders({
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
  // First hook of all, so every answer (404, 429, problem+json) carries these headers. A
  // callback hook, not an async one: no promise per request for work that never waits.
  app.addHook('onRequest', (request, reply, done) => {
    for (const [name, value] of securityHeaders) void reply.header(name, value);
    void reply.header('x-request-id', request.id);
    done();
  });
  installProblemHandlers(app);

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

const requestLogger = Symbol('dslab.requestLogger');
type RequestWithLoggerSlot = FastifyRequest & { [requestLogger]: Logger | null };

/**
 * `request.traceId` and `request.appLog` as getters on the request prototype: nothing runs per
 * request until a handler asks. Binding a child logger for every request cost a pino child
 * (bindings serialised, closures built) even on the many routes that never log; now only the
 * first `appLog` read of a request makes it, and later reads get the same one.
 */
function decorateTraceAndLogger(app: HttpApp, logger: Logger): void {
  app.decorateRequest('traceId', {
    getter(this: FastifyRequest) {
      return this.id;
    },
  });
  // A slot on every request (null until used) keeps the request objects of one shape.
  app.decorateRequest(requestLogger, null);
  app.decorateRequest('appLog', {
    getter(this: FastifyRequest) {
      const request = this as RequestWithLoggerSlot;
      return (request[requestLogger] ??= logger.withTrace(this.id));
    },
  });
}
