/**
 * The benchmark's baseline: a hello-world Fastify server, started by bench.ts as a child
 * process with the same Node and the same `--import tsx` loader as the services.
 * PORT (required) and HOST (default 127.0.0.1) come from the environment.
 */
import { fastify } from 'fastify';

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be set to a TCP port');

const app = fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
app.get('/health', async () => ({ status: 'ok' }));

await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' });

const stop = () => {
  void app.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
