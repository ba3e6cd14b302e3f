/**
 * The worker's small HTTP side on node:http: GET /health (200 when the broker is connected, every
 * database answers and every consumer runs; 503 with the reasons otherwise, the body shaped like
 * the services' /health) and GET /metrics (Prometheus text: outbox rows waiting per database and
 * the depth of every queue, its retry stage and its dead-letter queue). Nothing else.
 */
import { createServer, type Server } from 'node:http';
import { queueOf, type AsyncService } from '@dslab/checkout-contracts/messages';
import type { MessageBus, QueueDepth } from '@dslab/messaging';
import type { AsyncRuntime } from './runtime.js';

/** Longest wait for the broker or a database during a scrape: /metrics must not hang. */
const SCRAPE_TIMEOUT_MS = 1000;

async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.catch(() => undefined),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The Prometheus exposition of the runtime's state now. */
export async function metricsText(
  runtime: Pick<AsyncRuntime, 'pending' | 'services'>,
  bus: Pick<MessageBus, 'depth'>,
  queuePrefix: string,
): Promise<string> {
  const lines: string[] = [];
  const pending = (await within(runtime.pending(), SCRAPE_TIMEOUT_MS)) ?? {};
  lines.push(
    '# HELP checkout_outbox_pending outbox rows not yet published, per service database',
    '# TYPE checkout_outbox_pending gauge',
  );
  for (const [service, count] of Object.entries(pending))
    lines.push(`checkout_outbox_pending{service="${service}"} ${count}`);
  const depths = await Promise.all(
    runtime.services.map(async (service): Promise<[AsyncService, QueueDepth | undefined]> => [
      service,
      await within(bus.depth(queueOf(service, queuePrefix)), SCRAPE_TIMEOUT_MS),
    ]),
  );
  lines.push(
    '# HELP checkout_queue_messages messages waiting per queue and stage (ready, retrying, dead)',
    '# TYPE checkout_queue_messages gauge',
  );
  for (const [service, depth] of depths) {
    if (depth === undefined) continue; // Broker unreachable: no sample rather than a wrong one.
    const queue = queueOf(service, queuePrefix);
    for (const stage of ['ready', 'retrying', 'dead'] as const)
      lines.push(`checkout_queue_messages{queue="${queue}",stage="${stage}"} ${depth[stage]}`);
  }
  lines.push(
    '# HELP process_resident_memory_bytes resident memory of this worker',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${process.memoryUsage().rss}`,
  );
  return `${lines.join('\n')}\n`;
}

export interface HealthServer {
  /** The port it listens on (the one asked for, or the one the OS picked for 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on host:port (0: a free port) and serves /health and /metrics. */
export async function startHealthServer(options: {
  readonly host: string;
  readonly port: number;
  readonly service: string;
  readonly runtime: Pick<AsyncRuntime, 'health' | 'pending' | 'services'>;
  readonly bus: Pick<MessageBus, 'depth'>;
  readonly queuePrefix: string;
}): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    if (path === '/health') {
      options.runtime
        .health()
        .then((checks) => {
          const healthy = Object.values(checks).every((value) => value === 'ok');
          send(
            healthy ? 200 : 503,
            'application/json; charset=utf-8',
            JSON.stringify({ status: healthy ? 'ok' : 'unavailable', service: options.service, checks }),
          );
        })
        .catch((error: unknown) => {
          send(
            503,
            'application/json; charset=utf-8',
            JSON.stringify({ status: 'unavailable', error: String(error) }),
          );
        });
      return;
    }
    if (path === '/metrics') {
      metricsText(options.runtime, options.bus, options.queuePrefix)
        .then((text) => send(200, 'text/plain; version=0.0.4; charset=utf-8', text))
        .catch((error: unknown) => send(500, 'text/plain; charset=utf-8', `${String(error)}\n`));
      return;
    }
    send(404, 'text/plain; charset=utf-8', 'not found: GET /health or /metrics\n');
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
