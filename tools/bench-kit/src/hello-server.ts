/**
 * The benchmarks' baseline: a hello-world Fastify server, started by `startHelloWorld` as a
 * child process with the same Node and the same `--import tsx` loader as the services.
 * PORT (required) and HOST (default 127.0.0.1) come from the environment.
 */
import { env, loadConfigOrExit } from '@dslab/config';
import { fastify } from 'fastify';

const { config } = loadConfigOrExit(
  {
    PORT: env.port('port of the hello-world baseline'),
    HOST: env.string('interface to listen on').default('127.0.0.1'),
  },
  'hello-world-baseline',
);
const port = config.PORT;

const app = fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
app.get('/health', async () => ({ status: 'ok' }));

await app.listen({ port, host: config.HOST });

const stop = () => {
  void app.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
