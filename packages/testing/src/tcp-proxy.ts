import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 for failure tests: put it between a client and a real server (RabbitMQ,
 * PostgreSQL, Redis) and break the path on purpose — blackhole it, cut every connection, refuse new
 * ones — without touching the server.
 */
export interface TcpProxy {
  /** The port clients connect to (on 127.0.0.1). */
  readonly port: number;
  /**
   * Stops forwarding bytes both ways and keeps every socket open: a blackhole. Peers see silence,
   * not a reset; a close on one side is held back too. New connections are accepted but stay silent.
   */
  pause(): void;
  /** Forwards again whatever waited (like a healed network), and passes on closes held back. */
  resume(): void;
  /** Destroys every open connection (both sides); new connections are still accepted. */
  cutAll(): void;
  /** While on, new connections are closed as soon as they are accepted. */
  refuse(on: boolean): void;
  /** Open client connections. */
  readonly connections: number;
  /** Cuts everything and stops listening. */
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  /** One side ended or failed while paused: finish the pair on resume. */
  closedWhilePaused: boolean;
}

export async function startTcpProxy(options: { targetHost: string; targetPort: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let paused = false;
  let refusing = false;

  function destroy(pair: Pair): void {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream.destroy();
  }

  /**
   * Copies bytes by hand instead of pipe(): pipe() resumes the source on 'drain', which would
   * undo a pause().
   */
  function forward(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => {
          if (!paused) from.resume();
        });
      }
    });
  }

  function wire(pair: Pair): void {
    forward(pair.client, pair.upstream);
    forward(pair.upstream, pair.client);
    const onGone = (): void => {
      if (!pairs.has(pair)) return;
      if (paused) pair.closedWhilePaused = true;
      else destroy(pair);
    };
    for (const socket of [pair.client, pair.upstream]) {
      // Errors (ECONNRESET, EPIPE) end the pair; without a listener they would crash the test process.
      socket.on('error', onGone);
      socket.on('end', onGone);
      socket.on('close', onGone);
    }
  }

  const server = createServer({ pauseOnConnect: true }, (client) => {
    if (refusing) {
      client.on('error', () => undefined);
      client.destroy();
      return;
    }
    const upstream = connect({ host: options.targetHost, port: options.targetPort });
    const pair: Pair = { client, upstream, closedWhilePaused: false };
    pairs.add(pair);
    wire(pair);
    if (paused) upstream.pause();
    else client.resume();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    port,
    get connections() {
      return pairs.size;
    },
    pause() {
      paused = true;
      for (const pair of pairs) {
        pair.client.pause();
        pair.upstream.pause();
      }
    },
    resume() {
      paused = false;
      for (const pair of [...pairs]) {
        if (pair.closedWhilePaused) {
          destroy(pair);
          continue;
        }
        pair.client.resume();
        pair.upstream.resume();
      }
    },
    cutAll() {
      for (const pair of [...pairs]) destroy(pair);
    },
    refuse(on) {
      refusing = on;
    },
    async close() {
      for (const pair of [...pairs]) destroy(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
