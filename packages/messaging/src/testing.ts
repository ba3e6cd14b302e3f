import { TEST_AMQP_URL, uniqueName } from '@dslab/testing';
import { createAmqpBus } from './amqp-bus.js';
import { delay, silentLogger, type BusLogger } from './defaults.js';
import type { MessageBus } from './types.js';

/**
 * Helpers for other packages' tests: a bus on the test broker, queue names of their own, and a
 * wait until queues are drained.
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
