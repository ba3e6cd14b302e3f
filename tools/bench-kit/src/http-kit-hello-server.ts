/**
 * A second baseline: hello-world on the platform's HTTP kit (`createHttpApp`: trace ids, security
 * headers, Prometheus metrics, problem+json, OpenAPI), so a report can split a request's cost
 * into what bare Fastify costs, what the kit adds to every dslab service, and what the service adds.
 * PORT (required) and HOST (default 127.0.0.1) come from the environment.
 */
import { env, loadConfigOrExit } from '@dslab/config';
import { createHttpApp, serve } from '@dslab/http-kit';
import { createLogger } from '@dslab/logging';

const { config } = loadConfigOrExit(
  {
    PORT: env.port('port of the http-kit hello-world baseline'),
    HOST: env.string('interface to listen on').default('127.0.0.1'),
  },
  'http-kit-baseline',
);

const logger = createLogger({ service: 'http-kit-baseline', level: 'warn' });
const app = await createHttpApp({ service: 'http-kit-baseline', logger, title: 'hello-world on http-kit' });
app.get('/', async () => ({ hello: 'world' }));
await serve(app, { port: config.PORT, host: config.HOST, logger });
