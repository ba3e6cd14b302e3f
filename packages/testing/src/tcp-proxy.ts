import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 for failure tests: put it between a client and a real server (RabbitMQ,
 * PostgreSQL, Redis) and break the path on purpose — blackhole it, cut every connection, refuse new
 * ones, slow every hop down — without touching the server.
 */
export interface TcpProxy {
  /** The port clients connect to (on 127.0.0.1). */
  readonly port: number;
  /**
   * Stops forwarding bytes both ways and keeps every socket open: a blackhole. Peers see silence,
   * not a reset; a close on one side is held back too. New connections are accepted but stay silent.
   * Bytes already delayed (setDelay) are held as well.
   */
  pause(): void;
  /** Forwards again whatever waited (like a healed network), and passes on closes held back. */
  resume(): void;
  /** Destroys every open connection (both sides); new connections are still accepted. */
  cutAll(): void;
  /** While on, new connections are closed as soon as they are accepted. */
  refuse(on: boolean): void;
  /**
   * Every chunk that arrives from now on, either way, is forwarded `ms` after it arrived: a slow
   * network hop (a round trip costs 2 × ms more). Order is kept: a chunk never overtakes an
   * earlier one of its direction, even when the delay was just lowered.
   */
  setDelay(ms: number): void;
  /** The current delay (ms). */
  readonly delayMs: number;
  /** Open client connections. */
  readonly connections: number;
  /** Cuts everything and stops listening. */
  close(): Promise<void>;
}

/** Chunks of one direction waiting for their release time (monotonic ms, performance.now()). */
interface Lane {
  readonly from: Socket;
  readonly to: Socket;
  readonly queue: { chunk: Buffer; releaseAt: number }[];
  /** The release time of the last chunk queued: the next one is released no earlier. */
  lastRelease: number;
  timer: NodeJS.Timeout | undefined;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly lanes: readonly [Lane, Lane];
  /** One side ended or failed while paused: finish the pair on resume. */
  closedWhilePaused: boolean;
  /** One side ended or failed while delayed bytes were still queued: finish once they are written. */
  closing: boolean;
}

function checkDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`the delay must be a finite number ≥ 0, got ${ms}`);
  return ms;
}

export async function startTcpProxy(options: {
  targetHost: string;
  targetPort: number;
  /** Initial delay of every chunk, both ways (setDelay changes it); default 0. */
  delayMs?: number;
}): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let paused = false;
  let refusing = false;
  let delay = checkDelay(options.delayMs ?? 0);

  function destroy(pair: Pair): void {
    pairs.delete(pair);
    for (const lane of pair.lanes) {
      clearTimeout(lane.timer);
      lane.timer = undefined;
      lane.queue.length = 0;
    }
    pair.client.destroy();
    pair.upstream.destroy();
  }

  function queued(pair: Pair): boolean {
    return pair.lanes.some((lane) => lane.queue.length > 0);
  }

  /** Writes what is due; re-arms the timer for the rest. Nothing moves while paused. */
  function flush(pair: Pair, lane: Lane): void {
    lane.timer = undefined;
    if (paused || !pairs.has(pair)) return;
    const now = performance.now();
    while (lane.queue.length > 0) {
      const head = lane.queue[0];
      if (head === undefined || head.releaseAt > now) break;
      lane.queue.shift();
      write(lane, head.chunk);
    }
    const head = lane.queue[0];
    if (head !== undefined) {
      // Timers may fire a fraction of a millisecond early: round up, and check again when it fires.
      lane.timer = setTimeout(() => flush(pair, lane), Math.max(1, Math.ceil(head.releaseAt - now)));
    } else if (pair.closing && !queued(pair)) {
      destroy(pair);
    }
  }

  function write(lane: Lane, chunk: Buffer): void {
    if (!lane.to.write(chunk)) {
      lane.from.pause();
      lane.to.once('drain', () => {
        if (!paused) lane.from.resume();
      });
    }
  }

  /**
   * Copies bytes by hand instead of pipe(): pipe() resumes the source on 'drain', which would
   * undo a pause().
   */
  function forward(pair: Pair, lane: Lane): void {
    lane.from.on('data', (chunk: Buffer) => {
      if (delay === 0 && lane.queue.length === 0) {
        write(lane, chunk);
        return;
      }
      // Never before an earlier chunk of this direction: the release times only go forward.
      const releaseAt = Math.max(performance.now() + delay, lane.lastRelease);
      lane.lastRelease = releaseAt;
      lane.queue.push({ chunk, releaseAt });
      if (lane.timer === undefined) flush(pair, lane);
    });
  }

  function wire(pair: Pair): void {
    for (const lane of pair.lanes) forward(pair, lane);
    const onGone = (): void => {
      if (!pairs.has(pair)) return;
      if (paused) pair.closedWhilePaused = true;
      else if (queued(pair)) pair.closing = true;
      else destroy(pair);
    };
    for (const socket of [pair.client, pair.upstream]) {
      // Errors (ECONNRESET, EPIPE) end the pair; without a listener they would crash the test process.
      socket.on('error', onGone);
      socket.on('end', onGone);
      socket.on('close', onGone);
    }
  }

  const lane = (from: Socket, to: Socket): Lane => ({
    from,
    to,
    queue: [],
    lastRelease: 0,
    timer: undefined,
  });

  const server = createServer({ pauseOnConnect: true }, (client) => {
    if (refusing) {
      client.on('error', () => undefined);
      client.destroy();
      return;
    }
    const upstream = connect({ host: options.targetHost, port: options.targetPort });
    const pair: Pair = {
      client,
      upstream,
      lanes: [lane(client, upstream), lane(upstream, client)],
      closedWhilePaused: false,
      closing: false,
    };
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
    get delayMs() {
      return delay;
    },
    pause() {
      paused = true;
      for (const pair of pairs) {
        pair.client.pause();
        pair.upstream.pause();
        for (const lane of pair.lanes) {
          clearTimeout(lane.timer);
          lane.timer = undefined;
        }
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
        // What came due while paused goes now, in order.
        for (const lane of pair.lanes) if (lane.queue.length > 0) flush(pair, lane);
      }
    },
    cutAll() {
      for (const pair of [...pairs]) destroy(pair);
    },
    refuse(on) {
      refusing = on;
    },
    setDelay(ms) {
      delay = checkDelay(ms);
    },
    async close() {
      for (const pair of [...pairs]) destroy(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
