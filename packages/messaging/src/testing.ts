import assert from 'node:assert/strict';
import { startTcpProxy, TEST_AMQP_URL, uniqueName, type TcpProxy } from '@dslab/testing';
import { createAmqpBus, type AmqpBusOptions } from './amqp-bus.js';
import { delay, silentLogger, type BusLogger } from './defaults.js';
import { createInProcessBus } from './in-process-bus.js';
import type { MessageBus } from './types.js';

/**
 * Helpers for the tests of this package and of the packages built on it: a bus of either kind
 * (the test broker or in memory), a broker behind a proxy the test can break, queue names of
 * their own, a logger that keeps its lines, and waiting without timing assertions.
 */

/** A queue name no other test uses (RabbitMQ queue names allow letters, digits, '_', '.', '-'). */
export function uniqueQueue(prefix = 'q'): string {
  return uniqueName(prefix);
}

/** A bus on the test broker (TEST_AMQP_URL); close it in `after`/`finally`. */
export async function openTestAmqpBus(
  logger: BusLogger = silentLogger,
  options: { publishTimeoutMs?: number; connectionName?: string } = {},
): Promise<MessageBus> {
  return createAmqpBus({
    url: TEST_AMQP_URL,
    connectionName: options.connectionName ?? uniqueName('dslab-test'),
    logger,
    ...(options.publishTimeoutMs === undefined ? {} : { publishTimeoutMs: options.publishTimeoutMs }),
  });
}

/** The two adapters a test runs against: RabbitMQ, and the in-memory bus with the same semantics. */
export type BusKind = 'in-process' | 'amqp';
export const BUS_KINDS: readonly BusKind[] = ['in-process', 'amqp'];

/** A bus of `kind` (on the test broker for 'amqp'); close it in `after`/`finally`. */
export async function openTestBus(kind: BusKind, logger: BusLogger = silentLogger): Promise<MessageBus> {
  return kind === 'amqp' ? openTestAmqpBus(logger) : createInProcessBus({ logger });
}

/** A logger that keeps every line (level-prefixed, e.g. "WARNING:…") so tests can check the log text. */
export function collectingLogger(): BusLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (message) => lines.push(`DEBUG:${message}`),
    info: (message) => lines.push(`INFO:${message}`),
    warn: (message) => lines.push(`WARNING:${message}`),
    error: (message) => lines.push(`ERROR:${message}`),
  };
}

/**
 * The test broker behind a TCP proxy, so a test can refuse, cut or blackhole the path on purpose,
 * and a direct bus (no proxy) to observe and clean up.
 */
export interface ProxiedBroker {
  readonly proxy: TcpProxy;
  /** A bus straight to the broker, unaffected by what the proxy does. */
  readonly observer: MessageBus;
  /** A queue name of its own, deleted by `close`. */
  queue(prefix?: string): string;
  /**
   * A bus whose connection goes through the proxy (reconnecting within 50–200 ms), logging to a
   * collecting logger; `close` closes it.
   */
  openBus(
    options?: Partial<Omit<AmqpBusOptions, 'url' | 'logger'>>,
  ): Promise<{ bus: MessageBus; lines: string[] }>;
  /**
   * True when every bus opened through the proxy and not closed is connected: after a cut they
   * reconnect in the background, and a test that counts the proxy's connections waits for this.
   */
  readonly everyBusConnected: boolean;
  /** Lets connections through again: resumes a paused path and stops refusing. */
  heal(): void;
  /** Heals the path, closes the buses opened through it, deletes the queues, closes the observer and the proxy. */
  close(): Promise<void>;
}

export async function startProxiedBroker(): Promise<ProxiedBroker> {
  const broker = new URL(TEST_AMQP_URL);
  const proxy = await startTcpProxy({ targetHost: broker.hostname, targetPort: Number(broker.port || 5672) });
  let observer: MessageBus;
  try {
    observer = await openTestAmqpBus();
  } catch (error) {
    await proxy.close();
    throw error;
  }
  const opened: MessageBus[] = [];
  const queues: string[] = [];
  const heal = (): void => {
    proxy.resume();
    proxy.refuse(false);
  };
  const closed = new WeakSet<MessageBus>();
  return {
    proxy,
    observer,
    heal,
    get everyBusConnected() {
      return opened.every((bus) => closed.has(bus) || bus.connected);
    },
    queue(prefix) {
      const name = uniqueQueue(prefix);
      queues.push(name);
      return name;
    },
    async openBus(options = {}) {
      const logger = collectingLogger();
      const url = new URL(TEST_AMQP_URL);
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      const bus = await createAmqpBus({
        url: url.toString(),
        connectionName: uniqueName('proxied'),
        logger,
        reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
        ...options,
      });
      opened.push(bus);
      // A bus the test closed itself stays disconnected on purpose: everyBusConnected skips it.
      const close = bus.close.bind(bus);
      bus.close = async () => {
        closed.add(bus);
        await close();
      };
      return { bus, lines: logger.lines };
    },
    async close() {
      heal();
      try {
        for (const bus of opened) await bus.close();
        for (const name of queues) await observer.deleteQueue(name);
      } finally {
        await observer.close();
        await proxy.close();
      }
    },
  };
}

/** A promise opened from outside: handlers wait on it so tests decide when they finish. */
export interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Polls until `predicate` holds; fails the test with `what` past the timeout (never a timing assertion). */
export async function eventually(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await delay(10);
  }
}

export interface WaitForDrainOptions {
  /** Give up (reject) after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Poll interval (default 50 ms). */
  readonly intervalMs?: number;
  /**
   * Consecutive empty polls required (default 3). The broker's counts leave out messages being
   * handled (delivered, not yet acked): a handler that fails puts its message in the retry stage
   * a moment later, so one empty poll is not proof of a drained queue.
   */
  readonly stablePolls?: number;
}

/** Resolves when ready + retrying are 0 for every queue (dead letters are not waited for). */
export async function waitForDrain(
  bus: MessageBus,
  queues: readonly string[],
  options: WaitForDrainOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 50;
  const stablePolls = options.stablePolls ?? 3;
  const deadline = Date.now() + timeoutMs;
  let empty = 0;
  for (;;) {
    const depths = await Promise.all(queues.map((queue) => bus.depth(queue)));
    const pending = depths.reduce((sum, depth) => sum + depth.ready + depth.retrying, 0);
    empty = pending === 0 ? empty + 1 : 0;
    if (empty >= stablePolls) return;
    if (Date.now() >= deadline) {
      const state = queues.map((queue, i) => `${queue}: ${JSON.stringify(depths[i])}`).join(', ');
      throw new Error(`queues not drained within ${timeoutMs} ms (${state})`);
    }
    await delay(intervalMs);
  }
}
