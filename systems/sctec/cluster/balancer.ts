/**
 * A round-robin TCP balancer: the "one address" in front of several replicas of a service
 * in `npm run start:cluster` and the chaos run (in Compose, a real proxy plays this part).
 *
 * It works at the connection level, as an L4 load balancer does: a client's keep-alive
 * connection stays with the replica it was given, and new connections rotate. A replica that
 * refuses connections (killed, restarting) is skipped for a moment and the connection is
 * tried on the next one, so clients see a dead replica only through the connections they had
 * open to it. A replica that is alive but stopped (SIGSTOP) still accepts connections —
 * the kernel completes the handshake — exactly as it would behind a real balancer.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Backend {
  readonly host: string;
  readonly port: number;
}

export interface Balancer {
  /** `http://host:port` of the front address. */
  readonly url: string;
  readonly port: number;
  /** Connections forwarded per backend (`host:port`), for logs and tests. */
  stats(): Record<string, number>;
  close(): Promise<void>;
}

/** How long a backend that refused a connection is skipped. */
const COOL_DOWN_MS = 500;

export async function startBalancer(options: {
  backends: readonly Backend[];
  port?: number;
  host?: string;
}): Promise<Balancer> {
  const { backends } = options;
  if (backends.length === 0) throw new Error('a balancer needs at least one backend');
  const host = options.host ?? '127.0.0.1';
  const downUntil = new Map<number, number>();
  const forwarded = new Map<string, number>();
  const sockets = new Set<Socket>();
  let next = 0;

  function pick(tried: ReadonlySet<number>): number | undefined {
    const now = performance.now();
    let fallback: number | undefined;
    for (let i = 0; i < backends.length; i++) {
      const index = (next + i) % backends.length;
      if (tried.has(index)) continue;
      if ((downUntil.get(index) ?? 0) <= now) {
        next = index + 1;
        return index;
      }
      fallback ??= index;
    }
    // Every untried backend is cooling down: try one anyway rather than refuse the client.
    if (fallback !== undefined) next = fallback + 1;
    return fallback;
  }

  function track(socket: Socket): void {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  }

  function forward(client: Socket, tried: Set<number>): void {
    const index = pick(tried);
    const backend = index === undefined ? undefined : backends[index];
    if (index === undefined || backend === undefined) {
      client.destroy();
      return;
    }
    tried.add(index);
    const upstream = connect(backend.port, backend.host);
    track(upstream);
    upstream.setNoDelay(true);
    const onConnectError = () => {
      downUntil.set(index, performance.now() + COOL_DOWN_MS);
      upstream.destroy();
      if (!client.destroyed) forward(client, tried);
    };
    upstream.once('error', onConnectError);
    upstream.once('connect', () => {
      upstream.removeListener('error', onConnectError);
      const key = `${backend.host}:${backend.port}`;
      forwarded.set(key, (forwarded.get(key) ?? 0) + 1);
      // Either side failing or closing ends both: a half-dead pair would hang its client.
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      upstream.on('error', end);
      client.on('error', end);
      upstream.once('close', end);
      client.once('close', end);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    client.setNoDelay(true);
    client.on('error', () => client.destroy());
    forward(client, new Set());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://${host}:${port}`,
    port,
    stats: () => Object.fromEntries(forwarded),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
